/**
 * The soak's scenario, shared by `npm run soak` (bench/soak.ts, half an hour for the figures) and
 * the short soak inside `npm test` (tests/robustness/soak): the real core and web-mode server
 * against the simulator, in rounds drawn from a shuffled deck so every kind comes up in every
 * pass — LM Studio crashing, quitting, stopping its server, flapping, auth switched on and off,
 * the user's token entered and cleared, downloads completed, cancelled and failed, loads (some
 * refused) and unloads, the user's own stop and start, a start that wakes LM Studio on purpose,
 * and WebSocket pages connecting, sending commands and dropping without a goodbye.
 *
 * What it measures: rounds of each kind, notices (checked against the policy by
 * soak-notifications.ts), downloads by outcome, heap used after a forced GC at regular times,
 * unhandled rejections, wake-ups of LM Studio (asked for, or not), and fake `lms` processes
 * left behind (found by a marker in their environment). Every resource it opens is closed by
 * the time `runSoak` resolves, so a caller can compare the process's resources before and after.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { DEFAULT_CATALOG, startSimulator } from '../../e2e/simulator/index';
import { createTrayCore } from '../../electron/core/app';
import type { TrayCore } from '../../electron/core/interfaces';
import { createConsoleLogger, nodeFileSystem, spawnWithoutShell, systemClock } from '../../electron/core/node-ports';
import type { SpawnFn } from '../../electron/core/ports';
import type { AppEvent, CommandName, DownloadState, ServerState } from '../../electron/shared/contract';
import { WEB_SOCKET_PATH } from '../../electron/shared/web-protocol';
import { sessionCookieName, sessionCookieValue } from '../../electron/web/auth';
import { startWebServer, type WebServer } from '../../electron/web/server';
import { MARKER_VARIABLE, processesWithMarker } from '../../tests/robustness/processes';
import { checkNotifications, countByKind, type TimelineEntry } from './soak-notifications';

export const ROUND_KINDS = [
  'crash',
  'quit',
  'server-stop',
  'flap',
  'auth-on-off',
  'token-setting',
  'download-complete',
  'download-cancel',
  'download-fail',
  'load',
  'load-refused',
  'unload',
  'user-stop-start',
  'user-start-wakes',
  'pages',
] as const;
export type RoundKind = (typeof ROUND_KINDS)[number];

export interface SoakOptions {
  seed: number;
  /** The rounds stop once this long has passed (the round under way finishes)... */
  durationMs: number;
  /** ...and at least this many rounds were played (one pass of the deck plays every kind once). */
  minRounds?: number;
  /** The simulator's download speed (default 2 GB/s: a catalog model in 1-7 s). */
  downloadBytesPerSecond?: number;
  /** Marker put in the environment of every `lms` the core starts. */
  marker: string;
  /** The core's poll interval (the soak shortens it so more happens per minute). */
  pollIntervalMs: number;
  /** The notification policy's flap window (shortened so normal reports happen between bursts). */
  flapWindowMs: number;
  /** Pause between rounds, drawn between these (ms). */
  pauseMs: readonly [number, number];
  /** How long LM Studio stays away in an outage round, drawn between these (ms). */
  outageMs: readonly [number, number];
  /** How long to wait for the core to see LM Studio online again after a round. */
  recoveryTimeoutMs: number;
  /** Heap used after a forced GC, sampled this often (0: only at the start and the end). */
  heapSampleEveryMs: number;
  /** Forces a full GC (`--expose-gc`'s `gc`); null: heap figures without one. */
  gc: (() => void) | null;
  /** Ends the rounds early (Ctrl-C): the soak still shuts down cleanly and reports. */
  stop?: AbortSignal;
  /** Progress lines (one per minute or so). */
  log?: (line: string) => void;
  /** Also a line per round and per ended download (SOAK_TRACE=1). */
  trace?: boolean;
}

export interface HeapSample {
  /** Seconds since the soak started. */
  atSeconds: number;
  mb: number;
}

export interface SoakResult {
  seconds: number;
  rounds: Record<RoundKind, number>;
  /** Rounds whose outcome was not the one the round set up (listed, with what happened instead). */
  unexpected: string[];
  /** Rounds after which the core did not see LM Studio online within recoveryTimeoutMs. */
  recoveryTimeouts: number;
  /** Rounds that did not end within their time bound. */
  hungRounds: number;
  statusChanges: number;
  notifications: Record<string, number>;
  policyViolations: string[];
  downloads: Record<string, number>;
  loads: { ok: number; refused: number };
  unloads: number;
  pages: { connected: number; dropped: number; closed: number; commands: number; answered: number };
  heap: HeapSample[];
  gcForced: boolean;
  unhandledRejections: string[];
  /**
   * Wake-ups of LM Studio by the `lms` the core ran: `asked` by a command the user gave;
   * `unasked`, by an automatic `lms` started while LM Studio was already down (the rule broken);
   * `raced`, by an automatic `lms` started while LM Studio was up that found it gone (LM Studio
   * quit between the core's check and `lms` reaching it). Both of the latter count as unasked.
   */
  wakes: { asked: number; unasked: string[]; raced: string[] };
  lmsStarted: number;
  /** Subscriptions to the core's events (the web server's and the soak's) left after shutdown. */
  coreListenersLeft: number;
  /** Fake `lms` processes still running once everything was shut down. */
  orphanLms: number[];
  finalState: ServerState;
}

/** `lms` commands only a user's action runs: the core's automatic paths never do. */
const USER_COMMANDS = new Set(['get', 'load', 'unload', 'server start', 'server stop']);
const SIM_TOKEN = 'sk-lm-soak-0123456789abcdef';
const PAGE_TOKEN = 'soak-page-token-0123456789abcdef';
const MAX_PAGES = 6;
/** Downloadable Hub keys (the URL entry downloads under another name). */
const CATALOG_KEYS = DEFAULT_CATALOG.filter((c) => !c.key.startsWith('https://')).map((c) => c.key);
const CATALOG_MODEL_KEYS = new Set(DEFAULT_CATALOG.map((c) => c.model.key));
/** Upper bound for one round, whatever happens inside it. */
const ROUND_LIMIT_MS = 90_000;

/** A small deterministic generator, so a run can be repeated with the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of heap used over time, in MB per 10 minutes. */
export function heapSlopeMbPer10Min(samples: readonly HeapSample[]): number | null {
  if (samples.length < 3) return null;
  const n = samples.length;
  const meanX = samples.reduce((s, p) => s + p.atSeconds, 0) / n;
  const meanY = samples.reduce((s, p) => s + p.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.atSeconds - meanX) * (p.mb - meanY);
    den += (p.atSeconds - meanX) ** 2;
  }
  return den === 0 ? null : (num / den) * 600;
}

/** Counts of the process's active handles by type (timers, sockets, servers, children). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Handle types with more open now than at `start` ("Timeout 0 → 1"); fewer is fine (others' timers end). */
export function resourcesAbove(start: Record<string, number>): string[] {
  return Object.entries(activeResources())
    .filter(([type, count]) => count > (start[type] ?? 0))
    .map(([type, count]) => `${type} ${start[type] ?? 0} → ${count}`);
}

/** Handles close a turn or a few after their `close()` resolves: waits (5 s at most) for them. */
export async function resourcesLeftAfter(start: Record<string, number>): Promise<string[]> {
  for (let i = 0; i < 50 && resourcesAbove(start).length > 0; i++) await sleep(100);
  return resourcesAbove(start);
}

/** Listeners on `process`, by event name. */
export function processListeners(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.eventNames()) counts[String(name)] = process.listenerCount(name);
  return counts;
}

/** One page of the web mode: a real `ws` client with the page's credentials. */
class Page {
  private nextId = 1;
  private readonly pending = new Map<number, (answered: boolean) => void>();
  readonly closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    // A reset connection is part of the soak; without a listener it would throw.
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: number };
      if (message.type === 'result' && message.id !== undefined) {
        this.pending.get(message.id)?.(true);
        this.pending.delete(message.id);
      }
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', () => {
        for (const settle of this.pending.values()) settle(false);
        this.pending.clear();
        resolve();
      });
    });
  }

  static open(port: number, viaQuery: boolean): Promise<Page> {
    const origin = `http://127.0.0.1:${port}`;
    const url = `ws://127.0.0.1:${port}${WEB_SOCKET_PATH}${viaQuery ? `?token=${PAGE_TOKEN}` : ''}`;
    const headers = viaQuery ? {} : { cookie: `${sessionCookieName(port)}=${sessionCookieValue(PAGE_TOKEN, port)}` };
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin, headers });
      const refused = (error: Error) => reject(error);
      ws.once('error', refused);
      ws.once('open', () => {
        ws.off('error', refused);
        resolve(new Page(ws));
      });
    });
  }

  /** Resolves true once answered, false when the socket closed first. */
  invoke(name: CommandName, payload?: unknown): Promise<boolean> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.ws.readyState !== WebSocket.OPEN) return resolve(false);
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ type: 'invoke', id, name, payload }));
    });
  }
}

/** Runs the scenario for `durationMs`, then shuts everything down and reports. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const rand = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const between = ([low, high]: readonly [number, number]) => low + rand() * (high - low);
  const log = options.log ?? (() => undefined);

  const unhandledRejections: string[] = [];
  const onUnhandled = (reason: unknown) => {
    unhandledRejections.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  };
  process.on('unhandledRejection', onUnhandled);

  const sim = await startSimulator({
    downloadBytesPerSecond: options.downloadBytesPerSecond ?? 2_000_000_000,
    // The simulator shares the soak's heap: its logs fill up during warm-up, not across the run.
    historyKept: 200,
  });
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'lmstudio-tray-soak-'));
  // The web server needs a page to serve; the soak's pages only speak WebSocket.
  const staticDir = path.join(configDir, 'renderer');
  await mkdir(staticDir);
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>LM Studio Tray</title>');

  const timeline: TimelineEntry[] = [];
  const note = (entry: TimelineEntry) => timeline.push(entry);
  let lmsStarted = 0;
  /** When the core last started each `lms` command line (a few per line), to tell wakes apart. */
  const spawnedAt = new Map<string, number[]>();
  /** When LM Studio last went away (crash or quit), newest last. */
  const wentDownAt: number[] = [];
  const markedSpawn: SpawnFn = (command, args, spawnOptions) => {
    lmsStarted++;
    const line = args.join(' ');
    spawnedAt.set(line, [...(spawnedAt.get(line) ?? []), Date.now()].slice(-5));
    return spawnWithoutShell(command, args, {
      ...spawnOptions,
      env: { ...(spawnOptions.env ?? process.env), [MARKER_VARIABLE]: options.marker },
    });
  };
  const realCore = createTrayCore(
    {
      clock: systemClock,
      spawn: markedSpawn,
      fs: nodeFileSystem,
      notifier: { show: (notification) => note({ at: Date.now(), type: 'notification', notification }) },
      logger: createConsoleLogger(process.env.LMSTUDIO_TRAY_LOG === 'debug' ? 'debug' : 'silent'),
      environment: { platform: process.platform, homedir: sim.homeDir, env: { PATH: process.env.PATH } },
      configDir,
      overrides: { pollIntervalMs: options.pollIntervalMs },
      transport: 'web',
      appVersion: 'soak',
      which: async () => null,
    },
    { flapWindowMs: options.flapWindowMs },
  );
  // The same core, counting who listens to it: every subscription must be undone by shutdown.
  let coreListeners = 0;
  const core: TrayCore = {
    ...realCore,
    onEvent(listener) {
      coreListeners++;
      const off = realCore.onEvent(listener);
      let subscribed = true;
      return () => {
        if (subscribed) coreListeners--;
        subscribed = false;
        off();
      };
    },
  };

  let shown: ServerState = 'checking';
  let statusChanges = 0;
  const downloads: Record<string, number> = {};
  const completedModels: string[] = [];
  const failedModels: string[] = [];
  const endedSeen = new Set<string>();
  let shuttingDown = false;
  const countEnded = (d: DownloadState) => {
    const key = `${d.id}:${d.startedAt}:${d.endedAt}`;
    if (d.endedAt === null || endedSeen.has(key) || shuttingDown) return;
    endedSeen.add(key);
    if (options.trace) log(`download ${d.model} ${d.status}: ${d.message ?? ''}`);
    downloads[d.status] = (downloads[d.status] ?? 0) + 1;
    if (d.status === 'completed') completedModels.push(d.model);
    if (d.status === 'failed') failedModels.push(d.model);
  };
  const offEvents = core.onEvent((event: AppEvent) => {
    if (event.name === 'server:status-changed' && event.payload.state !== shown) {
      shown = event.payload.state;
      statusChanges++;
      note({ at: Date.now(), type: 'status', state: shown });
    }
    if (event.name === 'downloads:changed') for (const d of event.payload) countEnded(d);
  });

  const rounds = Object.fromEntries(ROUND_KINDS.map((kind) => [kind, 0])) as Record<RoundKind, number>;
  const unexpected: string[] = [];
  let recoveryTimeouts = 0;
  let hungRounds = 0;
  const loads = { ok: 0, refused: 0 };
  let unloads = 0;
  const pageStats = { connected: 0, dropped: 0, closed: 0, commands: 0, answered: 0 };
  const pages = new Set<Page>();
  let authOn = false;
  let coreHasToken = false;
  const heap: HeapSample[] = [];
  const startedAt = Date.now();
  const sampleHeap = () => {
    options.gc?.();
    heap.push({ atSeconds: (Date.now() - startedAt) / 1000, mb: process.memoryUsage().heapUsed / 1_048_576 });
  };

  await core.start();
  const web: WebServer = await startWebServer({
    core,
    host: '127.0.0.1',
    port: 0,
    token: PAGE_TOKEN,
    staticDir,
    logger: createConsoleLogger('silent'),
    heartbeatMs: 5000,
  });

  // ---------------------------------------------------------------------------------------------
  // Helpers of the rounds
  // ---------------------------------------------------------------------------------------------

  async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() >= until) return false;
      await sleep(50);
    }
    return true;
  }

  /** LM Studio as the rounds expect it between them: up, serving, seen online by the core. */
  async function recover(): Promise<void> {
    await sim.launchApp();
    await sim.startServer();
    if (!(await waitFor(() => shown === 'online', options.recoveryTimeoutMs))) {
      recoveryTimeouts++;
      unexpected.push(`not back online within ${options.recoveryTimeoutMs} ms (shows ${shown})`);
    }
  }

  async function appGoesAway(how: 'crash' | 'quit'): Promise<void> {
    wentDownAt.push(Date.now());
    if (wentDownAt.length > 5) wentDownAt.shift();
    await (how === 'crash' ? sim.crash() : sim.quitApp());
  }

  const wakes = { asked: 0, unasked: [] as string[], raced: [] as string[] };
  let wakesSeen = 0;
  /** Sorts the wakes since the last call (called after each round, while the times are at hand). */
  function classifyWakes(): void {
    const all = sim.state.wakes();
    const fresh = all.slice(Math.max(0, all.length - (sim.state.wakeCount() - wakesSeen)));
    wakesSeen = sim.state.wakeCount();
    for (const { argv, at } of fresh) {
      const line = argv.join(' ');
      if (USER_COMMANDS.has(argv[0] ?? '') || USER_COMMANDS.has(argv.slice(0, 2).join(' '))) {
        wakes.asked++;
        continue;
      }
      const started = (spawnedAt.get(line) ?? []).filter((t) => t <= at).at(-1);
      const down = wentDownAt.filter((t) => t <= at).at(-1);
      if (started !== undefined && down !== undefined && started < down) {
        wakes.raced.push(`lms ${line}: started ${down - started} ms before LM Studio went away`);
      } else {
        wakes.unasked.push(`lms ${line}`);
      }
    }
  }

  async function outage(kind: 'crash' | 'quit' | 'server-stop', ms: number): Promise<void> {
    if (kind === 'crash' || kind === 'quit') await appGoesAway(kind);
    else await sim.stopServer();
    await sleep(ms);
    if (kind === 'server-stop') await sim.startServer();
    else await sim.launchApp();
  }

  const downloadOf = (id: string) => core.snapshot().downloads.find((d) => d.id === id);

  /** Starts a download of a catalog model LM Studio does not have; resolves with its row, or null. */
  async function startDownload(): Promise<DownloadState | null> {
    const have = new Set(sim.state.models().map((m) => m.key.toLowerCase()));
    const busy = new Set(
      core
        .snapshot()
        .downloads.filter((d) => d.endedAt === null)
        .map((d) => d.model),
    );
    const free = CATALOG_KEYS.filter((key) => !have.has(key.toLowerCase()) && !busy.has(key));
    if (free.length === 0) return null;
    const result = await core.invoke('downloads:start', { model: pick(free) });
    if (!result.ok) {
      unexpected.push(`downloads:start refused: ${result.error.message}`);
      return null;
    }
    return result.value;
  }

  async function downloadRound(want: 'completed' | 'cancelled' | 'failed'): Promise<void> {
    if (want === 'cancelled') sim.configure({ stallDownloads: true });
    // A failure the supervisor does not retry (no such variant): a network failure would be
    // retried to completion, which the supervisor's own tests cover.
    if (want === 'failed') sim.configure({ failNextDownload: '*', failNextDownloadAs: 'no-variant' });
    const started = await startDownload();
    if (started === null) {
      sim.configure({ stallDownloads: false, failNextDownload: null, failNextDownloadAs: 'connection-lost' });
      return;
    }
    if (want === 'cancelled') {
      await waitFor(() => downloadOf(started.id)?.status === 'downloading', 10_000);
      const cancel = await core.invoke('downloads:cancel', { id: started.id });
      if (!cancel.ok) unexpected.push(`downloads:cancel refused: ${cancel.error.message}`);
    }
    await waitFor(() => downloadOf(started.id)?.endedAt != null, 30_000);
    sim.configure({ stallDownloads: false, failNextDownload: null, failNextDownloadAs: 'connection-lost' });
    const ended = downloadOf(started.id);
    if (ended) countEnded(ended);
    if (ended?.status !== want) unexpected.push(`download to be ${want} ended ${ended?.status ?? 'never'}`);
    if (want === 'failed' && ended?.status === 'failed' && rand() < 0.5) {
      const retry = await core.invoke('downloads:retry', { id: started.id });
      if (retry.ok) await waitFor(() => downloadOf(retry.value.id)?.endedAt != null, 30_000);
      const retried = retry.ok ? downloadOf(retry.value.id) : undefined;
      if (retried) countEnded(retried);
    }
  }

  /** Keeps the rounds repeatable: downloaded catalog models are deleted, ended rows dismissed. */
  async function tidy(): Promise<void> {
    const running = new Set(
      core
        .snapshot()
        .downloads.filter((d) => d.endedAt === null)
        .map((d) => d.model),
    );
    for (const entry of DEFAULT_CATALOG) {
      if (!running.has(entry.key)) sim.deleteModel(entry.model.key);
    }
    for (const d of core.snapshot().downloads) {
      if (d.endedAt === null) continue;
      // downloads:changed is coalesced: the ended row may not have been sent yet.
      countEnded(d);
      await core.invoke('downloads:dismiss', { id: d.id });
    }
    if (sim.state.loaded().length >= 3) {
      const result = await core.invoke('models:unload-all', undefined);
      if (result.ok) unloads++;
    }
  }

  const loadableModels = () =>
    core.snapshot().models.models.filter((m) => m.type !== 'embedding' && !CATALOG_MODEL_KEYS.has(m.key));

  async function loadRound(refused: boolean): Promise<void> {
    const candidates = loadableModels();
    if (candidates.length === 0) return;
    const model = pick(candidates);
    if (refused) sim.configure({ failNextLoad: model.key });
    const result = await core.invoke('models:load', { modelKey: model.key });
    sim.configure({ failNextLoad: null });
    if (result.ok) loads.ok++;
    else loads.refused++;
    if (result.ok === refused) unexpected.push(`load of ${model.key} ${result.ok ? 'succeeded' : 'was refused'}`);
  }

  async function pagesRound(): Promise<void> {
    for (let i = 0, n = 2 + Math.floor(rand() * 5); i < n; i++) {
      if (pages.size === 0 || (pages.size < MAX_PAGES && rand() < 0.5)) {
        const page = await Page.open(web.port, rand() < 0.5);
        pages.add(page);
        void page.closed.then(() => pages.delete(page));
        pageStats.connected++;
      }
      const page = pick([...pages]);
      const commands: Array<[CommandName, unknown]> = [
        ['app:get-snapshot', undefined],
        ['server:refresh', undefined],
        ['models:refresh', undefined],
        ['settings:get', undefined],
        ['app:popup-visibility', { visible: rand() < 0.5 }],
      ];
      const sent = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => {
        pageStats.commands++;
        const [name, payload] = pick(commands);
        return page.invoke(name, payload);
      });
      const ending = rand();
      if (ending < 0.35) {
        // Gone without a goodbye, commands still in flight (a laptop lid, a killed tab).
        page.ws.terminate();
        pageStats.dropped++;
      } else if (ending < 0.5) {
        page.ws.close(1000);
        pageStats.closed++;
      }
      for (const answered of await Promise.all(sent)) if (answered) pageStats.answered++;
    }
  }

  async function playRound(kind: RoundKind): Promise<void> {
    switch (kind) {
      case 'crash':
      case 'quit':
      case 'server-stop':
        return outage(kind, between(options.outageMs));
      case 'flap':
        for (let i = 0, n = 3 + Math.floor(rand() * 3); i < n; i++) {
          await outage(rand() < 0.5 ? 'crash' : 'server-stop', between(options.outageMs) / 3);
          await sleep(200 + rand() * 400);
        }
        return;
      case 'auth-on-off': {
        authOn = true;
        sim.configure({ token: SIM_TOKEN, greetingNeedsToken: rand() < 0.5 });
        const expected: ServerState = coreHasToken ? 'online' : 'unauthorized';
        if (!(await waitFor(() => shown === expected, options.recoveryTimeoutMs))) {
          unexpected.push(`auth on, token ${coreHasToken ? 'set' : 'not set'}: shows ${shown}, not ${expected}`);
        }
        await sleep(between(options.outageMs));
        sim.configure({ token: null });
        authOn = false;
        return;
      }
      case 'token-setting': {
        coreHasToken = !coreHasToken;
        note({ at: Date.now(), type: 'settings-changed' });
        const result = await core.invoke('settings:update', { apiToken: coreHasToken ? SIM_TOKEN : null });
        if (!result.ok) unexpected.push(`settings:update refused: ${result.error.message}`);
        return;
      }
      case 'download-complete':
        return downloadRound('completed');
      case 'download-cancel':
        return downloadRound('cancelled');
      case 'download-fail':
        return downloadRound('failed');
      case 'load':
        return loadRound(false);
      case 'load-refused':
        return loadRound(true);
      case 'unload': {
        const loaded = core.snapshot().models.loaded;
        const result =
          loaded.length > 0 && rand() < 0.7
            ? await core.invoke('models:unload', { identifier: pick(loaded).identifier })
            : await core.invoke('models:unload-all', undefined);
        if (result.ok) unloads++;
        else unexpected.push(`unload refused: ${result.error.message}`);
        return;
      }
      case 'user-stop-start': {
        note({ at: Date.now(), type: 'user-stop' });
        const stop = await core.invoke('server:stop', undefined);
        if (!stop.ok) unexpected.push(`server:stop refused: ${stop.error.message}`);
        await waitFor(() => shown !== 'online', 5000);
        await sleep(between(options.outageMs));
        const start = await core.invoke('server:start', undefined);
        if (!start.ok) unexpected.push(`server:start refused: ${start.error.message}`);
        await waitFor(() => shown === 'online', options.recoveryTimeoutMs);
        // The confirming probe may land just after the status shows it.
        await sleep(options.pollIntervalMs);
        note({ at: Date.now(), type: 'user-stop-over' });
        return;
      }
      case 'user-start-wakes': {
        // The user asks for the server while LM Studio is closed: `lms server start` wakes it, as asked.
        await appGoesAway('quit');
        await waitFor(() => shown !== 'online', options.recoveryTimeoutMs);
        const start = await core.invoke('server:start', undefined);
        if (!start.ok) unexpected.push(`server:start with LM Studio closed refused: ${start.error.message}`);
        return;
      }
      case 'pages':
        return pagesRound();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The rounds
  // ---------------------------------------------------------------------------------------------

  await waitFor(() => shown === 'online', options.recoveryTimeoutMs);
  sampleHeap();
  const heapTimer = options.heapSampleEveryMs > 0 ? setInterval(sampleHeap, options.heapSampleEveryMs) : null;
  let lastLog = Date.now();
  const deadline = startedAt + options.durationMs;
  let deck: RoundKind[] = [];
  try {
    let played = 0;
    while ((Date.now() < deadline || played < (options.minRounds ?? 0)) && !options.stop?.aborted) {
      played++;
      if (deck.length === 0) deck = [...ROUND_KINDS].sort(() => rand() - 0.5);
      const kind = deck.pop()!;
      rounds[kind]++;
      if (options.trace) log(`round ${kind} (shows ${shown})`);
      let limit: NodeJS.Timeout | undefined;
      const bounded = await Promise.race([
        playRound(kind).then(
          () => true,
          (error: unknown) => {
            unexpected.push(`round ${kind} threw: ${error instanceof Error ? error.message : String(error)}`);
            return true;
          },
        ),
        new Promise<false>((resolve) => {
          limit = setTimeout(() => resolve(false), ROUND_LIMIT_MS);
        }),
      ]);
      clearTimeout(limit);
      if (!bounded) {
        hungRounds++;
        unexpected.push(`round ${kind} did not end within ${ROUND_LIMIT_MS} ms`);
      }
      classifyWakes();
      if (options.trace) log(`round ${kind} over (shows ${shown}, ${sim.state.wakeCount()} wakes so far)`);
      if (authOn) sim.configure({ token: null });
      authOn = false;
      await recover();
      await tidy();
      await sleep(between(options.pauseMs));
      if (Date.now() - lastLog >= 60_000) {
        lastLog = Date.now();
        const done = Object.values(rounds).reduce((a, b) => a + b, 0);
        const lastHeap = heap.at(-1)?.mb.toFixed(1) ?? '?';
        log(
          `${Math.round((Date.now() - startedAt) / 1000)} s: ${done} rounds, heap ${lastHeap} MB, ${pages.size} pages`,
        );
      }
    }
  } finally {
    if (heapTimer) clearInterval(heapTimer);
  }
  sampleHeap();
  const finalState = shown;

  // Shut down as the user would: pages first dropped or closed, then the tray, then LM Studio.
  note({ at: Date.now(), type: 'shutdown' });
  shuttingDown = true;
  for (const page of pages) page.ws.terminate();
  await Promise.all([...pages].map((page) => page.closed));
  await web.close();
  await core.shutdown({ cancelDownloads: true });
  offEvents();
  classifyWakes();
  await sim.close();
  await rm(configDir, { recursive: true, force: true });
  const orphanLms = processesWithMarker(options.marker);
  // A rejection surfaces a turn after the promise fails: give the last ones a moment.
  await sleep(100);
  process.off('unhandledRejection', onUnhandled);
  return {
    seconds: Math.round((Date.now() - startedAt) / 1000),
    rounds,
    unexpected,
    recoveryTimeouts,
    hungRounds,
    statusChanges,
    notifications: countByKind(timeline),
    policyViolations: checkNotifications(
      timeline,
      { completed: completedModels, failed: failedModels, loadsRefused: loads.refused },
      options.flapWindowMs,
    ),
    downloads,
    loads,
    unloads,
    pages: pageStats,
    heap,
    gcForced: options.gc !== null,
    unhandledRejections,
    wakes,
    lmsStarted,
    coreListenersLeft: coreListeners,
    orphanLms,
    finalState,
  };
}
