/**
 * Rows 5, 6 and web mode's idle memory: LM Studio online, nothing happening. Over the same
 * window, CPU (utime + stime from /proc, as % of one core) of the web-mode process, of
 * anchor (a) running as a process of its own against a second simulator, of the floor (the
 * minimal watcher, bench/lib/minimal-watcher.ts, against a third) and of a bare Node HTTP
 * server (what Node costs doing nothing); requests and TCP connections each simulator saw.
 * Once with the popup open, once with it closed (no page).
 */
import { startSimulator } from '../../e2e/simulator/index';
import { currentStatus, isOnline, newObservedPage } from '../lib/browser';
import type { BenchContext, BenchGroup } from '../lib/group';
import { MINIMAL_CHECK_MS, MINIMAL_GREETING_MS, MINIMAL_MODELS_MS } from '../lib/minimal-watcher';
import { startFloorServer, startMinimalWatcherProcess, startPollerProcess } from '../lib/processes';
import { none, type Row, value, verdict } from '../lib/report';
import { pollUntil, sleep } from '../lib/stats';
import { cpuSeconds, residentMb, startWebMode } from '../lib/web-mode';

/** From Online to the first window. */
const IDLE_SETTLE_MS = 20_000;

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
      // Idle is the steady state: the first seconds after start-up still compile and collect
      // start-up's garbage, in every process here (anchor (a)'s too, ~2× its idle figure at 5 s).
      await sleep(ctx.quick ? 1_000 : IDLE_SETTLE_MS);

      const measureWindow = async () => {
        const pids = [webPid, poller.pid, floor.pid, bare.pid];
        const simulators = [ours, theirs, floorSimulator];
        const cpuBefore = await Promise.all(pids.map(cpuSeconds));
        const connectionsBefore = simulators.map((sim) => sim.state.connections());
        const from = Date.now();
        await sleep(windowSeconds * 1000);
        const to = Date.now();
        const cpuAfter = await Promise.all(pids.map(cpuSeconds));
        const seconds = (to - from) / 1000;
        const percent = (i: number) => ((cpuAfter[i]! - cpuBefore[i]!) / seconds) * 100;
        const requests = (sim: typeof ours) =>
          sim.state.requests().filter((r) => r.at >= from && r.at < to).length / seconds;
        const connections = (i: number) => (simulators[i]!.state.connections() - connectionsBefore[i]!) / seconds;
        return {
          cpu: { ours: percent(0), poller: percent(1), floor: percent(2), bare: percent(3) },
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
      const rss = await Promise.all([residentMb(webPid), residentMb(poller.pid), residentMb(bare.pid)]);

      const group = 'idle';
      const window = `${windowSeconds} s window`;
      const checkOnce = verdict('0 (checks once at start)');
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
            `${MINIMAL_MODELS_MS / 1000} s (auth switched on); ${seen(open)}`,
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
          note: `anchor (a) and floor as in the popup-open row; ${seen(closed)}`,
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
          note: 'floor: the bare Node process serving an idle HTTP server.',
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
