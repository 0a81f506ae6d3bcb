/**
 * The monitor's decisions, with vitest's fake timers, a scripted client and an `lms` whose
 * waking commands record the call and throw. monitor-simulator.test.ts runs it for real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../../../electron/core/errors';
import {
  createHealthMonitor,
  GRACE_RECHECK_MS,
  type HealthMonitorOptions,
} from '../../../../electron/core/health/monitor';
import type { GreetingResult, LmStudioClient, LmsCli, ModelListing } from '../../../../electron/core/interfaces';
import { TOKEN_REQUIRED_MESSAGE } from '../../../../electron/core/lmstudio/client';
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

/** A client whose greeting and model list the test sets; it counts what was asked. */
class FakeClient implements LmStudioClient {
  greeting: GreetingResult = { kind: 'lmstudio' };
  listing: () => Promise<ModelListing> = async () => ({ generation: 'v1', models: [], loaded: [] });
  greetings = 0;
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
  states: () => string[];
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
  const made = { client, lmsState, lms, monitor, changes, options, states: () => changes.map((c) => c.status.state) };
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
    [{ kind: 'unauthorized', message: 'token' } as const, 'unauthorized', TOKEN_REQUIRED_MESSAGE],
    [
      { kind: 'foreign', message: 'HTML' } as const,
      'foreign',
      'Another program answers on port 1234. Change the LM Studio address in Settings.',
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
    expect(r.states()).toEqual(['offline', 'server-stopped', 'online', 'offline']);
    const offline = r.changes[3]!.status;
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
  it('one failed probe while online is confirmed by a second one before leaving online', async () => {
    const r = rig();
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

  it('a closed socket triggers a fresh probe at once: offline within the confirmation delay', async () => {
    const r = rig();
    await startOnline(r);
    await vi.advanceTimersByTimeAsync(1_000);
    r.client.greeting = { kind: 'refused' };
    r.lmsState.daemon = false;
    const before = Date.now();
    r.client.closeWatched();
    await vi.advanceTimersByTimeAsync(CONFIRM_MS);
    expect(r.monitor.current()).toMatchObject({ state: 'offline', since: before + CONFIRM_MS });
  });

  it('re-arms after an idle-socket close when the server is fine, at most once a second', async () => {
    const r = rig();
    await startOnline(r);
    // A server that closes idle sockets at once would otherwise make this a busy loop.
    r.client.closeWatched();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.client.greetings).toBe(2);
    expect(r.client.liveWatchers()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.client.liveWatchers()).toBe(1);
    for (let i = 0; i < 10; i++) {
      r.client.closeWatched();
      await vi.advanceTimersByTimeAsync(1_000);
    }
    // 1 start + 11 close probes + 2 polls in 11 s: about one greeting a second at worst.
    expect(r.client.greetings).toBeLessThanOrEqual(14);
    expect(r.client.watchers.length).toBe(12);
    expect(r.states()).toEqual(['online']);
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
  it('after resume, failures are re-checked but not declared until the grace period ends', async () => {
    const r = rig();
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
