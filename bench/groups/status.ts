/**
 * Rows 1-4: how soon the page's `Server status` tells the truth after LM Studio dies, stops
 * listening, comes back, or starts asking for a token; beside it, anchor (a) watching the same
 * events in the same run, anchor (b) (a check once at start: it never looks again), and the
 * physical floor (a bare socket's close, one refused or accepted connect).
 * Each event happens at a random moment of the 5 s poll cycle of anchor (a).
 */
import type { Page } from 'playwright';
import { startSimulator } from '../../e2e/simulator/index';
import { currentStatus, isOnline, newObservedPage, statusChangeAt } from '../lib/browser';
import { type FetchPoller, POLL_INTERVAL_MS, startFetchPoller } from '../lib/fetch-poller';
import type { BenchContext, BenchGroup } from '../lib/group';
import { type Cell, none, type Row, samples, verdict } from '../lib/report';
import { connectOnce, openWatchSocket } from '../lib/sockets';
import { randomBelow, sleep } from '../lib/stats';
import { startWebMode } from '../lib/web-mode';

const TOKEN = 'sk-lm-bench0000000000000000000000';
const NEVER = verdict('never');

/** Collects the repetitions of one column: a value, or a miss (nothing within the cap). */
class Column {
  readonly values: number[] = [];
  missed = 0;
  constructor(readonly capMs: number) {}
  add(value: number | undefined): void {
    if (value === undefined) this.missed++;
    else this.values.push(value);
  }
  get cell(): Cell {
    return samples(this.values, this.capMs, this.missed);
  }
}

export const statusGroup: BenchGroup = {
  name: 'status',
  async run(ctx: BenchContext): Promise<Row[]> {
    // Quick mode (a structure check) waits less than one poll for anchor (a), so it usually says "not within".
    const reps = ctx.quick ? 1 : ctx.reps;
    const oursCapMs = ctx.quick ? 6_000 : 30_000;
    const pollerCapMs = ctx.quick ? 3_000 : 15_000;
    /** Before each event: a random moment of the poll cycle (shorter in quick mode, to stay quick). */
    const randomMoment = () => sleep(randomBelow(ctx.quick ? 500 : POLL_INTERVAL_MS));

    const sim = await startSimulator();
    ctx.simulators.push(sim);
    const web = await startWebMode(sim);
    const browser = await ctx.browser();
    const page = await newObservedPage(browser);
    const poller = startFetchPoller(sim.baseUrl, randomBelow(POLL_INTERVAL_MS));
    try {
      await page.goto(web.url);
      await waitSteady(page, poller, 30_000);

      // 1 + 3: crash, then the app comes back.
      const cut = { ours: new Column(oursCapMs), poller: new Column(pollerCapMs), floor: new Column(1000) };
      const back = { ours: new Column(oursCapMs), poller: new Column(pollerCapMs), floor: new Column(1000) };
      for (let i = 0; i < reps; i++) {
        ctx.log(`status: crash ${i + 1}/${reps}`);
        const watch = await openWatchSocket(sim.port);
        await randomMoment();
        const crashAt = Date.now();
        await sim.crash();
        const [ours, polled, closed] = await Promise.all([
          statusChangeAt(page, crashAt, (text) => !isOnline(text), oursCapMs),
          poller.transitionAt(false, crashAt, pollerCapMs),
          watch.closedAt,
        ]);
        cut.ours.add(ours === undefined ? undefined : ours - crashAt);
        cut.poller.add(polled === undefined ? undefined : polled - crashAt);
        cut.floor.add(closed - crashAt);

        const launchAt = Date.now();
        await sim.launchApp();
        const accepted = await connectOnce(sim.port);
        const [online, polledUp] = await Promise.all([
          statusChangeAt(page, launchAt, isOnline, oursCapMs),
          poller.transitionAt(true, launchAt, pollerCapMs),
        ]);
        back.ours.add(online === undefined ? undefined : online - launchAt);
        back.poller.add(polledUp === undefined ? undefined : polledUp - launchAt);
        back.floor.add(accepted.result === 'accepted' ? accepted.at - launchAt : undefined);
        await waitSteady(page, poller, oursCapMs + POLL_INTERVAL_MS);
      }

      // 2: stops listening, open connections kept and answered.
      const stop = { ours: new Column(oursCapMs), poller: new Column(pollerCapMs), floor: new Column(1000) };
      for (let i = 0; i < reps; i++) {
        ctx.log(`status: stop listening ${i + 1}/${reps}`);
        await randomMoment();
        const stopAt = Date.now();
        await sim.stopListening();
        const refused = await connectOnce(sim.port);
        const [ours, polled] = await Promise.all([
          statusChangeAt(page, stopAt, (text) => !isOnline(text), oursCapMs),
          poller.transitionAt(false, stopAt, pollerCapMs),
        ]);
        stop.ours.add(ours === undefined ? undefined : ours - stopAt);
        stop.poller.add(polled === undefined ? undefined : polled - stopAt);
        stop.floor.add(refused.result === 'ECONNREFUSED' ? refused.at - stopAt : undefined);
        await sim.startServer();
        await waitSteady(page, poller, oursCapMs + POLL_INTERVAL_MS);
      }

      // 4: "Require Authentication" switched on while online, the greeting open (and, fewer times, closed too).
      const pollerTries = ctx.quick ? 1 : 3;
      const authOn = async (greetingNeedsToken: boolean, times: number, pollerTimes: number) => {
        const auth = { ours: new Column(oursCapMs), poller: new Column(pollerCapMs) };
        for (let i = 0; i < times; i++) {
          ctx.log(`status: auth on (greeting ${greetingNeedsToken ? 'closed' : 'open'}) ${i + 1}/${times}`);
          await randomMoment();
          const onAt = Date.now();
          sim.configure({ token: TOKEN, greetingNeedsToken });
          const [ours, polled] = await Promise.all([
            statusChangeAt(page, onAt, (text) => text.startsWith('Authentication required'), oursCapMs),
            i < pollerTimes ? poller.transitionAt(false, onAt, pollerCapMs) : Promise.resolve(null),
          ]);
          auth.ours.add(ours === undefined ? undefined : ours - onAt);
          if (polled !== null) auth.poller.add(polled === undefined ? undefined : polled - onAt);
          sim.configure({ token: null, greetingNeedsToken: false });
          // Ours never seeing it is the finding; repeating the wait would only repeat it.
          if (ours === undefined) break;
          await waitSteady(page, poller, oursCapMs + POLL_INTERVAL_MS);
        }
        return auth;
      };
      const authOpen = await authOn(false, reps, pollerTries);
      const closedReps = Math.ceil(reps / 2);
      const authClosed = await authOn(true, closedReps, closedReps);

      const group = 'status';
      const pollerNote =
        'anchor (a) watches the same simulator in the same run; a repetition it misses counts as more than the cap.';
      return [
        {
          group,
          id: 'connections-cut',
          figure: 'connections cut (crash) → status leaves Online (page)',
          unit: 'ms',
          stat: 'p95',
          goal: 'p95 ≤ 100',
          ours: cut.ours.cell,
          poller: cut.poller.cell,
          checkOnce: NEVER,
          floor: cut.floor.cell,
          note: `floor: a bare socket connected to the server, crash() → its close event. ${pollerNote}`,
        },
        {
          group,
          id: 'stops-listening',
          figure: 'stops listening, connections kept → status leaves Online (page)',
          unit: 'ms',
          stat: 'p95',
          goal: 'p95 ≤ 500',
          ours: stop.ours.cell,
          poller: stop.poller.cell,
          checkOnce: NEVER,
          floor: stop.floor.cell,
          note: 'floor: stopListening() → one connect refused (ECONNREFUSED). Anchor (a) keeps its pooled keep-alive connection while the server keeps it.',
        },
        {
          group,
          id: 'server-back',
          figure: 'server back → status Online (page)',
          unit: 'ms',
          stat: 'p95',
          goal: 'p95 ≤ 1000',
          ours: back.ours.cell,
          poller: back.poller.cell,
          checkOnce: NEVER,
          floor: back.floor.cell,
          note: 'after the crash of row 1: launchApp() → one connect accepted. Anchor (b) never saw it leave.',
        },
        {
          group,
          id: 'auth-on',
          figure: 'auth switched on while online (greeting open) → Authentication required (page)',
          unit: 'ms',
          stat: 'p95',
          goal: '≤ 10000',
          ours: authOpen.ours.cell,
          poller: authOpen.poller.cell,
          checkOnce: NEVER,
          floor: none,
          note: `anchor (a) polls the open greeting, so it cannot see this; watched in the first ${authOpen.poller.values.length + authOpen.poller.missed} repetition(s) only. Ours stops repeating after its first miss.`,
        },
        {
          group,
          id: 'auth-on-closed-greeting',
          figure: 'auth switched on while online (greeting closed too) → Authentication required (page)',
          unit: 'ms',
          stat: 'p95',
          goal: '≤ 10000',
          ours: authClosed.ours.cell,
          poller: authClosed.poller.cell,
          checkOnce: NEVER,
          floor: none,
          note: `at most ${closedReps} repetition(s); anchor (a) sees the greeting fail at its next poll (and says "down", not "token needed").`,
        },
      ];
    } finally {
      poller.stop();
      await page.context().close();
      await web.stop();
      await sim.close();
    }
  },
};

/** Ours Online and anchor (a) up, then a moment for the monitor's watch to re-arm. */
async function waitSteady(page: Page, poller: FetchPoller, capMs: number): Promise<void> {
  const deadline = Date.now() + capMs;
  while (Date.now() < deadline) {
    if (isOnline(await currentStatus(page)) && poller.isUp() !== false) break;
    await sleep(50);
  }
  await sleep(1_200);
}
