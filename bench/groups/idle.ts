/**
 * Rows 5, 6 and web mode's idle memory: LM Studio online, nothing happening. Over the same
 * window, CPU (utime + stime from /proc, as % of one core) of the web-mode process, of
 * anchor (a) running as a process of its own against a second simulator, of the floor (the
 * minimal watcher, bench/lib/minimal-watcher.ts, against a third) and of a bare Node HTTP
 * server (what Node costs doing nothing); requests and TCP connections each simulator saw.
 * Once with the popup open, once with it closed (no page).
 * Web mode runs `lms log stream` as a child while LM Studio runs (electron/core/activity/): its
 * CPU and memory are rows of their own over the same windows, and the group fails when that
 * child is not running throughout, since those rows would then measure nothing.
 */
import { startSimulator } from '../../e2e/simulator/index';
import { currentStatus, isOnline, newObservedPage } from '../lib/browser';
import type { BenchContext, BenchGroup } from '../lib/group';
import { MINIMAL_CHECK_MS, MINIMAL_GREETING_MS, MINIMAL_MODELS_MS } from '../lib/minimal-watcher';
import { startFloorServer, startMinimalWatcherProcess, startPollerProcess } from '../lib/processes';
import { none, type Row, value, verdict } from '../lib/report';
import { pollUntil, sleep } from '../lib/stats';
import { cpuSeconds, logStreamChildPid, residentMb, startWebMode } from '../lib/web-mode';

/** From Online to the first window. */
const IDLE_SETTLE_MS = 20_000;
/** From Online to web mode's `lms log stream` child running (a `daemon status` check comes first). */
const STREAM_START_CAP_MS = 30_000;

/** What the stream rows' footnotes say the child is. */
const STREAM_CHILD_NOTE =
  'the child web mode runs while LM Studio runs on this machine, `lms log stream --source model --filter input,output --json` ' +
  "(found in /proc as web mode's child; the group fails if it is absent or restarts during a window). Here it is the " +
  "simulator's fake lms: a Node process running the simulator's lms bundle, which follows the simulator over a long " +
  "poll on its control connection (no timer while idle), so its costs are the simulator's; a real lms is LM Studio's " +
  'own Node CLI, subscribed to LM Studio over a WebSocket. The figure shows the shape (a pushed stream costs nothing ' +
  "while idle), not LM Studio's exact cost. It is not counted in the web-mode process's rows (/proc's utime + stime " +
  'and VmRSS are per process). Floor: the bare Node process serving an idle HTTP server';

export const idleGroup: BenchGroup = {
  name: 'idle',
  async run(ctx: BenchContext): Promise<Row[]> {
    const windowSeconds = ctx.quick ? 2 : 30;
    const ours = await startSimulator();
    const theirs = await startSimulator();
    const floorSimulator = await startSimulator();
    ctx.simulators.push(ours, theirs, floorSimulator);
    const web = await startWebMode(ours);
    const poller = await startPollerProcess(theirs.baseUrl);
    // Any token: the simulator asks for none, the watcher pays for sending it all the same.
    const floor = await startMinimalWatcherProcess(floorSimulator.baseUrl, 'bench-token');
    const bare = await startFloorServer();
    const page = await newObservedPage(await ctx.browser());
    try {
      const webPid = await web.pid();
      await page.goto(web.url);
      const online = await pollUntil(async () => (isOnline(await currentStatus(page)) ? true : undefined), 30_000);
      if (!online) throw new Error('web mode never showed Online');
      const streamPid = await pollUntil(() => logStreamChildPid(webPid, ours.homeDir), STREAM_START_CAP_MS);
      if (streamPid === undefined) {
        throw new Error(
          `web mode (pid ${webPid}) started no lms log stream child within ${STREAM_START_CAP_MS / 1000} s of Online: the stream rows would measure nothing`,
        );
      }
      /** The stream must run, as the same process, from a window's start to its end. */
      const checkStreamRunning = async (when: string) => {
        const now = await logStreamChildPid(webPid, ours.homeDir);
        if (now !== streamPid) {
          throw new Error(
            `web mode's lms log stream child (pid ${streamPid}) is ${now === undefined ? 'gone' : `replaced by pid ${now}`} ${when}: the stream rows would not measure one running stream`,
          );
        }
      };
      // Idle is the steady state: the first seconds after start-up still compile and collect
      // start-up's garbage, in every process here (anchor (a)'s too, ~2× its idle figure at 5 s).
      await sleep(ctx.quick ? 1_000 : IDLE_SETTLE_MS);

      const measureWindow = async () => {
        const pids = [webPid, poller.pid, floor.pid, bare.pid, streamPid];
        const simulators = [ours, theirs, floorSimulator];
        await checkStreamRunning('at the start of a window');
        const cpuBefore = await Promise.all(pids.map(cpuSeconds));
        const connectionsBefore = simulators.map((sim) => sim.state.connections());
        const from = Date.now();
        await sleep(windowSeconds * 1000);
        const to = Date.now();
        await checkStreamRunning('at the end of a window');
        const cpuAfter = await Promise.all(pids.map(cpuSeconds));
        const seconds = (to - from) / 1000;
        const percent = (i: number) => ((cpuAfter[i]! - cpuBefore[i]!) / seconds) * 100;
        const requests = (sim: typeof ours) =>
          sim.state.requests().filter((r) => r.at >= from && r.at < to).length / seconds;
        const connections = (i: number) => (simulators[i]!.state.connections() - connectionsBefore[i]!) / seconds;
        return {
          cpu: { ours: percent(0), poller: percent(1), floor: percent(2), bare: percent(3), stream: percent(4) },
          requests: { ours: requests(ours), poller: requests(theirs), floor: requests(floorSimulator) },
          connections: { ours: connections(0), poller: connections(1), floor: connections(2) },
        };
      };

      ctx.log(`idle: ${windowSeconds} s window, popup open`);
      const open = await measureWindow();
      await page.close();
      await sleep(2_000);
      ctx.log(`idle: ${windowSeconds} s window, popup closed`);
      const closed = await measureWindow();
      await checkStreamRunning('after both windows');
      const rss = await Promise.all([
        residentMb(webPid),
        residentMb(poller.pid),
        residentMb(bare.pid),
        residentMb(streamPid),
      ]);

      const group = 'idle';
      const window = `${windowSeconds} s window`;
      const checkOnce = verdict('0 (checks once at start)');
      const noStream = verdict('no activity stream');
      const withStream = "with web mode's lms log stream child running (its CPU is a row of its own, not counted here)";
      const seen = (window: typeof open) =>
        `the floor's simulator saw ${window.requests.floor.toFixed(2)} req/s and ${window.connections.floor.toFixed(2)} conn/s; ` +
        `a bare Node process serving an idle HTTP server (what Node costs doing nothing) used ${window.cpu.bare.toFixed(2)} %; ` +
        'all in the same window.';
      return [
        {
          group,
          id: 'idle-cpu-open',
          figure: `idle, online, popup open: CPU of the web-mode process (${window})`,
          unit: '% of a core',
          stat: 'value',
          goal: '≤ 0.2',
          ours: value(open.cpu.ours),
          poller: value(open.cpu.poller),
          checkOnce: none,
          floor: value(open.cpu.floor),
          note:
            'anchor (a): a Node process running the 5 s fetch poll; floor: the minimal watcher, a Node process doing ' +
            `only what issue 7's other goals need, against a simulator of its own: a connect-only check every ` +
            `${MINIMAL_CHECK_MS} ms on one reused socket (stops listening), a greeting GET every ` +
            `${MINIMAL_GREETING_MS / 1000} s (a hung server), an authenticated model list GET every ` +
            `${MINIMAL_MODELS_MS / 1000} s (auth switched on); ${withStream}; ${seen(open)}`,
        },
        {
          group,
          id: 'idle-cpu-closed',
          figure: `idle, online, popup closed: CPU of the web-mode process (${window})`,
          unit: '% of a core',
          stat: 'value',
          goal: '≤ 0.2',
          ours: value(closed.cpu.ours),
          poller: value(closed.cpu.poller),
          checkOnce: none,
          floor: value(closed.cpu.floor),
          note: `anchor (a) and floor as in the popup-open row; ${withStream}; ${seen(closed)}`,
        },
        {
          group,
          id: 'idle-stream-cpu-open',
          figure: `idle, online, popup open: CPU of the lms log stream child (${window})`,
          unit: '% of a core',
          stat: 'value',
          goal: '—',
          ours: value(open.cpu.stream),
          poller: noStream,
          checkOnce: noStream,
          floor: value(open.cpu.bare),
          note: `${STREAM_CHILD_NOTE}, in the same window.`,
        },
        {
          group,
          id: 'idle-stream-cpu-closed',
          figure: `idle, online, popup closed: CPU of the lms log stream child (${window})`,
          unit: '% of a core',
          stat: 'value',
          goal: '—',
          ours: value(closed.cpu.stream),
          poller: noStream,
          checkOnce: noStream,
          floor: value(closed.cpu.bare),
          note: 'the child and the floor as in the popup-open row, in the same window.',
        },
        {
          group,
          id: 'idle-requests-open',
          figure: 'idle HTTP requests to LM Studio, popup open',
          unit: 'req/s',
          stat: 'value',
          goal: '≤ 0.5',
          ours: value(open.requests.ours),
          poller: value(open.requests.poller),
          checkOnce,
          floor: value(0),
        },
        {
          group,
          id: 'idle-connections-open',
          figure: 'idle TCP connections to LM Studio, popup open (connect-only checks included)',
          unit: 'conn/s',
          stat: 'value',
          goal: '—',
          ours: value(open.connections.ours),
          poller: value(open.connections.poller),
          checkOnce,
          floor: value(0),
          note: 'connections the simulator accepted; those beyond the requests above are connect-only checks or new keep-alive sockets.',
        },
        {
          group,
          id: 'idle-requests-closed',
          figure: 'idle HTTP requests to LM Studio, popup closed',
          unit: 'req/s',
          stat: 'value',
          goal: '≤ 0.5',
          ours: value(closed.requests.ours),
          poller: value(closed.requests.poller),
          checkOnce,
          floor: value(0),
        },
        {
          group,
          id: 'web-memory',
          figure: 'web mode: resident memory idle (VmRSS, after both windows)',
          unit: 'MB',
          stat: 'value',
          goal: '≤ 80',
          ours: value(rss[0]!),
          poller: value(rss[1]!),
          checkOnce: none,
          floor: value(rss[2]!),
          note: "floor: the bare Node process serving an idle HTTP server. Web mode's lms log stream child is not counted: it is the next row.",
        },
        {
          group,
          id: 'stream-memory',
          figure: 'idle, online: resident memory of the lms log stream child (VmRSS, after both windows)',
          unit: 'MB',
          stat: 'value',
          goal: '—',
          ours: value(rss[3]!),
          poller: noStream,
          checkOnce: noStream,
          floor: value(rss[2]!),
          note: `${STREAM_CHILD_NOTE}, measured at the same moment. A real lms is a larger program (LM Studio's CLI and SDK), so its own figure may well be higher.`,
        },
      ];
    } finally {
      await page.context().close();
      await web.stop();
      await poller.stop();
      await floor.stop();
      await bare.stop();
      await ours.close();
      await theirs.close();
      await floorSimulator.close();
    }
  },
};
