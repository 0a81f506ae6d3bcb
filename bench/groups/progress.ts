/**
 * Row 7 and the downloads:changed rate. A download in the page runs on a stand-in `lms get`
 * (bench/lib/gated-lms-get.ts) whose frames the bench releases: after >= 250 ms without a frame,
 * one frame whose whole percent differs; timed from its write (Date.now() in that process) to
 * the progress bar's `aria-valuenow` changing (Date.now() in the page). Every other `lms`
 * command goes to the simulator's. Then 50 ms redraws with growing bytes for a few seconds:
 * `downloads:changed` events the page receives per second.
 * Floor: a raw WebSocket message from a Node server to a page that sets `aria-valuenow` itself.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright';
import { WebSocketServer } from 'ws';
import { startSimulator } from '../../e2e/simulator/index';
import { currentStatus, isOnline, newObservedPage, pageLog } from '../lib/browser';
import type { BenchContext, BenchGroup } from '../lib/group';
import { none, type Row, samples, value, verdict } from '../lib/report';
import { pollUntil, sleep } from '../lib/stats';
import { PROJECT_ROOT, startWebMode } from '../lib/web-mode';

const MODEL = 'bench/progress-model';
const QUIET_MS = 250;
const CAP_MS = 5_000;

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

export const progressGroup: BenchGroup = {
  name: 'progress',
  async run(ctx: BenchContext): Promise<Row[]> {
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
      return [
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
    } finally {
      await page.context().close();
      for (const socket of standIns) socket.destroy();
      await web.stop();
      await new Promise((resolve) => control.close(resolve));
      await lms.remove();
      await sim.close();
    }
  },
};
