/**
 * The monitor's decisions, with vitest's fake timers, a scripted client and an `lms` whose
 * waking commands record the call and throw. monitor-simulator.test.ts runs it for real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../../../electron/core/errors';
import {
  CONNECT_CHECK_DOWN_MS,
  CONNECT_CHECK_MS,
  createHealthMonitor,
  GRACE_RECHECK_MS,
  type HealthMonitorOptions,
  VERDICT_FRESH_MS,
} from '../../../../electron/core/health/monitor';
import type {
  ConnectResult,
  GreetingResult,
  LmStudioClient,
  LmsCli,
  ModelListing,
} from '../../../../electron/core/interfaces';
import { TOKEN_REFUSED_MESSAGE, TOKEN_REQUIRED_MESSAGE } from '../../../../electron/core/lmstudio/client';
import type { Clock, Logger } from '../../../../electron/core/ports';
import type { ServerStatus } from '../../../../electron/shared/contract';

const POLL_MS = 5_000;
const CONFIRM_MS = 250;

/** Timers looked up at call time, so vitest's fake timers drive them. */
const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A client whose greeting, connect check and model list the test sets; it counts what was asked. */
class FakeClient implements LmStudioClient {
  greeting: GreetingResult = { kind: 'lmstudio' };
  /** What a bare connection finds; by default what the greeting implies. */
  connectResult: ConnectResult | null = null;
  listing: () => Promise<ModelListing> = async () => ({ generation: 'v1', models: [], loaded: [] });
  greetings = 0;
  connects = 0;
  listings = 0;
  watchers: Array<{ onClosed: () => void; stopped: boolean }> = [];

  constructor(
    readonly baseUrl = 'http://127.0.0.1:1234',
    readonly port = 1234,
    readonly isLocal = true,
  ) {}

  async greet(): Promise<GreetingResult> {
    this.greetings++;
    return this.greeting;
  }

  async connectCheck(): Promise<ConnectResult> {
    this.connects++;
    if (this.connectResult) return this.connectResult;
    return this.greeting.kind === 'refused' ? 'refused' : 'connected';
  }

  watchConnection(onClosed: () => void): () => void {
    const watcher = { onClosed, stopped: false };
    this.watchers.push(watcher);
    return () => {
      watcher.stopped = true;
    };
  }

  /** The watched socket closes (the server died, or closed an idle socket). */
  closeWatched(): void {
    const live = this.watchers.filter((w) => !w.stopped);
    expect(live).toHaveLength(1);
    live[0]!.stopped = true;
    live[0]!.onClosed();
  }

  liveWatchers(): number {
    return this.watchers.filter((w) => !w.stopped).length;
  }

  listModels(): Promise<ModelListing> {
    this.listings++;
    return this.listing();
  }

  loadModel(): never {
    throw new Error('the monitor must not load models');
  }
  unloadModel(): never {
    throw new Error('the monitor must not unload models');
  }
  startDownload(): never {
    throw new Error('the monitor must not download');
  }
  downloadStatus(): never {
    throw new Error('the monitor must not poll downloads');
  }
}

/** `lms` whose non-waking commands answer as set and whose waking commands record and throw. */
interface LmsState {
  daemon: boolean;
  daemonError?: Error;
  server: { running: boolean; port: number | null } | Error;
}

function fakeLms(state: LmsState) {
  const woken: string[] = [];
  const calls: string[] = [];
  const waking = (name: string) => () => {
    woken.push(name);
    throw new Error(`\`lms ${name}\` wakes LM Studio and must never run from the monitor`);
  };
  const lms: LmsCli = {
    path: '/home/me/.lmstudio/bin/lms',
    async daemonStatus() {
      calls.push('daemon status');
      if (state.daemonError) throw state.daemonError;
      return { running: state.daemon, pid: state.daemon ? 42 : null };
    },
    async serverStatus() {
      calls.push('server status');
      if (state.server instanceof Error) throw state.server;
      return state.server;
    },
    async version() {
      return 'abc123';
    },
    ls: waking('ls'),
    ps: waking('ps'),
    serverStart: waking('server start'),
    serverStop: waking('server stop'),
    load: waking('load'),
    unload: waking('unload'),
    unloadAll: waking('unload --all'),
    estimate: waking('load --estimate-only'),
    runtimeSurvey: waking('runtime survey'),
    logStream: waking('log stream'),
    async lmStudioVersion() {
      calls.push('daemon status (plain)');
      return null;
    },
    get: waking('get'),
  };
  return { lms, woken, calls };
}

interface Rig {
  client: FakeClient;
  lmsState: LmsState;
  lms: ReturnType<typeof fakeLms>;
  monitor: ReturnType<typeof createHealthMonitor>;
  changes: Array<{ status: ServerStatus; previous: ServerStatus }>;
  /** The status as shown, one entry per change. */
  states: () => string[];
  /** Confirmed transitions (what notifications follow), as `previous -> state`. */
  transitions: string[];
  options: HealthMonitorOptions;
}

let rigs: Rig[] = [];

function rig({
  client = new FakeClient(),
  noLms = false,
  ...overrides
}: Partial<Omit<HealthMonitorOptions, 'client'>> & { client?: FakeClient; noLms?: boolean } = {}): Rig {
  const lmsState: Rig['lmsState'] = { daemon: true, server: { running: false, port: 1234 } };
  const lms = fakeLms(lmsState);
  const options: HealthMonitorOptions = {
    client: () => client,
    lms: () => (noLms ? null : lms.lms),
    lmsDiscovery: () =>
      noLms
        ? { path: null, searched: ['PATH', '/home/me/.lmstudio/bin/lms', '/home/me/.cache/lm-studio/bin/lms'] }
        : { path: lms.lms.path, searched: ['PATH'] },
    clock,
    logger,
    pollIntervalMs: () => POLL_MS,
    confirmDelayMs: CONFIRM_MS,
    resumeGraceMs: 10_000,
    ...overrides,
  };
  const monitor = createHealthMonitor(options);
  const changes: Rig['changes'] = [];
  monitor.onChange((status, previous) => changes.push({ status, previous }));
  const transitions: string[] = [];
  monitor.onTransition((status, previous) => transitions.push(`${previous.state} -> ${status.state}`));
  const states = () => changes.map((c) => c.status.state);
  const made = { client, lmsState, lms, monitor, changes, transitions, options, states };
  rigs.push(made);
  return made;
}

async function startOnline(r: Rig) {
  r.monitor.start();
  await vi.advanceTimersByTimeAsync(0);
  expect(r.monitor.current().state).toBe('online');
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const r of rigs) {
    r.monitor.stop();
    // Whatever happened, no waking `lms` command ran.
    expect(r.lms.woken).toEqual([]);
  }
  rigs = [];
  vi.useRealTimers();
});

describe('states', () => {
  it('starts as checking, then online with the generation the token check saw', async () => {
    const r = rig();
    expect(r.monitor.current()).toMatchObject({ state: 'checking', baseUrl: 'http://127.0.0.1:1234', port: 1234 });
    await startOnline(r);
    expect(r.states()).toEqual(['online']);
    expect(r.changes[0]!.previous.state).toBe('checking');
    expect(r.monitor.current()).toMatchObject({
      detail: '',
      apiGeneration: 'v1',
      remote: false,
      lmsPath: '/home/me/.lmstudio/bin/lms',
      unstable: false,
      lmStudioClosed: false,
    });
  });

  it('prefers the generation the model service reports', async () => {
    const r = rig({ modelsGeneration: () => 'v0' });
    await startOnline(r);
    expect(r.monitor.current().apiGeneration).toBe('v0');
  });

  it('refused + daemon not running -> offline, with how to start it', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    expect(await r.monitor.checkNow()).toMatchObject({
      state: 'offline',
      detail: 'LM Studio is not running. Open LM Studio, or start the server with `lms server start`.',
    });
    expect(r.lms.calls).toEqual(['daemon status']);
  });

  it('refused + daemon running -> server-stopped', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    expect(await r.monitor.checkNow()).toMatchObject({
      state: 'server-stopped',
      detail: 'LM Studio is open but its server is off. Start it here or run `lms server start`.',
    });
  });

  it('a failing `lms server status` only loses the finer message', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.server = new Error('timed out');
    expect((await r.monitor.checkNow()).state).toBe('server-stopped');
    expect(r.lms.calls).toEqual(['daemon status', 'server status']);
  });

  it('refused while the server runs on another port -> says which port to use', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.server = { running: true, port: 5678 };
    expect((await r.monitor.checkNow()).detail).toBe(
      'LM Studio’s server runs on port 5678, not 1234. Change the LM Studio address in Settings to http://127.0.0.1:5678.',
    );
  });

  it('refused and `lms` failing -> offline, saying lms could not tell', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemonError = new Error('lms exited with code 1.');
    const status = await r.monitor.checkNow();
    expect(status.state).toBe('offline');
    expect(status.detail).toMatch(/`lms` could not tell: lms exited with code 1\)/);
  });

  it('refused without `lms` -> offline, naming where it looked and the install link', async () => {
    const r = rig({ noLms: true });
    r.client.greeting = { kind: 'refused' };
    const status = await r.monitor.checkNow();
    expect(status).toMatchObject({ state: 'offline', lmsPath: null });
    expect(status.detail).toBe(
      'LM Studio is not running, and its `lms` command was not found (looked in PATH, /home/me/.lmstudio/bin/lms, /home/me/.cache/lm-studio/bin/lms). Install LM Studio from https://lmstudio.ai/download, or set the path to `lms` in Settings.',
    );
    expect(status.lmsSearched).toHaveLength(3);
  });

  it('a remote server refusing -> offline without asking the local lms', async () => {
    const r = rig({ client: new FakeClient('http://gpu-box:1234', 1234, false) });
    r.client.greeting = { kind: 'refused' };
    const status = await r.monitor.checkNow();
    expect(status).toMatchObject({ state: 'offline', remote: true, lmsPath: null });
    expect(status.detail).toMatch(/^Nothing answers at http:\/\/gpu-box:1234\./);
    expect(r.lms.calls).toEqual([]);
  });

  it.each([
    [{ kind: 'unauthorized', message: 'token', tokenSent: false } as const, 'unauthorized', TOKEN_REQUIRED_MESSAGE],
    [{ kind: 'unauthorized', message: 'token', tokenSent: true } as const, 'unauthorized', TOKEN_REFUSED_MESSAGE],
    [
      { kind: 'foreign', message: 'It answered HTTP 200 with a web page instead of LM Studio’s greeting.' } as const,
      'foreign',
      'Another program answers on port 1234. It answered HTTP 200 with a web page instead of LM Studio’s greeting. Change the LM Studio address in Settings.',
    ],
    [
      { kind: 'timeout' } as const,
      'not-responding',
      'LM Studio accepts connections on port 1234 but did not answer within 1.5 s. It may be busy or stuck: wait a moment, or restart LM Studio.',
    ],
    [
      { kind: 'error', message: 'read ECONNRESET' } as const,
      'not-responding',
      'LM Studio at http://127.0.0.1:1234 could not be reached (read ECONNRESET). Check the LM Studio address in Settings.',
    ],
  ])('greeting %j -> %s', async (greeting, state, detail) => {
    const r = rig();
    r.client.greeting = greeting;
    expect(await r.monitor.checkNow()).toMatchObject({ state, detail });
  });

  it('a greeting that needs no token, but a model list that does -> unauthorized until the token is fixed', async () => {
    const r = rig();
    r.client.listing = () => Promise.reject(new CoreError('unauthorized', TOKEN_REQUIRED_MESSAGE));
    r.monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current()).toMatchObject({ state: 'unauthorized', detail: TOKEN_REQUIRED_MESSAGE });
    r.client.listing = async () => ({ generation: 'v1', models: [], loaded: [] });
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.states()).toEqual(['unauthorized', 'online']);
  });

  it('checks the token once per coming online, not on every poll', async () => {
    const r = rig();
    await startOnline(r);
    await vi.advanceTimersByTimeAsync(POLL_MS * 4);
    expect(r.client.greetings).toBe(5);
    expect(r.client.listings).toBe(1);
  });

  it('checkNow re-checks the token: a wrong one saved while online is caught at once', async () => {
    const r = rig();
    await startOnline(r);
    r.client.listing = () => Promise.reject(new CoreError('forbidden', 'LM Studio refused the API token.'));
    expect(await r.monitor.checkNow()).toMatchObject({
      state: 'unauthorized',
      detail: 'LM Studio refused the API token.',
    });
  });

  it('a model list failing for another reason does not hide that the server is up', async () => {
    const r = rig();
    r.client.listing = () => Promise.reject(new CoreError('server-error', 'LM Studio could not list its models'));
    await startOnline(r);
  });
});

describe('transitions and notifications of change', () => {
  it('fires onChange on change only, not on identical polls', async () => {
    const r = rig();
    await startOnline(r);
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(r.changes).toHaveLength(1);
    expect(r.monitor.current().checkedAt).toBeGreaterThan(r.monitor.current().since);
  });

  it('fires onChange when only the detail changes (offline -> lms now missing)', async () => {
    let lmsFound = true;
    const r = rig();
    r.options.lms = () => (lmsFound ? r.lms.lms : null);
    const monitor = createHealthMonitor(r.options);
    const seen: string[] = [];
    monitor.onChange((s) => seen.push(`${s.state}:${s.lmsPath}`));
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    await monitor.checkNow();
    lmsFound = false;
    await monitor.checkNow();
    expect(seen).toEqual(['offline:/home/me/.lmstudio/bin/lms', 'offline:null']);
  });

  it('offline -> server-stopped -> online -> (confirmed) offline', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    r.monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    r.lmsState.daemon = true;
    await r.monitor.checkNow();
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(POLL_MS);
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    await vi.advanceTimersByTimeAsync(POLL_MS + CONFIRM_MS);
    // Shown at once with lms's last verdict on the port (under a minute old), then refined.
    expect(r.states()).toEqual(['offline', 'server-stopped', 'online', 'server-stopped', 'offline']);
    expect(r.transitions).toEqual([
      'checking -> offline',
      'offline -> server-stopped',
      'server-stopped -> online',
      'online -> offline',
    ]);
    const offline = r.changes[4]!.status;
    expect(offline.since).toBe(offline.checkedAt);
  });

  it('notices the first recovery within one poll interval, however long the outage', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    r.monitor.start();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.monitor.current().state).toBe('online');
  });

  it('asks `lms` less and less often during a long outage (greeting every poll)', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    r.monitor.start();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    const daemonRuns = r.lms.calls.filter((c) => c === 'daemon status').length;
    expect(r.client.greetings).toBe(121);
    expect(daemonRuns).toBeGreaterThanOrEqual(20);
    expect(daemonRuns).toBeLessThanOrEqual(30);
  });

  it('reads the poll interval on every poll', async () => {
    let interval = POLL_MS;
    const r = rig({ pollIntervalMs: () => interval });
    await startOnline(r);
    interval = 60_000;
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.client.greetings).toBe(2);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(r.client.greetings).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.client.greetings).toBe(3);
  });

  it('marks three outages/recoveries within a minute as unstable, and clears it once calm', async () => {
    const r = rig();
    await startOnline(r);
    for (const greeting of [{ kind: 'refused' }, { kind: 'lmstudio' }, { kind: 'refused' }] as const) {
      r.client.greeting = greeting;
      const checked = r.monitor.checkNow();
      await vi.advanceTimersByTimeAsync(CONFIRM_MS);
      await checked;
    }
    expect(r.monitor.current()).toMatchObject({ state: 'server-stopped', unstable: true });
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(61_000);
    expect(r.monitor.current()).toMatchObject({ state: 'online', unstable: false });
    expect(r.changes.at(-1)!.status.unstable).toBe(false);
  });
});

describe('confirmation', () => {
  it('a remote server: one failed probe is confirmed by a second one before leaving online', async () => {
    const r = rig({ client: new FakeClient('http://gpu-box:1234', 1234, false) });
    await startOnline(r);
    const greet = vi.spyOn(r.client, 'greet');
    greet.mockResolvedValueOnce({ kind: 'refused' });
    const result = r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(CONFIRM_MS - 1);
    expect(greet).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toMatchObject({ state: 'online' });
    expect(greet).toHaveBeenCalledTimes(2);
    expect(r.states()).toEqual(['online']);
  });

  it('a local blip (refused, then the confirming probe succeeds) shows at once but is never a transition', async () => {
    const r = rig();
    await startOnline(r);
    const greet = vi.spyOn(r.client, 'greet');
    greet.mockResolvedValueOnce({ kind: 'refused' });
    const result = r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current().state).not.toBe('online');
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    expect(await result).toMatchObject({ state: 'online', unstable: false });
    expect(r.states()[0]).toBe('online');
    expect(r.states().at(-1)).toBe('online');
    expect(r.transitions).toEqual(['checking -> online']);
  });

  it('blips never count towards unstable; confirmed outages do', async () => {
    const r = rig();
    await startOnline(r);
    for (let i = 0; i < 4; i++) {
      vi.spyOn(r.client, 'greet').mockResolvedValueOnce({ kind: 'refused' });
      const checked = r.monitor.checkNow();
      await vi.advanceTimersByTimeAsync(CONFIRM_MS);
      await checked;
    }
    expect(r.monitor.current()).toMatchObject({ state: 'online', unstable: false });
    expect(r.transitions).toEqual(['checking -> online']);
  });

  it('leaves online as soon as the confirming probe fails too, classified already', async () => {
    const r = rig();
    await startOnline(r);
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    const result = r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    expect((await result).state).toBe('offline');
  });

  it('does not confirm failures that are not leaving online', async () => {
    const r = rig();
    r.client.greeting = { kind: 'timeout' };
    const greet = vi.spyOn(r.client, 'greet');
    expect((await r.monitor.checkNow()).state).toBe('not-responding');
    expect(greet).toHaveBeenCalledTimes(1);
  });
});

describe('coalescing', () => {
  it('checkNow joins a probe already running', async () => {
    const r = rig();
    let release!: (value: GreetingResult) => void;
    vi.spyOn(r.client, 'greet').mockImplementationOnce(() => new Promise((resolve) => (release = resolve)));
    const a = r.monitor.checkNow();
    const b = r.monitor.checkNow();
    expect(a).toBe(b);
    release({ kind: 'lmstudio' });
    expect((await a).state).toBe('online');
    expect(r.client.greetings).toBe(0);
    await r.monitor.checkNow();
    expect(r.client.greetings).toBe(1);
  });

  it('after the address changes, checkNow answers for the new server, not a probe of the old one', async () => {
    const oldServer = new FakeClient();
    let current = oldServer;
    const r = rig({ client: oldServer });
    r.options.client = () => current;
    const monitor = createHealthMonitor(r.options);
    let release!: (value: GreetingResult) => void;
    vi.spyOn(oldServer, 'greet').mockImplementationOnce(() => new Promise((resolve) => (release = resolve)));
    const before = monitor.checkNow();

    const newServer = new FakeClient('http://127.0.0.1:4321', 4321);
    newServer.greeting = { kind: 'refused' };
    current = newServer;
    const after = monitor.checkNow();
    release({ kind: 'lmstudio' });
    // The new server refuses: its outage is confirmed once, after a short delay.
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await before).baseUrl).toBe('http://127.0.0.1:1234');
    expect(await after).toMatchObject({ baseUrl: 'http://127.0.0.1:4321' });
    expect((await after).state).not.toBe('online');
    monitor.stop();
  });
});

describe('the connection watch', () => {
  it('is held while online and let go otherwise', async () => {
    const r = rig();
    await startOnline(r);
    expect(r.client.liveWatchers()).toBe(1);
    r.client.greeting = { kind: 'refused' };
    await vi.advanceTimersByTimeAsync(POLL_MS + CONFIRM_MS);
    expect(r.monitor.current().state).toBe('server-stopped');
    expect(r.client.liveWatchers()).toBe(0);
    r.monitor.stop();
  });

  it('a closed socket triggers a fresh check at once: offline at once, confirmed after the delay', async () => {
    const r = rig();
    await startOnline(r);
    await vi.advanceTimersByTimeAsync(1_000);
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    const before = Date.now();
    r.client.closeWatched();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current()).toMatchObject({ state: 'offline', since: before });
    expect(r.transitions).toEqual(['checking -> online']);
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    expect(r.monitor.current()).toMatchObject({ state: 'offline', since: before });
    expect(r.transitions).toEqual(['checking -> online', 'online -> offline']);
  });

  it('re-arms after an idle-socket close when the server is fine: no HTTP request, at most once a second', async () => {
    const r = rig();
    await startOnline(r);
    // A server that closes idle sockets at once would otherwise make this a busy loop.
    const connects = r.client.connects;
    r.client.closeWatched();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.client.connects).toBe(connects + 1);
    expect(r.client.greetings).toBe(1);
    expect(r.client.liveWatchers()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.client.liveWatchers()).toBe(1);
    for (let i = 0; i < 10; i++) {
      r.client.closeWatched();
      await vi.advanceTimersByTimeAsync(1_000);
    }
    // 1 start + 2 polls in 11 s: the closes cost connect checks only.
    expect(r.client.greetings).toBe(3);
    expect(r.client.watchers.length).toBe(12);
    expect(r.states()).toEqual(['online']);
  });

  it('a remote server: a closed socket triggers a greeting at once', async () => {
    const r = rig({ client: new FakeClient('http://gpu-box:1234', 1234, false) });
    await startOnline(r);
    r.client.closeWatched();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.client.greetings).toBe(2);
    expect(r.client.connects).toBe(0);
  });

  it('stop() and suspend() let the watch go and stop polling', async () => {
    const r = rig();
    await startOnline(r);
    r.monitor.suspend();
    expect(r.client.liveWatchers()).toBe(0);
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(r.client.greetings).toBe(1);
    r.monitor.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.client.liveWatchers()).toBe(1);
    r.monitor.stop();
    expect(r.client.liveWatchers()).toBe(0);
    const greetings = r.client.greetings;
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(r.client.greetings).toBe(greetings);
  });

  it('follows a new client (address changed in Settings)', async () => {
    const first = new FakeClient();
    const second = new FakeClient('http://127.0.0.1:5678', 5678);
    let current = first;
    const r = rig({ client: first });
    r.options.client = () => current;
    const monitor = createHealthMonitor(r.options);
    const seen: ServerStatus[] = [];
    monitor.onChange((s) => seen.push(s));
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    current = second;
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(seen.map((s) => [s.state, s.port])).toEqual([
      ['online', 1234],
      ['online', 5678],
    ]);
    expect(first.liveWatchers()).toBe(0);
    expect(second.liveWatchers()).toBe(1);
    expect(second.listings).toBe(1);
    monitor.stop();
  });
});

describe('sleep and wake', () => {
  it("after resume, a remote server's failures are re-checked but not shown until the grace period ends", async () => {
    const r = rig({ client: new FakeClient('http://gpu-box:1234', 1234, false) });
    await startOnline(r);
    r.monitor.suspend();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    r.monitor.resume();
    await vi.advanceTimersByTimeAsync(9_000);
    expect(r.monitor.current().state).toBe('online');
    const probesInGrace = r.client.greetings;
    expect(probesInGrace).toBeGreaterThanOrEqual(1 + 9_000 / GRACE_RECHECK_MS);
    await vi.advanceTimersByTimeAsync(1_000 + CONFIRM_MS);
    expect(r.monitor.current().state).toBe('offline');
    expect(r.states()).toEqual(['online', 'offline']);
    expect(r.transitions).toEqual(['checking -> online', 'online -> offline']);
  });

  it('after resume, a local refusal shows at once; the transition waits for the grace period to end', async () => {
    const r = rig();
    await startOnline(r);
    r.monitor.suspend();
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    r.monitor.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current().state).toBe('offline');
    await vi.advanceTimersByTimeAsync(9_000);
    expect(r.monitor.current().state).toBe('offline');
    expect(r.transitions).toEqual(['checking -> online']);
    await vi.advanceTimersByTimeAsync(1_000 + CONFIRM_MS);
    expect(r.transitions).toEqual(['checking -> online', 'online -> offline']);
  });

  it('after resume, a local server back within the grace period was shown down but is never a transition', async () => {
    const r = rig();
    await startOnline(r);
    r.monitor.suspend();
    r.client.greeting = { kind: 'refused' };
    r.monitor.resume();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(r.monitor.current().state).not.toBe('online');
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(CONNECT_CHECK_DOWN_MS);
    expect(r.monitor.current().state).toBe('online');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(r.transitions).toEqual(['checking -> online']);
  });

  it('a network that comes back within the grace period causes no outage at all', async () => {
    const r = rig();
    await startOnline(r);
    r.monitor.suspend();
    r.client.greeting = { kind: 'error', message: 'getaddrinfo ENOTFOUND' };
    r.monitor.resume();
    await vi.advanceTimersByTimeAsync(3_000);
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(30_000);
    expect(r.states()).toEqual(['online']);
  });
});

describe('a refusal by a local server is shown at once', () => {
  /** Holds the next `lms daemon status` until the returned function is called. */
  function holdDaemonStatus(r: Rig): () => void {
    let answer!: () => void;
    const daemonStatus = r.lms.lms.daemonStatus.bind(r.lms.lms);
    vi.spyOn(r.lms.lms, 'daemonStatus').mockImplementationOnce(
      () => new Promise((resolve) => (answer = () => resolve(daemonStatus()))),
    );
    return () => answer();
  }

  it('as "checking" until lms answers when no recent verdict exists, then refined, with one transition', async () => {
    const r = rig();
    await startOnline(r);
    r.lmsState.daemon = false;
    const answer = holdDaemonStatus(r);
    r.client.greeting = { kind: 'refused' };
    const checked = r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current()).toMatchObject({
      state: 'offline',
      detail: 'Nothing answers on port 1234: checking whether LM Studio is still open…',
      // Not known yet: a server that merely stopped may still hold models.
      lmStudioClosed: false,
    });
    answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current()).toMatchObject({
      detail: 'LM Studio is not running. Open LM Studio, or start the server with `lms server start`.',
      lmStudioClosed: true,
    });
    expect(r.transitions).toEqual(['checking -> online']);
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    await checked;
    expect(r.transitions).toEqual(['checking -> online', 'online -> offline']);
  });

  it("with lms's last verdict on the port while it is under a minute old", async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    await r.monitor.checkNow();
    expect(r.monitor.current().state).toBe('server-stopped');
    r.client.greeting = { kind: 'lmstudio' };
    await r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(VERDICT_FRESH_MS - 1_000);

    r.client.greeting = { kind: 'refused' };
    let answer = holdDaemonStatus(r);
    const recent = r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current().state).toBe('server-stopped');
    answer();
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    await recent;

    r.client.greeting = { kind: 'lmstudio' };
    await r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(VERDICT_FRESH_MS);
    r.client.greeting = { kind: 'refused' };
    answer = holdDaemonStatus(r);
    const stale = r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current()).toMatchObject({ state: 'offline', detail: expect.stringMatching(/checking whether/) });
    answer();
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    await stale;
    expect(r.monitor.current()).toMatchObject({ state: 'server-stopped', lmStudioClosed: false });
  });

  it('without lms, says so at once rather than "checking"', async () => {
    const r = rig({ noLms: true });
    await startOnline(r);
    r.client.greeting = { kind: 'refused' };
    void r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current()).toMatchObject({
      detail: expect.stringMatching(/^LM Studio is not running, and its `lms` command was not found/),
      // Only lms could tell: the last loaded list stays the last known one.
      lmStudioClosed: false,
    });
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
  });
});

describe('connect-only checks', () => {
  it('a local server online gets one every CONNECT_CHECK_MS and no extra HTTP request', async () => {
    const r = rig();
    await startOnline(r);
    const connects = r.client.connects;
    await vi.advanceTimersByTimeAsync(CONNECT_CHECK_MS * 10);
    expect(r.client.connects - connects).toBe(10);
    expect(r.client.greetings).toBe(1);
    expect(r.client.listings).toBe(1);
  });

  it('see a server that stopped listening (its connections kept) within one of them', async () => {
    const r = rig();
    await startOnline(r);
    await vi.advanceTimersByTimeAsync(1_000);
    // The watched connection stays open: only a new connection tells.
    r.client.greeting = { kind: 'refused' };
    await vi.advanceTimersByTimeAsync(CONNECT_CHECK_MS);
    expect(r.monitor.current().state).not.toBe('online');
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    expect(r.transitions).toEqual(['checking -> online', 'online -> server-stopped']);
    expect(r.client.liveWatchers()).toBe(0);
  });

  it("notice a local server's return within one of them, and then greet it", async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.monitor.start();
    await vi.advanceTimersByTimeAsync(60_000);
    const lmsRuns = r.lms.calls.length;
    const greetings = r.client.greetings;
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(CONNECT_CHECK_DOWN_MS);
    expect(r.monitor.current().state).toBe('online');
    expect(r.client.greetings).toBe(greetings + 1);
    expect(r.lms.calls.length).toBe(lmsRuns);
    expect(r.transitions).toEqual(['checking -> server-stopped', 'server-stopped -> online']);
  });

  it('while refused, they never run lms: only the polls do, with their back-off', async () => {
    const r = rig();
    r.client.greeting = { kind: 'refused' };
    r.monitor.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.client.connects).toBeGreaterThanOrEqual(60_000 / CONNECT_CHECK_DOWN_MS - 20);
    expect(r.lms.calls.filter((c) => c === 'daemon status').length).toBeLessThanOrEqual(5);
  });

  it('a remote server gets none: it keeps the poll interval', async () => {
    const r = rig({ client: new FakeClient('http://gpu-box:1234', 1234, false) });
    await startOnline(r);
    r.client.greeting = { kind: 'refused' };
    await vi.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(r.monitor.current().state).toBe('online');
    await vi.advanceTimersByTimeAsync(1 + CONFIRM_MS);
    expect(r.monitor.current().state).toBe('offline');
    expect(r.client.connects).toBe(0);
  });

  it('stop while not responding, asking for a token, or stopped', async () => {
    const r = rig();
    r.client.greeting = { kind: 'timeout' };
    r.monitor.start();
    await vi.advanceTimersByTimeAsync(POLL_MS);
    r.client.greeting = { kind: 'unauthorized', message: 'token', tokenSent: false };
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.monitor.current().state).toBe('unauthorized');
    expect(r.client.connects).toBe(0);
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(POLL_MS);
    r.monitor.stop();
    const connects = r.client.connects;
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.client.connects).toBe(connects);
  });
});

describe('API answers stand in for the greeting', () => {
  /** The app's periodic model refresh: an answer that did not ask for a token, every 8 s. */
  async function answerEvery8s(r: Rig, untilMs: number) {
    for (let at = 8_000; at <= untilMs; at += 8_000) {
      await vi.advanceTimersByTimeAsync(8_000);
      r.monitor.authEvidence(r.client, { kind: 'accepted' });
    }
  }

  it('a local server online is greeted only a poll interval after its last answer', async () => {
    const r = rig();
    await startOnline(r);
    await answerEvery8s(r, 40_000);
    // Greeted at 0, then at 5, 13, 21, 29 and 37 s (each 5 s after an answer) rather than every 5 s.
    expect(r.client.greetings).toBe(6);
    expect(r.monitor.current().state).toBe('online');
  });

  it('a hang (accepts, never answers) is still seen a poll interval after the last answer', async () => {
    const r = rig();
    await startOnline(r);
    await answerEvery8s(r, 40_000);
    r.client.greeting = { kind: 'timeout' };
    r.client.connectResult = 'connected';
    await vi.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(r.monitor.current().state).toBe('online');
    await vi.advanceTimersByTimeAsync(1 + CONFIRM_MS);
    expect(r.monitor.current().state).toBe('not-responding');
    expect(r.transitions).toEqual(['checking -> online', 'online -> not-responding']);
  });

  it('a remote server, or another client, is greeted every poll as before', async () => {
    const remote = rig({ client: new FakeClient('http://192.168.1.20:1234', 1234, false) });
    await startOnline(remote);
    await answerEvery8s(remote, 40_000);
    expect(remote.client.greetings).toBe(9);
    const local = rig();
    await startOnline(local);
    for (let i = 0; i < 8; i++) {
      await vi.advanceTimersByTimeAsync(POLL_MS);
      local.monitor.authEvidence(new FakeClient(), { kind: 'accepted' });
    }
    expect(local.client.greetings).toBe(9);
  });
});

describe('auth changes while online', () => {
  it('an API answer asking for a token (any route) makes it unauthorized at once, saying whether one was sent', async () => {
    const r = rig();
    await startOnline(r);
    r.monitor.authEvidence(r.client, { kind: 'refused', tokenSent: false });
    expect(r.monitor.current()).toMatchObject({ state: 'unauthorized', detail: TOKEN_REQUIRED_MESSAGE });
    expect(r.transitions).toEqual(['checking -> online', 'online -> unauthorized']);
    expect(r.client.liveWatchers()).toBe(0);
    r.monitor.authEvidence(r.client, { kind: 'refused', tokenSent: true });
    expect(r.monitor.current()).toMatchObject({ state: 'unauthorized', detail: TOKEN_REFUSED_MESSAGE });
    expect(r.transitions).toHaveLength(2);
  });

  it('token accepted again: an accepted answer brings it back online at once (after a full check)', async () => {
    const r = rig();
    await startOnline(r);
    r.monitor.authEvidence(r.client, { kind: 'refused', tokenSent: true });
    r.monitor.authEvidence(r.client, { kind: 'accepted' });
    await vi.advanceTimersByTimeAsync(0);
    expect(r.monitor.current().state).toBe('online');
    expect(r.transitions).toEqual(['checking -> online', 'online -> unauthorized', 'unauthorized -> online']);
  });

  it('token accepted again with no other traffic: online within the poll interval', async () => {
    const r = rig();
    await startOnline(r);
    r.client.listing = () => Promise.reject(new CoreError('unauthorized', TOKEN_REQUIRED_MESSAGE));
    r.monitor.authEvidence(r.client, { kind: 'refused', tokenSent: false });
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.monitor.current().state).toBe('unauthorized');
    r.client.listing = async () => ({ generation: 'v1', models: [], loaded: [] });
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.monitor.current().state).toBe('online');
  });

  it('ignores evidence from an old client, and a token asked for while the server shows down', async () => {
    const r = rig();
    await startOnline(r);
    r.monitor.authEvidence(new FakeClient(), { kind: 'refused', tokenSent: false });
    expect(r.monitor.current().state).toBe('online');
    r.client.greeting = { kind: 'refused' };
    const checked = r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    await checked;
    r.monitor.authEvidence(r.client, { kind: 'refused', tokenSent: false });
    expect(r.monitor.current().state).toBe('server-stopped');
  });

  it('a closed greeting asking for a token while online: unauthorized at the next poll, without a confirming probe', async () => {
    const r = rig();
    await startOnline(r);
    r.client.greeting = { kind: 'unauthorized', message: 'token', tokenSent: true };
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.monitor.current()).toMatchObject({ state: 'unauthorized', detail: TOKEN_REFUSED_MESSAGE });
    expect(r.client.greetings).toBe(2);
    r.client.greeting = { kind: 'lmstudio' };
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.monitor.current().state).toBe('online');
    expect(r.transitions).toEqual(['checking -> online', 'online -> unauthorized', 'unauthorized -> online']);
  });

  it("an accepted answer during the monitor's own check adds no second check", async () => {
    const r = rig();
    r.client.listing = async () => {
      r.monitor.authEvidence(r.client, { kind: 'accepted' });
      return { generation: 'v1', models: [], loaded: [] };
    };
    r.client.greeting = { kind: 'unauthorized', message: 'token', tokenSent: false };
    await r.monitor.checkNow();
    r.client.greeting = { kind: 'lmstudio' };
    await r.monitor.checkNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.client.greetings).toBe(2);
    expect(r.monitor.current().state).toBe('online');
  });
});
