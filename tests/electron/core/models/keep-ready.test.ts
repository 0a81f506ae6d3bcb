/**
 * The keeper with fakes: a fake LM Studio (what is loaded, each load asked of it), a model
 * service and a monitor over it per process, the real settings store over an in-memory file
 * system whose locks two "processes" (the desktop app and web mode) share, and a fake clock.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../../../electron/core/errors';
import type { KeepReady, ModelService, PolicyInput } from '../../../../electron/core/interfaces';
import {
  CLAIM_FILE_NAME,
  CLAIMED_RETRY_MS,
  createKeepReady,
  QUICK_LOSS_MS,
  UNAVAILABLE_MESSAGE,
} from '../../../../electron/core/models/keep-ready';
import type { Clock, FileSystem, Logger } from '../../../../electron/core/ports';
import { createSettingsStore } from '../../../../electron/core/settings/store';
import type {
  ApiGeneration,
  KeptModel,
  LoadedInstance,
  LoadingState,
  LoadOptions,
  ModelsSnapshot,
  ServerState,
  ServerStatus,
} from '../../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const CONFIG = '/config';
const LOAD_MS = 1_000;
const MIN = 60_000;
const KEY = 'qwen/qwen3-4b';

/** Timers looked up at call time, so vitest's fake timers drive them. */
const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

beforeEach(() => {
  // setImmediate stays real: `settle` uses it to let promise chains (file locks, saves) run out.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}
async function elapse(ms: number): Promise<void> {
  await settle();
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

/** Files in memory; `withLock` is a queue per path, shared by every store and keeper using this object. */
function memoryFs(): FileSystem & { files: Map<string, string> } {
  const files = new Map<string, string>();
  const locks = new Map<string, Promise<unknown>>();
  const missing = (file: string) => Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
  return {
    files,
    readFile: async (file) => {
      const text = files.get(file);
      if (text === undefined) throw missing(file);
      return text;
    },
    writeFileAtomic: async (file, data) => {
      files.set(file, data);
    },
    rename: async (from, to) => {
      const text = files.get(from);
      if (text === undefined) throw missing(from);
      files.set(to, text);
      files.delete(from);
    },
    exists: async (file) => files.has(file),
    isExecutable: async () => false,
    mkdir: async () => {},
    stat: async () => ({ kind: 'directory', mode: 0o700, uid: 0 }),
    realpath: async (file) => file,
    withLock: (file, work) => {
      const run = (locks.get(file) ?? Promise.resolve()).then(work);
      locks.set(
        file,
        run.catch(() => {}),
      );
      return run;
    },
    removeLeftovers: async () => [],
  };
}

function instance(identifier: string, modelKey: string): LoadedInstance {
  return {
    identifier,
    modelKey,
    contextLength: 4096,
    ttlMs: null,
    lastUsedTime: null,
    activity: null,
    sizeBytes: null,
  };
}

/** The LM Studio both processes talk to: what is loaded, and every load asked of it. */
function studio() {
  return {
    state: 'online' as ServerState,
    generation: 'v1' as ApiGeneration,
    loaded: [] as LoadedInstance[],
    loads: [] as Array<{ modelKey: string; options: LoadOptions; unattended: boolean; at: number }>,
    /** The next loads fail with this message. */
    failures: [] as string[],
    /** An unload nobody asked for here (TTL, auto-evict, LM Studio's window). */
    evict(modelKey: string) {
      this.loaded = this.loaded.filter((i) => i.modelKey !== modelKey);
    },
  };
}
type Studio = ReturnType<typeof studio>;

function fakeMonitor(world: Studio) {
  const listeners = new Set<(status: ServerStatus, previous: ServerStatus) => void>();
  let shown: ServerStatus = statusOf(world.state, world);
  return {
    current: () => shown,
    onChange(listener: (status: ServerStatus, previous: ServerStatus) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The status as the monitor would show it after its next check. */
    sync() {
      const previous = shown;
      shown = statusOf(world.state, world);
      if (previous.state !== shown.state) for (const listener of listeners) listener(shown, previous);
    },
  };
}

function statusOf(state: ServerState, world: Studio): ServerStatus {
  return {
    state,
    detail: '',
    baseUrl: 'http://127.0.0.1:1234',
    port: 1234,
    remote: false,
    apiGeneration: state === 'online' ? world.generation : null,
    lmsPath: '/fake/lms',
    lmsSearched: [],
    since: 0,
    checkedAt: 0,
    unstable: false,
    lmStudioClosed: state === 'offline',
  };
}

/** A model service over the studio: lists read from it, loads that take LOAD_MS and add an instance (`:2` for a second). */
function fakeModels(world: Studio, monitor: ReturnType<typeof fakeMonitor>): ModelService & { refreshes: number } {
  let snapshot: ModelsSnapshot = { models: [], loaded: [], stale: false, updatedAt: null, source: null };
  const listeners = new Set<(snapshot: ModelsSnapshot) => void>();
  const loadingListeners = new Set<(loading: LoadingState[]) => void>();
  const loading = new Map<string, LoadingState>();
  const publish = (next: ModelsSnapshot) => {
    const changed = JSON.stringify({ ...next, updatedAt: 0 }) !== JSON.stringify({ ...snapshot, updatedAt: 0 });
    snapshot = next;
    if (changed) for (const listener of listeners) listener(snapshot);
    return snapshot;
  };
  const emitLoading = () => {
    for (const listener of loadingListeners) listener([...loading.values()]);
  };
  const service = {
    refreshes: 0,
    snapshot: () => snapshot,
    onChange(listener: (snapshot: ModelsSnapshot) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async refresh() {
      service.refreshes += 1;
      if (world.state !== 'online') {
        service.markStale();
        throw new CoreError('unavailable', 'LM Studio is not running.');
      }
      const loaded = world.generation === 'openai' ? [] : world.loaded.map((i) => ({ ...i }));
      return publish({ models: [], loaded, stale: false, updatedAt: Date.now(), source: world.generation });
    },
    markStale() {
      const closed = monitor.current().lmStudioClosed;
      publish({ ...snapshot, loaded: closed ? [] : snapshot.loaded, stale: true });
    },
    httpGeneration: () => (snapshot.source === null ? null : world.generation),
    loading: () => [...loading.values()],
    onLoadingChange(listener: (loading: LoadingState[]) => void) {
      loadingListeners.add(listener);
      return () => loadingListeners.delete(listener);
    },
    async load(modelKey: string, options: LoadOptions = {}, request: { unattended?: boolean } = {}) {
      if (loading.has(modelKey)) throw new CoreError('invalid-input', `${modelKey} is already loading.`);
      loading.set(modelKey, { modelKey, progress: null, via: 'rest', startedAt: Date.now(), unsupportedOptions: [] });
      emitLoading();
      try {
        world.loads.push({ modelKey, options, unattended: request.unattended === true, at: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
        const failure = world.failures.shift();
        if (failure) throw new CoreError('server-error', failure);
        const n = world.loaded.filter((i) => i.modelKey === modelKey).length;
        const identifier = n === 0 ? modelKey : `${modelKey}:${n + 1}`;
        world.loaded.push(instance(identifier, modelKey));
        await service.refresh();
        return { identifier };
      } finally {
        loading.delete(modelKey);
        emitLoading();
      }
    },
    async unload(identifier: string) {
      world.loaded = world.loaded.filter((i) => i.identifier !== identifier);
      await service.refresh();
    },
    async unloadAll() {
      const n = world.loaded.length;
      world.loaded = [];
      await service.refresh();
      return n;
    },
  };
  return service;
}

/** One process (the desktop app or web mode): its own store, monitor, model service and keeper. */
async function process_(world: Studio, fs: ReturnType<typeof memoryFs>) {
  const monitor = fakeMonitor(world);
  const models = fakeModels(world, monitor);
  const settings = createSettingsStore({ fs, configDir: CONFIG, logger: silent });
  await settings.load();
  const notifications: Array<Extract<PolicyInput, { type: 'kept-model' }>> = [];
  let settingsChanged = 0;
  const keeper: KeepReady = createKeepReady({
    models,
    monitor,
    settings,
    fs,
    configDir: CONFIG,
    clock,
    logger: silent,
    notify: (input) => notifications.push(input),
    settingsChanged: () => {
      settingsChanged += 1;
    },
  });
  return {
    monitor,
    models,
    settings,
    keeper,
    notifications,
    settingsChanged: () => settingsChanged,
    /** A model refresh as the core's periodic one would make it (the keeper observes the lists). */
    poll: () => models.refresh().catch(() => undefined),
    state: (modelKey = KEY) => keeper.list().find((k) => k.modelKey === modelKey),
  };
}

const keptFile = (fs: ReturnType<typeof memoryFs>): KeptModel[] =>
  (JSON.parse(fs.files.get(path.join(CONFIG, 'settings.json')) ?? '{"keepLoaded":[]}') as { keepLoaded: KeptModel[] })
    .keepLoaded;

async function setUp({ kept = [{ modelKey: KEY, options: { contextLength: 8192 } }] as KeptModel[] } = {}) {
  const world = studio();
  const fs = memoryFs();
  fs.files.set(path.join(CONFIG, 'settings.json'), JSON.stringify({ keepLoaded: kept }));
  const app = await process_(world, fs);
  return { world, fs, app };
}

describe('keep-ready: loading kept models', () => {
  it('loads a kept model at start, unattended, with its saved options', async () => {
    const { world, app } = await setUp();
    app.keeper.start();
    await settle();
    expect(app.state()).toMatchObject({ state: 'loading' });
    await elapse(LOAD_MS);
    expect(world.loads).toEqual([
      { modelKey: KEY, options: { contextLength: 8192 }, unattended: true, at: expect.any(Number) },
    ]);
    expect(world.loaded.map((i) => i.identifier)).toEqual([KEY]);
    expect(app.state()).toEqual({
      modelKey: KEY,
      options: { contextLength: 8192 },
      state: 'ready',
      message: null,
      nextAttemptAt: null,
    });
    expect(app.notifications).toEqual([]);
  });

  it('leaves a model that is already loaded alone', async () => {
    const { world, app } = await setUp();
    world.loaded.push(instance(KEY, KEY));
    app.keeper.start();
    await elapse(LOAD_MS);
    expect(world.loads).toEqual([]);
    expect(app.state()?.state).toBe('ready');
  });

  it('reloads it after an eviction (TTL, auto-evict) it did not ask for', async () => {
    const { world, app } = await setUp();
    world.loaded.push(instance(KEY, KEY));
    app.keeper.start();
    await elapse(0);
    await app.poll();
    world.evict(KEY);
    await app.poll();
    await elapse(LOAD_MS);
    expect(world.loads.map((l) => l.modelKey)).toEqual([KEY]);
    expect(world.loaded.map((i) => i.identifier)).toEqual([KEY]);
    expect(app.state()?.state).toBe('ready');
  });

  it('never loads while LM Studio is down, and loads once it is back (an LM Studio restart)', async () => {
    const { world, app } = await setUp();
    world.loaded.push(instance(KEY, KEY));
    app.keeper.start();
    await app.poll();
    // LM Studio quits: nothing is loaded any more, and nothing may wake it.
    world.state = 'offline';
    world.loaded = [];
    app.monitor.sync();
    app.models.markStale();
    await elapse(45 * MIN);
    expect(world.loads).toEqual([]);
    expect(app.state()).toMatchObject({ state: 'waiting', message: expect.stringContaining('never started') });
    world.state = 'online';
    app.monitor.sync();
    await elapse(LOAD_MS);
    expect(world.loads.map((l) => l.modelKey)).toEqual([KEY]);
    expect(app.state()?.state).toBe('ready');
  });

  it('never sends a TTL, and strips one from the options it saves', async () => {
    const { world, app, fs } = await setUp({ kept: [] });
    app.keeper.start();
    const list = await app.keeper.set(KEY, true, { contextLength: 4096, ttlSeconds: 600 });
    expect(list).toEqual([expect.objectContaining({ modelKey: KEY, options: { contextLength: 4096 } })]);
    expect(keptFile(fs)).toEqual([{ modelKey: KEY, options: { contextLength: 4096 } }]);
    await elapse(LOAD_MS);
    expect(world.loads).toEqual([expect.objectContaining({ options: { contextLength: 4096 }, unattended: true })]);
    expect(app.settingsChanged()).toBeGreaterThan(0);
  });

  it('loads one model at a time', async () => {
    const { world, app } = await setUp({
      kept: [
        { modelKey: KEY, options: {} },
        { modelKey: 'google/gemma-3-1b', options: {} },
      ],
    });
    app.keeper.start();
    await settle();
    expect(world.loads.map((l) => l.modelKey)).toEqual([KEY]);
    expect(app.state('google/gemma-3-1b')).toMatchObject({
      state: 'waiting',
      message: `Loads after ${KEY} (one load at a time).`,
    });
    await elapse(LOAD_MS / 2);
    expect(world.loads).toHaveLength(1);
    await elapse(LOAD_MS / 2);
    expect(world.loads.map((l) => l.modelKey)).toEqual([KEY, 'google/gemma-3-1b']);
    // The second starts only once the first has finished.
    expect(world.loads[1]!.at - world.loads[0]!.at).toBeGreaterThanOrEqual(LOAD_MS);
    await elapse(LOAD_MS);
    expect(app.keeper.list().map((k) => k.state)).toEqual(['ready', 'ready']);
  });
});

describe('keep-ready: never fighting', () => {
  it('the user unloading it here turns the switch off and it stays unloaded', async () => {
    const { world, app, fs } = await setUp();
    world.loaded.push(instance(KEY, KEY));
    app.keeper.start();
    await app.poll();
    expect(await app.keeper.userUnloaded([KEY, 'not/kept'])).toEqual([KEY]);
    await app.models.unload(KEY);
    await elapse(10 * MIN);
    expect(world.loads).toEqual([]);
    expect(app.keeper.list()).toEqual([]);
    expect(keptFile(fs)).toEqual([]);
    expect(await app.keeper.userUnloaded([KEY])).toEqual([]);
  });

  it('evicted twice in a row within 2 minutes of its reload: the switch turns off, with a notification why', async () => {
    const { world, app, fs } = await setUp();
    app.keeper.start();
    await elapse(LOAD_MS);
    expect(world.loads).toHaveLength(1);
    // Something in LM Studio unloads it again a minute after each reload.
    world.evict(KEY);
    await elapse(MIN);
    await app.poll();
    await elapse(LOAD_MS);
    expect(world.loads).toHaveLength(2);
    expect(app.notifications).toEqual([]);
    await elapse(MIN);
    world.evict(KEY);
    await app.poll();
    await elapse(10 * MIN);
    expect(world.loads).toHaveLength(2);
    expect(keptFile(fs)).toEqual([]);
    expect(app.keeper.list()).toEqual([]);
    expect(app.notifications).toEqual([
      {
        type: 'kept-model',
        modelKey: KEY,
        title: `Stopped keeping ${KEY} loaded`,
        message: expect.stringContaining('unloaded again within 2 minutes of being reloaded, twice in a row'),
      },
    ]);
  });

  it('an eviction long after the reload, or an LM Studio restart between, does not count toward giving up', async () => {
    const { world, app, fs } = await setUp();
    app.keeper.start();
    await elapse(LOAD_MS);
    // Quick loss 1.
    world.evict(KEY);
    await app.poll();
    await elapse(LOAD_MS);
    // Then a loss after 2 minutes: not quick, the count starts again.
    await elapse(QUICK_LOSS_MS + 1);
    world.evict(KEY);
    await app.poll();
    await elapse(LOAD_MS);
    // Quick loss 1 again, then LM Studio restarts (a crash) and the model is gone after it.
    world.evict(KEY);
    await app.poll();
    await elapse(LOAD_MS);
    world.state = 'offline';
    world.loaded = [];
    app.monitor.sync();
    app.models.markStale();
    await elapse(1_000);
    world.state = 'online';
    app.monitor.sync();
    await elapse(LOAD_MS);
    expect(world.loads).toHaveLength(5);
    expect(keptFile(fs)).toEqual([{ modelKey: KEY, options: { contextLength: 8192 } }]);
    expect(app.notifications).toEqual([]);
    expect(app.state()?.state).toBe('ready');
  });

  it('backs off 1, 2, 4 ... 30 minutes after failed loads, with one notification for the run', async () => {
    const { world, app } = await setUp();
    world.failures = Array.from({ length: 8 }, () => 'Not enough memory to load this model.');
    const start = Date.now();
    app.keeper.start();
    await elapse(LOAD_MS);
    expect(app.state()).toMatchObject({
      state: 'backing-off',
      message: 'The last load failed: Not enough memory to load this model.',
      nextAttemptAt: start + LOAD_MS + MIN,
    });
    await elapse(3 * 60 * MIN);
    const gaps = world.loads.slice(1).map((load, i) => (load.at - world.loads[i]!.at - LOAD_MS) / MIN);
    expect(gaps).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
    expect(app.notifications).toEqual([
      {
        type: 'kept-model',
        modelKey: KEY,
        title: `Could not load ${KEY}`,
        message: expect.stringContaining('Not enough memory to load this model.'),
      },
    ]);
    // The ninth attempt worked: the run is over, and the next failure notifies again.
    expect(app.state()?.state).toBe('ready');
    world.failures = ['Not enough memory to load this model.'];
    world.evict(KEY);
    await app.poll();
    await elapse(LOAD_MS);
    expect(app.notifications).toHaveLength(2);
  });

  it('a failure because LM Studio quit during the load is waiting, not a failure', async () => {
    const { world, app } = await setUp();
    world.failures = ['The connection was closed.'];
    app.keeper.start();
    await settle();
    world.state = 'offline';
    app.monitor.sync();
    await elapse(LOAD_MS);
    expect(app.state()?.state).toBe('waiting');
    expect(app.notifications).toEqual([]);
  });

  it('a server with only /v1/models: unavailable, says why, loads nothing', async () => {
    const { world, app } = await setUp();
    world.generation = 'openai';
    await app.poll();
    app.keeper.start();
    await elapse(10 * MIN);
    expect(world.loads).toEqual([]);
    expect(app.state()).toMatchObject({ state: 'unavailable', message: UNAVAILABLE_MESSAGE });
    expect(UNAVAILABLE_MESSAGE).toContain('/api/v0');
  });
});

describe('keep-ready: the desktop app and web mode at once', () => {
  it('one loads, the other sees it loaded: never a second instance (`:2`)', async () => {
    const { world, app: desktop, fs } = await setUp();
    const web = await process_(world, fs);
    desktop.keeper.start();
    web.keeper.start();
    await elapse(LOAD_MS);
    await elapse(CLAIMED_RETRY_MS);
    expect(world.loads).toHaveLength(1);
    expect(world.loaded.map((i) => i.identifier)).toEqual([KEY]);
    // An eviction both see: still one load between them.
    world.evict(KEY);
    await Promise.all([desktop.poll(), web.poll()]);
    await elapse(LOAD_MS);
    await elapse(CLAIMED_RETRY_MS);
    expect(world.loads).toHaveLength(2);
    expect(world.loaded.map((i) => i.identifier)).toEqual([KEY]);
    expect(fs.files.has(path.join(CONFIG, CLAIM_FILE_NAME))).toBe(true);
  });

  it("waits for a claim whose process runs, but not for a killed keeper's (it would hold the load up for 15 min)", async () => {
    const { world, app, fs } = await setUp();
    const claimFile = path.join(CONFIG, CLAIM_FILE_NAME);
    const claimBy = (pid: number) =>
      JSON.stringify({ loading: [{ modelKey: KEY, owner: 'other', until: Date.now() + 10 * MIN, pid }] });
    // This test's own process stands for a keeper that runs.
    fs.files.set(claimFile, claimBy(process.pid));
    app.keeper.start();
    await elapse(LOAD_MS);
    expect(world.loads).toEqual([]);
    expect(app.state()?.message).toMatch(/The other LM Studio Tray .* is loading a kept model/);
    // That keeper is killed mid-load: its claim stays in the file, its process is gone.
    fs.files.set(claimFile, claimBy(2 ** 31 - 1));
    await elapse(CLAIMED_RETRY_MS);
    await elapse(LOAD_MS);
    expect(world.loads.map((load) => load.modelKey)).toEqual([KEY]);
    expect(app.state()?.state).toBe('ready');
    expect(JSON.parse(fs.files.get(claimFile)!)).toEqual({ loading: [] });
  });

  it('re-reads the loaded list right before loading: a load the other process finished is seen', async () => {
    const { world, app } = await setUp();
    // The other process loaded it after this one's last list was read.
    await app.poll();
    world.loaded.push(instance(KEY, KEY));
    const before = app.models.refreshes;
    app.keeper.start();
    await elapse(LOAD_MS);
    expect(world.loads).toEqual([]);
    expect(app.models.refreshes).toBeGreaterThan(before);
  });

  it('a switch the other process turned on is followed when LM Studio starts', async () => {
    const { world, app: desktop, fs } = await setUp({ kept: [] });
    desktop.keeper.start();
    // Web mode turned it on, then closed, while LM Studio was quit.
    world.state = 'offline';
    desktop.monitor.sync();
    const web = await process_(world, fs);
    await web.keeper.set(KEY, true, {});
    web.keeper.stop();
    await elapse(MIN);
    expect(world.loads).toEqual([]);
    world.state = 'online';
    desktop.monitor.sync();
    await elapse(LOAD_MS);
    expect(world.loads.map((l) => l.modelKey)).toEqual([KEY]);
    expect(desktop.state()?.state).toBe('ready');
  });

  it('a switch the other process turned off is followed before loading', async () => {
    const { world, app: desktop, fs } = await setUp();
    const web = await process_(world, fs);
    world.loaded.push(instance(KEY, KEY));
    desktop.keeper.start();
    await desktop.poll();
    // The user unloads it in web mode; the desktop app's keeper sees it gone.
    await web.keeper.userUnloaded([KEY]);
    await web.models.unload(KEY);
    await desktop.poll();
    await elapse(10 * MIN);
    expect(world.loads).toEqual([]);
    expect(desktop.keeper.list()).toEqual([]);
    expect(desktop.settingsChanged()).toBeGreaterThan(0);
  });
});
