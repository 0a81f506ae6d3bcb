/**
 * Row 7, the downloads:changed rate and the activity row. A download in the page runs on a
 * stand-in `lms get` (bench/lib/gated-lms-get.ts) whose frames the bench releases: after
 * >= 250 ms without a frame, one frame whose whole percent differs; timed from its write
 * (Date.now() in that process) to the progress bar's `aria-valuenow` changing (Date.now() in the
 * page). Every other `lms` command goes to the simulator's. Then 50 ms redraws with growing
 * bytes for a few seconds: `downloads:changed` events the page receives per second.
 * Floor: a raw WebSocket message from a Node server to a page that sets `aria-valuenow` itself.
 * Activity: against a simulator of its own with a model loaded, a chat answer completes (the
 * simulator publishes its `llm.prediction.output` event, which web mode's `lms log stream` child
 * prints), timed from the event's own timestamp (read by a stream of the bench's) until the
 * `Activity` region's text counts one answer more, with its tok/s (page).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import type { Page } from 'playwright';
import { WebSocketServer } from 'ws';
import { type Simulator, startSimulator } from '../../e2e/simulator/index';
import { currentStatus, isOnline, newObservedPage, pageLog, waitUntilLive } from '../lib/browser';
import type { BenchContext, BenchGroup } from '../lib/group';
import { none, type Row, samples, value, verdict } from '../lib/report';
import { pollUntil, sleep } from '../lib/stats';
import { PROJECT_ROOT, startWebMode } from '../lib/web-mode';

const MODEL = 'bench/progress-model';
const QUIET_MS = 250;
const CAP_MS = 5_000;
const ACTIVITY_MODEL = 'qwen/qwen3-4b';
/**
 * A short answer's generation: longer than the 250 ms between two `activity:changed` (at most 4
 * a second), so the answer's change is not held back behind its request's.
 */
const ANSWER_MS = 1_000;
/** `3 answers in 10 min · 60.0 tok/s`: the chart's words in the Activity region. */
const ANSWERS_SHOWN = /(\d+) answers? in 10 min · [\d.–]+ tok\/s/;

/** Waits for the page to log `aria-valuenow` = `wanted` at or after `since`; its Date.now() then. */
function valueShownAt(page: Page, wanted: number, since: number, capMs = CAP_MS) {
  return pollUntil(
    async () => {
      const { progress } = await pageLog(page);
      return progress.find((entry) => entry.at >= since && entry.value === String(wanted))?.at;
    },
    capMs,
    10,
  );
}

/**
 * The first frame only warms up (it is not measured): the row and its bar load on demand with
 * the first download, which on a loaded machine can take longer than a measured frame's cap.
 */
const WARM_UP_CAP_MS = 30_000;

/** A folder with `lms`: `get` goes to the gated stand-in (talking to `controlPort`), the rest to `realLms`. */
async function gatedLms(
  realLms: string,
  controlPort: number,
): Promise<{ lmsPath: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-bench-lms-'));
  const getScript = path.join(dir, 'gated-get.mjs');
  await build({
    entryPoints: [path.join(PROJECT_ROOT, 'bench/lib/gated-lms-get.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: getScript,
    logLevel: 'silent',
  });
  const lmsPath = path.join(dir, 'lms');
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  await writeFile(
    lmsPath,
    `#!/bin/sh\nif [ "$1" = get ]; then exec ${quote(process.execPath)} ${quote(getScript)} ${controlPort} "$@"; fi\nexec ${quote(realLms)} "$@"\n`,
  );
  await chmod(lmsPath, 0o755);
  return { lmsPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** One line per released frame; resolves with the write time the stand-in reports. */
function frameReleaser(socket: Socket): (percent: number) => Promise<number> {
  let pending = '';
  const waiting: Array<(at: number) => void> = [];
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const at = Number(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      waiting.shift()?.(at);
    }
  });
  return (percent) =>
    new Promise<number>((resolve) => {
      waiting.push(resolve);
      socket.write(`${percent}\n`);
    });
}

async function floorLatencies(ctx: BenchContext, reps: number): Promise<number[]> {
  const page = `<!doctype html><meta charset="utf-8"><div role="progressbar" aria-label="floor" aria-valuenow="0"></div>
<script>new WebSocket('ws://' + location.host).onmessage = (e) => document.querySelector('div').setAttribute('aria-valuenow', e.data);</script>`;
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  const wss = new WebSocketServer({ server });
  const connected = new Promise<import('ws').WebSocket>((resolve) => wss.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browserPage = await newObservedPage(await ctx.browser());
  try {
    await browserPage.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const ws = await connected;
    const times: number[] = [];
    for (let i = 1; i <= reps; i++) {
      await sleep(QUIET_MS);
      const sentAt = Date.now();
      ws.send(String(i));
      const shown = await valueShownAt(browserPage, i, sentAt);
      if (shown !== undefined) times.push(shown - sentAt);
    }
    return times;
  } finally {
    await browserPage.context().close();
    for (const client of wss.clients) client.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** How many answers the page's Activity region last said it shows (0 before the first). */
async function answersShown(page: Page): Promise<number> {
  const text = (await pageLog(page)).activity.at(-1)?.text ?? '';
  return Number(ANSWERS_SHOWN.exec(text)?.[1] ?? 0);
}

/** The page's Date.now() when its Activity region first counted `answers` answers with their tok/s, at or after `since`. */
function answersShownAt(page: Page, answers: number, since: number, capMs = CAP_MS) {
  return pollUntil(
    async () => {
      const { activity } = await pageLog(page);
      return activity.find((entry) => entry.at >= since && Number(ANSWERS_SHOWN.exec(entry.text)?.[1]) === answers)?.at;
    },
    capMs,
    10,
  );
}

/**
 * The bench's own `lms log stream` on the simulator: the `timestamp` of every
 * `llm.prediction.output` event, which the simulator (in this process) stamps with Date.now()
 * as it publishes the answer. Resolves once it is subscribed (its banner).
 */
async function answerTimes(sim: Simulator): Promise<{ times: number[]; stop: () => Promise<void> }> {
  const child = spawn(sim.lmsPath, ['log', 'stream', '--source', 'model', '--filter', 'output', '--json'], {
    env: { ...process.env, HOME: sim.homeDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const times: number[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as { timestamp: number; data: { type: string } };
    if (event.data.type === 'llm.prediction.output') times.push(event.timestamp);
  });
  let stderr = '';
  const subscribed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 30_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('Streaming logs from LM Studio')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void exited.then(() => resolve(false));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await exited;
  };
  if (!subscribed) {
    await stop();
    throw new Error(`the bench's own lms log stream never subscribed:\n${stderr}`);
  }
  return { times, stop };
}

/**
 * Chat answer completed → the Activity region shows it, ms, per repetition: from the answer's
 * output event (its timestamp, read by the bench's own stream) to the page.
 */
async function activityLatencies(ctx: BenchContext): Promise<{ times: number[]; missed: number }> {
  const sim = await startSimulator({ loaded: [ACTIVITY_MODEL] });
  ctx.simulators.push(sim);
  sim.configure({ generationMs: ANSWER_MS });
  const answers = await answerTimes(sim);
  const web = await startWebMode(sim);
  const page = await newObservedPage(await ctx.browser());
  const chat = async () => {
    const response = await fetch(`${sim.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: ACTIVITY_MODEL, messages: [{ role: 'user', content: 'Say hello.' }] }),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`the simulator answered the chat request with ${response.status}`);
  };
  try {
    await page.goto(web.url);
    await pollUntil(async () => (isOnline(await currentStatus(page)) ? true : undefined), 30_000);
    // Warm-up, not measured: the stream child starts after Online and an answer before it
    // subscribed is never seen; the region's chart also loads with the first answer.
    const warm = await pollUntil(
      async () => {
        const wanted = (await answersShown(page)) + 1;
        const sentAt = Date.now();
        await chat();
        return answersShownAt(page, wanted, sentAt, WARM_UP_CAP_MS / 6);
      },
      WARM_UP_CAP_MS,
      0,
    );
    if (warm === undefined) throw new Error('the Activity region never showed a chat answer');

    ctx.log('progress: chat answers → Activity');
    const times: number[] = [];
    let missed = 0;
    for (let i = 0; i < ctx.reps; i++) {
      await sleep(QUIET_MS);
      const wanted = (await answersShown(page)) + 1;
      const sentAt = Date.now();
      await chat();
      const answeredAt = await pollUntil(() => answers.times.find((at) => at >= sentAt), CAP_MS);
      if (answeredAt === undefined) throw new Error("the bench's own lms log stream saw no answer");
      const shown = await answersShownAt(page, wanted, answeredAt);
      if (shown === undefined) missed++;
      else times.push(shown - answeredAt);
    }
    return { times, missed };
  } finally {
    await page.context().close();
    await web.stop();
    await answers.stop();
    await sim.close();
  }
}

/** The progress and downloads:changed rows, and the floor's latencies (the activity row shows them too). */
async function downloadFigures(ctx: BenchContext): Promise<{ rows: Row[]; floor: number[] }> {
  const sim = await startSimulator();
  ctx.simulators.push(sim);
  const standIns = new Set<Socket>();
  const control = createServer((socket) => {
    standIns.add(socket);
    socket.on('close', () => standIns.delete(socket));
  });
  const standInConnected = new Promise<Socket>((resolve) => control.once('connection', resolve));
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const lms = await gatedLms(sim.lmsPath, (control.address() as AddressInfo).port);
  const web = await startWebMode(sim, { lmsPath: lms.lmsPath });
  const page = await newObservedPage(await ctx.browser());
  const changedAt: number[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      if (String(payload).includes('"downloads:changed"')) changedAt.push(Date.now());
    }),
  );
  try {
    await page.goto(web.url);
    await pollUntil(async () => (isOnline(await currentStatus(page)) ? true : undefined), 30_000);
    // Online is in the server's markup already: the click must wait for the page to be live.
    await waitUntilLive(page);
    await page.getByRole('textbox', { name: 'Model to download', exact: true }).fill(MODEL);
    await page.getByRole('button', { name: 'Download', exact: true }).click();
    const standIn = await Promise.race([standInConnected, sleep(15_000).then(() => null)]);
    if (!standIn) throw new Error('the download never ran lms get');
    const release = frameReleaser(standIn);
    let percent = 1;
    const firstAt = await release(percent);
    if ((await valueShownAt(page, percent, firstAt, WARM_UP_CAP_MS)) === undefined)
      throw new Error('the progress bar never showed 1 %');

    ctx.log('progress: frames after a quiet spell');
    const ours: number[] = [];
    let missed = 0;
    for (let i = 0; i < ctx.reps; i++) {
      await sleep(QUIET_MS);
      percent++;
      const writtenAt = await release(percent);
      const shown = await valueShownAt(page, percent, writtenAt);
      if (shown === undefined) missed++;
      else ours.push(shown - writtenAt);
    }

    ctx.log('progress: 50 ms redraws');
    const redrawSeconds = ctx.quick ? 1 : 5;
    await sleep(QUIET_MS);
    const from = Date.now();
    let redraws = 0;
    for (let fraction = percent; Date.now() - from < redrawSeconds * 1000; fraction += 0.01) {
      await release(Number(fraction.toFixed(2)));
      redraws++;
      await sleep(50);
    }
    const to = Date.now();
    await sleep(200);
    const changedPerSecond = changedAt.filter((at) => at >= from && at <= to + 150).length / ((to - from) / 1000);

    const floor = await floorLatencies(ctx, ctx.reps);
    const rows: Row[] = [
      {
        group: 'progress',
        id: 'progress-frame',
        figure: 'progress: lms get frame with a new whole percent after ≥ 250 ms quiet → aria-valuenow (page)',
        unit: 'ms',
        stat: 'p95',
        goal: 'p95 ≤ 50',
        ours: samples(ours, CAP_MS, missed),
        poller: verdict('no downloads'),
        checkOnce: none,
        floor: samples(floor, CAP_MS, ctx.reps - floor.length),
        note: 'from the stand-in lms get writing the frame; floor: a raw WebSocket message from a Node server to a page setting aria-valuenow itself.',
      },
      {
        group: 'progress',
        id: 'downloads-changed-rate',
        figure: 'downloads:changed events under a 50 ms lms redraw, growing bytes',
        unit: 'events/s',
        stat: 'value',
        goal: '≤ 10',
        ours: value(changedPerSecond),
        poller: verdict('no downloads'),
        checkOnce: none,
        floor: none,
        note: `${redraws} redraws in ${((to - from) / 1000).toFixed(1)} s (${(redraws / ((to - from) / 1000)).toFixed(1)}/s), counted as WebSocket frames the page received.`,
      },
    ];
    return { rows, floor };
  } finally {
    await page.context().close();
    for (const socket of standIns) socket.destroy();
    await web.stop();
    await new Promise((resolve) => control.close(resolve));
    await lms.remove();
    await sim.close();
  }
}

export const progressGroup: BenchGroup = {
  name: 'progress',
  async run(ctx: BenchContext): Promise<Row[]> {
    const downloads = await downloadFigures(ctx);
    // After the downloads' web mode has stopped: one web mode at a time.
    const activity = await activityLatencies(ctx);
    return [
      ...downloads.rows,
      {
        group: 'progress',
        id: 'activity-answer',
        figure: 'activity: chat answer completed → tok/s shown in the Activity region (page)',
        unit: 'ms',
        stat: 'p95',
        goal: '—',
        ours: samples(activity.times, CAP_MS, activity.missed),
        poller: verdict('no activity'),
        checkOnce: verdict('no activity'),
        floor: samples(downloads.floor, CAP_MS, ctx.reps - downloads.floor.length),
        note:
          "from the answer's llm.prediction.output event (its timestamp, the simulator's clock as it publishes it, read by " +
          "the bench's own lms log stream) to the region's text counting one answer more with its tok/s; answers of " +
          `${ANSWER_MS / 1000} s, ` +
          `${QUIET_MS} ms apart, against a simulator of their own. The event travels through web mode's lms log stream ` +
          "child, here the simulator's fake lms (a Node process following the simulator over a long poll), not LM " +
          "Studio's. Floor: the progress row's (a raw WebSocket message from a Node server to a page), same run.",
      },
    ];
  },
};
