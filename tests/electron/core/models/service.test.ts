import { describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../../../electron/core/errors';
import type { LmStudioClient, LmsCli, ModelListing } from '../../../../electron/core/interfaces';
import { createModelService } from '../../../../electron/core/models/service';
import { systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import { fuzzyMatches } from '../../../../electron/shared/availability';
import type {
  ApiGeneration,
  LoadedInstance,
  LoadingState,
  ModelEntry,
  ServerState,
  ServerStatus,
} from '../../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function model(key: string): ModelEntry {
  return {
    key,
    displayName: key,
    publisher: null,
    type: 'llm',
    format: 'gguf',
    quantization: null,
    paramsString: null,
    sizeBytes: null,
    maxContextLength: null,
    vision: false,
    toolUse: false,
    reasoning: false,
    loadedInstances: [],
  };
}

function instance(identifier: string, modelKey: string, extra: Partial<LoadedInstance> = {}): LoadedInstance {
  return {
    identifier,
    modelKey,
    contextLength: 4096,
    ttlMs: null,
    lastUsedTime: null,
    activity: null,
    sizeBytes: null,
    ...extra,
  };
}

/** A small LM Studio: downloaded keys, loaded instances, and how each path behaves. */
function world(
  options: {
    generation?: ApiGeneration;
    state?: ServerState;
    isLocal?: boolean;
    withLms?: boolean;
    keys?: string[];
    /** What `lms load KEY` really loads (fuzzy matching picks the first match). */
    lmsLoads?: (key: string) => string;
  } = {},
) {
  const keys = options.keys ?? ['qwen/qwen3-4b', 'google/gemma-3-1b'];
  let loaded: LoadedInstance[] = [];
  let state: ServerState = options.state ?? 'online';
  let lmStudioClosed = state === 'offline';
  /** What a fresh greeting finds: lags `state` when LM Studio quits between two checks. */
  let greetsAs: ServerState = state;
  const generation = options.generation ?? 'v1';
  const calls: string[] = [];

  const listModels = vi.fn(async (): Promise<ModelListing> => {
    calls.push('http:list');
    if (state !== 'online') throw new CoreError('unavailable', 'LM Studio is not running.');
    return {
      generation,
      models: keys.map(model),
      loaded:
        generation === 'openai' ? null : loaded.map((i) => ({ ...i, ttlMs: null, lastUsedTime: null, activity: null })),
    };
  });
  const client = {
    baseUrl: 'http://127.0.0.1:1234',
    port: 1234,
    isLocal: options.isLocal ?? true,
    greet: vi.fn(async () => {
      calls.push('http:greet');
      if (greetsAs === 'online') return { kind: 'lmstudio' as const };
      if (greetsAs === 'unauthorized') return { kind: 'unauthorized' as const, message: 'token' };
      return { kind: 'refused' as const };
    }),
    listModels,
    loadModel: vi.fn(async (key: string) => {
      calls.push(`http:load ${key}`);
      loaded.push(instance(key, key));
      return { identifier: key, via: generation === 'v1' ? ('rest' as const) : ('responses' as const) };
    }),
    unloadModel: vi.fn(async (id: string) => {
      calls.push(`http:unload ${id}`);
      loaded = loaded.filter((i) => i.identifier !== id);
    }),
  } as unknown as LmStudioClient;

  const lms = {
    path: '/fake/lms',
    daemonStatus: vi.fn(async () => {
      calls.push('lms:daemon');
      return { running: greetsAs !== 'offline', pid: 1 };
    }),
    ls: vi.fn(async () => {
      calls.push('lms:ls');
      return keys.map(model);
    }),
    ps: vi.fn(async () => {
      calls.push('lms:ps');
      return loaded.map((i) => ({ ...i, ttlMs: 3_600_000, lastUsedTime: 123, activity: 'idle' }));
    }),
    load: vi.fn(async (key: string, _options: unknown, onProgress: (p: number | null) => void) => {
      calls.push(`lms:load ${key}`);
      onProgress(0.5);
      onProgress(1);
      const actual = options.lmsLoads?.(key) ?? key;
      loaded.push(instance(actual, actual));
      return { identifier: actual };
    }),
    unload: vi.fn(async (id: string) => {
      calls.push(`lms:unload ${id}`);
      loaded = loaded.filter((i) => i.identifier !== id);
    }),
    unloadAll: vi.fn(async () => {
      calls.push('lms:unload-all');
      const n = loaded.length;
      loaded = [];
      return n;
    }),
  } as unknown as LmsCli;

  const status = (): ServerStatus => ({
    state,
    detail: '',
    baseUrl: client.baseUrl,
    port: 1234,
    remote: !client.isLocal,
    apiGeneration: state === 'online' ? generation : null,
    lmsPath: '/fake/lms',
    lmsSearched: [],
    since: 0,
    checkedAt: 0,
    unstable: false,
    lmStudioClosed,
  });
  const service = createModelService({
    client: () => client,
    lms: () => (options.withLms === false ? null : lms),
    status,
    clock: systemClock,
    logger: silent,
    loadDefaults: () => ({ ttlSeconds: 600 }),
  });
  const loadingSeen: LoadingState[][] = [];
  service.onLoadingChange((list) => loadingSeen.push(list));
  return {
    service,
    client,
    lms,
    calls,
    loadingSeen,
    /** Offline here means `lms` said LM Studio is closed, unless told it has not said yet. */
    setState: (next: ServerState, closed = next === 'offline') => {
      state = next;
      greetsAs = next;
      lmStudioClosed = closed;
    },
    /** LM Studio quit a moment ago: HTTP still answered the list, the monitor has not noticed yet. */
    quitJustNow: () => {
      greetsAs = 'offline';
    },
    preload: (i: LoadedInstance) => loaded.push(i),
  };
}

describe('model service: listing', () => {
  it('merges downloaded and loaded from REST v1 without spawning lms on a plain refresh', async () => {
    const w = world();
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    const snap = await w.service.refresh();
    expect(snap.source).toBe('v1');
    expect(snap.loaded.map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);
    expect(snap.models.find((m) => m.key === 'qwen/qwen3-4b')?.loadedInstances).toHaveLength(1);
    expect(snap.stale).toBe(false);
    expect(w.calls).toEqual(['http:list']);
  });

  it('adds lms ps details (TTL, last use, activity) when asked, and keeps them on plain refreshes', async () => {
    const w = world();
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    const detailed = await w.service.refresh({ instanceDetails: true });
    expect(detailed.loaded[0]).toMatchObject({ ttlMs: 3_600_000, lastUsedTime: 123, activity: 'idle' });
    const plain = await w.service.refresh();
    expect(plain.loaded[0]).toMatchObject({ ttlMs: 3_600_000 });
    expect(w.calls.filter((c) => c === 'lms:ps')).toHaveLength(1);
  });

  it('skips lms ps when REST says nothing is loaded: it would add nothing, and could wake LM Studio', async () => {
    const w = world();
    const snap = await w.service.refresh({ instanceDetails: true });
    expect(snap.loaded).toEqual([]);
    expect(w.calls).toEqual(['http:list']);
  });

  it('never runs lms ps while the server is not online, nor for a remote server', async () => {
    const remote = world({ isLocal: false });
    await remote.service.refresh({ instanceDetails: true });
    expect(remote.calls).toEqual(['http:list']);

    const down = world({ state: 'offline' });
    await expect(down.service.refresh({ instanceDetails: true })).rejects.toThrow('not running');
    expect(down.calls).toEqual(['http:list']);
  });

  it('does not run lms ps when a fresh greeting finds LM Studio gone (lms would wake it)', async () => {
    const w = world();
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    w.quitJustNow();
    const snap = await w.service.refresh({ instanceDetails: true });
    expect(snap.loaded.map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);
    expect(w.calls).toEqual(['http:list', 'http:greet']);
  });

  it('with only /v1/models, fills the lists from lms when LM Studio is up', async () => {
    const w = world({ generation: 'openai' });
    w.preload(instance('google/gemma-3-1b', 'google/gemma-3-1b'));
    const snap = await w.service.refresh();
    expect(snap.source).toBe('lms');
    expect(snap.loaded.map((i) => i.identifier)).toEqual(['google/gemma-3-1b']);
    // The periodic refresh reuses that reading instead of spawning lms on a timer.
    await w.service.refresh();
    expect(w.calls.filter((c) => c.startsWith('lms:'))).toHaveLength(2);
  });

  it('with only /v1/models and no lms, says the loaded list is unknown (source openai)', async () => {
    const w = world({ generation: 'openai', withLms: false });
    const snap = await w.service.refresh();
    expect(snap).toMatchObject({ source: 'openai', loaded: [] });
  });

  it('marks the last lists stale when offline, once', async () => {
    const w = world();
    await w.service.refresh();
    const seen: boolean[] = [];
    w.service.onChange((s) => seen.push(s.stale));
    w.service.markStale();
    w.service.markStale();
    expect(w.service.snapshot()).toMatchObject({ stale: true, models: expect.arrayContaining([expect.anything()]) });
    expect(seen).toEqual([true]);
    await w.service.refresh();
    expect(seen).toEqual([true, false]);
  });

  it('a list the server fails to give keeps the last lists, marked stale, while online; a good answer brings them back', async () => {
    const w = world();
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    const good = await w.service.refresh();
    vi.mocked(w.client.listModels).mockRejectedValueOnce(
      new CoreError('server-error', 'LM Studio sent an unexpected answer when asked to list its models.'),
    );
    await expect(w.service.refresh()).rejects.toThrow(/unexpected answer/);
    expect(w.service.snapshot()).toEqual({ ...good, stale: true });
    const back = await w.service.refresh();
    expect(back).toMatchObject({ stale: false, models: good.models, loaded: good.loaded });
  });

  it('a refresh whose answers arrive after the server went down publishes them as the last known lists', async () => {
    const w = world();
    let answer!: () => void;
    const listed = vi.mocked(w.client.listModels);
    const real = listed.getMockImplementation()!;
    listed.mockImplementationOnce(async () => {
      const result = await real();
      await new Promise<void>((resolve) => (answer = resolve));
      return result;
    });
    const refreshing = w.service.refresh();
    await vi.waitFor(() => expect(answer).toBeDefined());
    w.setState('offline');
    answer();
    expect((await refreshing).stale).toBe(true);
  });

  it('does not announce a refresh that found nothing new', async () => {
    const w = world();
    const seen = vi.fn();
    w.service.onChange(seen);
    await w.service.refresh();
    await w.service.refresh();
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it('joins concurrent refreshes', async () => {
    const w = world();
    await Promise.all([w.service.refresh(), w.service.refresh(), w.service.refresh()]);
    expect(w.calls).toEqual(['http:list']);
  });
});

describe('model service: LM Studio up, its HTTP API closed to us (issue 11)', () => {
  it('reads both lists through lms while authentication is required, after a greeting shows LM Studio is up', async () => {
    const w = world({ state: 'unauthorized' });
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    const snap = await w.service.refresh();
    expect(w.calls).toEqual(['http:greet', 'lms:ls', 'lms:ps']);
    expect(snap).toMatchObject({ source: 'lms', stale: false });
    expect(snap.loaded.map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);
    expect(snap.models.find((m) => m.key === 'qwen/qwen3-4b')?.loadedInstances).toHaveLength(1);
  });

  it('keeps the HTTP API generation it last saw: lists read with lms say nothing about the API', async () => {
    const w = world({ generation: 'v1' });
    expect(w.service.httpGeneration()).toBeNull();
    await w.service.refresh();
    w.setState('unauthorized');
    expect((await w.service.refresh()).source).toBe('lms');
    expect(w.service.httpGeneration()).toBe('v1');
  });

  it('reads them through lms while the server is stopped, after the daemon says LM Studio runs', async () => {
    const w = world({ state: 'server-stopped' });
    const snap = await w.service.refresh();
    expect(w.calls).toEqual(['lms:daemon', 'lms:ls', 'lms:ps']);
    expect(snap).toMatchObject({ source: 'lms', stale: false });
  });

  it('runs no lms and keeps the last lists, stale, when LM Studio is gone by then (lms would wake it)', async () => {
    const w = world();
    await w.service.refresh();
    w.setState('unauthorized');
    w.quitJustNow();
    const snap = await w.service.refresh();
    expect(w.calls).toEqual(['http:list', 'http:greet']);
    expect(snap).toMatchObject({ source: 'v1', stale: true });
  });

  it('without a local lms, keeps the last lists marked stale and runs nothing', async () => {
    const w = world({ state: 'unauthorized', withLms: false });
    await expect(w.service.refresh()).rejects.toThrow();
    w.service.markStale();
    expect(w.service.snapshot().stale).toBe(true);
    expect(w.calls.filter((c) => c.startsWith('lms:'))).toEqual([]);
  });

  // Found by the lms-faults robustness suite: a failing `lms ls` read as "not downloaded".
  it('when lms cannot list the models, the load says so rather than "not downloaded"', async () => {
    const w = world({ state: 'server-stopped' });
    vi.mocked(w.lms.ls).mockRejectedValueOnce(new CoreError('lms-failed', '`lms ls --json` was stopped by SIGKILL.'));
    const error = await w.service.load('qwen/qwen3-4b').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'lms-failed',
      message: 'Could not list the downloaded models to load qwen/qwen3-4b: `lms ls --json` was stopped by SIGKILL.',
    });
    expect(w.service.loading()).toEqual([]);
  });

  it('loads through lms when the key is unambiguous, even where REST v1 would be preferred', async () => {
    const w = world({ state: 'unauthorized', generation: 'v1' });
    await w.service.refresh();
    await w.service.load('google/gemma-3-1b');
    expect(w.calls).toContain('lms:load google/gemma-3-1b');
    expect(w.calls.some((c) => c.startsWith('http:load'))).toBe(false);
    expect(w.service.snapshot().loaded.map((i) => i.identifier)).toEqual(['google/gemma-3-1b']);
  });

  it('refuses, and says why, a key lms load would confuse with another model', async () => {
    const w = world({ state: 'unauthorized', keys: ['qwen/qwen3-4b', 'qwen/qwen3-4b-2507'] });
    await w.service.refresh();
    await expect(w.service.load('qwen/qwen3-4b')).rejects.toThrow(
      'qwen/qwen3-4b also matches qwen/qwen3-4b-2507, so it could load the wrong model. Enter the API token',
    );
    expect(w.calls.some((c) => c.includes(':load'))).toBe(false);
    expect(w.service.loading()).toEqual([]);
  });

  it('unloads through lms, one or all, while the HTTP API refuses us', async () => {
    const w = world({ state: 'unauthorized', generation: 'v1' });
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    w.preload(instance('google/gemma-3-1b', 'google/gemma-3-1b'));
    await w.service.unload('qwen/qwen3-4b');
    expect(w.calls).toContain('lms:unload qwen/qwen3-4b');
    expect(await w.service.unloadAll()).toBe(1);
    expect(w.calls).toContain('lms:unload-all');
    expect(w.calls.some((c) => c.startsWith('http:unload'))).toBe(false);
  });
});

describe('model service: LM Studio closed', () => {
  it('keeps the last loaded list while nobody has said LM Studio is closed (its server may just have stopped)', async () => {
    const w = world();
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    await w.service.refresh();
    w.setState('offline', false);
    w.service.markStale();
    expect(w.service.snapshot()).toMatchObject({ stale: true, loaded: [{ identifier: 'qwen/qwen3-4b' }] });
    w.setState('offline', true);
    w.service.markStale();
    expect(w.service.snapshot()).toMatchObject({ stale: true, loaded: [] });
  });

  it('says nothing is loaded and keeps the downloaded list, stale', async () => {
    const w = world();
    w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    await w.service.refresh();
    w.setState('offline');
    w.service.markStale();
    const snap = w.service.snapshot();
    expect(snap).toMatchObject({ stale: true, loaded: [] });
    expect(snap.models.map((m) => m.key)).toEqual(['qwen/qwen3-4b', 'google/gemma-3-1b']);
    expect(snap.models.every((m) => m.loadedInstances.length === 0)).toBe(true);
  });
});

describe('model service: loading', () => {
  it('prefers REST v1, shows an indeterminate bar and the options REST cannot take', async () => {
    const w = world();
    const result = await w.service.load('qwen/qwen3-4b', { contextLength: 8192, gpuOffload: 'max' });
    expect(result).toEqual({ identifier: 'qwen/qwen3-4b' });
    expect(w.calls).toContain('http:load qwen/qwen3-4b');
    expect(w.calls.some((c) => c.startsWith('lms:load'))).toBe(false);
    expect(w.loadingSeen[0]).toEqual([
      expect.objectContaining({
        modelKey: 'qwen/qwen3-4b',
        via: 'rest',
        progress: null,
        unsupportedOptions: ['gpuOffload', 'ttlSeconds'],
      }),
    ]);
    expect(w.loadingSeen.at(-1)).toEqual([]);
    expect(w.service.snapshot().loaded.map((i) => i.modelKey)).toEqual(['qwen/qwen3-4b']);
  });

  it('uses lms load with its progress when REST v1 is missing and the key is unambiguous', async () => {
    const w = world({ generation: 'v0' });
    await w.service.refresh();
    await w.service.load('google/gemma-3-1b');
    expect(w.calls).toContain('lms:load google/gemma-3-1b');
    const progress = w.loadingSeen.flat().map((s) => s.progress);
    expect(progress).toEqual(expect.arrayContaining([0, 0.5, 1]));
    expect(w.loadingSeen.flat().every((s) => s.via === 'lms' && s.unsupportedOptions.length === 0)).toBe(true);
  });

  it('does not trust lms load with a key that fuzzily matches another model', async () => {
    const w = world({ generation: 'v0', keys: ['qwen/qwen3-4b-2507', 'qwen/qwen3-4b'] });
    await w.service.refresh();
    await w.service.load('qwen/qwen3-4b');
    expect(w.calls).toContain('http:load qwen/qwen3-4b');
    expect(w.calls.some((c) => c.startsWith('lms:load'))).toBe(false);
    expect(w.loadingSeen[0]?.[0]).toMatchObject({ via: 'responses', unsupportedOptions: ['ttlSeconds'] });
  });

  it('never uses the local lms for a remote server', async () => {
    const w = world({ generation: 'v0', isLocal: false });
    await w.service.refresh();
    await w.service.load('google/gemma-3-1b');
    expect(w.calls.some((c) => c.startsWith('lms:'))).toBe(false);
  });

  it('unloads a wrong model lms loaded and says so', async () => {
    const w = world({
      generation: 'v0',
      lmsLoads: () => 'google/gemma-3-1b',
      keys: ['qwen/qwen3-4b', 'google/gemma-3-1b'],
    });
    await w.service.refresh();
    // Make lms pick the wrong model even though the key looked unambiguous.
    await expect(w.service.load('qwen/qwen3-4b')).rejects.toThrow(
      'LM Studio loaded google/gemma-3-1b instead of qwen/qwen3-4b, so it was unloaded again.',
    );
    expect(w.calls).toContain('lms:unload google/gemma-3-1b');
    expect(w.service.snapshot().loaded).toEqual([]);
    expect(w.service.loading()).toEqual([]);
  });

  it('says so when LM Studio answers "loaded" but the model is not among the loaded ones', async () => {
    const w = world();
    vi.mocked(w.client.loadModel).mockImplementationOnce(async (key: string) => ({ identifier: key, via: 'rest' }));
    await expect(w.service.load('qwen/qwen3-4b')).rejects.toThrow(
      'LM Studio answered that qwen/qwen3-4b was loaded, but it is not among the loaded models.',
    );
  });

  it('refuses a second load of the same model while the first runs', async () => {
    const w = world();
    const first = w.service.load('qwen/qwen3-4b');
    await expect(w.service.load('qwen/qwen3-4b')).rejects.toThrow('qwen/qwen3-4b is already loading.');
    await first;
  });

  it('clears the loading state when the load fails', async () => {
    const w = world();
    vi.mocked(w.client.loadModel).mockRejectedValueOnce(new CoreError('server-error', 'Not enough memory.'));
    await expect(w.service.load('qwen/qwen3-4b')).rejects.toThrow('Not enough memory.');
    expect(w.service.loading()).toEqual([]);
  });
});

describe('model service: unattended loads (the keeper)', () => {
  it('REST v1 with exactly the options given: no defaults under them, never a TTL', async () => {
    const w = world();
    await w.service.load('qwen/qwen3-4b', { contextLength: 8192, ttlSeconds: 60 }, { unattended: true });
    expect(w.client.loadModel).toHaveBeenCalledWith('qwen/qwen3-4b', { contextLength: 8192 }, { restOnly: true });
    expect(w.loadingSeen[0]?.[0]).toMatchObject({ via: 'rest', unsupportedOptions: [] });
    expect(w.calls.some((c) => c.startsWith('lms:load') || c === 'lms:daemon')).toBe(false);
  });

  it('a GPU offload REST cannot apply goes through lms load, after lms daemon status says LM Studio runs', async () => {
    const w = world();
    await w.service.refresh();
    await w.service.load('google/gemma-3-1b', { gpuOffload: 'max' }, { unattended: true });
    const steps = w.calls.filter((c) => c.startsWith('lms:load') || c === 'lms:daemon');
    expect(steps).toEqual(['lms:daemon', 'lms:load google/gemma-3-1b']);
    expect(w.lms.load).toHaveBeenCalledWith('google/gemma-3-1b', { gpuOffload: 'max' }, expect.any(Function));
    expect(w.client.loadModel).not.toHaveBeenCalled();
  });

  it('without REST v1: lms load for an unambiguous key, else refused with the reason (never /v1/responses)', async () => {
    const w = world({ generation: 'v0', keys: ['qwen/qwen3-4b-2507', 'qwen/qwen3-4b', 'google/gemma-3-1b'] });
    await w.service.refresh();
    await w.service.load('google/gemma-3-1b', {}, { unattended: true });
    expect(w.calls).toContain('lms:load google/gemma-3-1b');
    await expect(w.service.load('qwen/qwen3-4b', {}, { unattended: true })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('qwen/qwen3-4b also matches qwen/qwen3-4b-2507'),
    });
    const noLms = world({ generation: 'v0', withLms: false });
    await noLms.service.refresh();
    await expect(noLms.service.load('qwen/qwen3-4b', {}, { unattended: true })).rejects.toThrow(
      'the local lms tool is not available here',
    );
    expect(w.client.loadModel).not.toHaveBeenCalled();
    expect(noLms.client.loadModel).not.toHaveBeenCalled();
  });

  it('never wakes LM Studio: no lms load when the daemon says it is not running', async () => {
    const w = world({ generation: 'v0' });
    await w.service.refresh();
    w.quitJustNow();
    await expect(w.service.load('google/gemma-3-1b', {}, { unattended: true })).rejects.toThrow(
      'LM Studio is not running, and it is not started just to load google/gemma-3-1b.',
    );
    expect(w.calls.filter((c) => c.startsWith('lms:'))).toEqual(['lms:daemon']);
    expect(w.service.loading()).toEqual([]);
  });
});

describe('model service: unloading', () => {
  it('unloads by identifier over REST when v1, and through lms otherwise', async () => {
    const rest = world();
    rest.preload(instance('qwen/qwen3-4b:2', 'qwen/qwen3-4b'));
    await rest.service.unload('qwen/qwen3-4b:2');
    expect(rest.calls).toContain('http:unload qwen/qwen3-4b:2');
    expect(rest.service.snapshot().loaded).toEqual([]);

    const old = world({ generation: 'v0' });
    old.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
    await old.service.unload('qwen/qwen3-4b');
    expect(old.calls).toContain('lms:unload qwen/qwen3-4b');
  });

  it('unloads all', async () => {
    const rest = world();
    rest.preload(instance('a', 'qwen/qwen3-4b'));
    rest.preload(instance('b', 'google/gemma-3-1b'));
    expect(await rest.service.unloadAll()).toBe(2);
    expect(rest.service.snapshot().loaded).toEqual([]);

    const old = world({ generation: 'v0' });
    old.preload(instance('a', 'qwen/qwen3-4b'));
    expect(await old.service.unloadAll()).toBe(1);
    expect(old.calls).toContain('lms:unload-all');
  });

  it.each([
    ['one over REST', 'v1', (w: ReturnType<typeof world>) => w.service.unload('qwen/qwen3-4b')],
    ['all through lms', 'v0', (w: ReturnType<typeof world>) => w.service.unloadAll()],
  ] as const)(
    'unload %s reads the lists again rather than join a refresh read before it',
    async (_, generation, unload) => {
      const w = world({ generation });
      w.preload(instance('qwen/qwen3-4b', 'qwen/qwen3-4b'));
      // A refresh (a periodic one, a page's) has read the list, model still loaded, and not yet answered.
      let answer!: () => void;
      const listed = vi.mocked(w.client.listModels);
      const real = listed.getMockImplementation()!;
      listed.mockImplementationOnce(async () => {
        const result = await real();
        await new Promise<void>((resolve) => (answer = resolve));
        return result;
      });
      const before = w.service.refresh({ instanceDetails: true });
      await vi.waitFor(() => expect(answer).toBeDefined());
      const unloaded = unload(w);
      answer();
      await before;
      await unloaded;
      expect(w.service.snapshot().loaded).toEqual([]);
    },
  );
});

describe('fuzzyMatches', () => {
  it.each([
    ['qwen/qwen3-4b', 'qwen/qwen3-4b-2507', true],
    ['qwen/qwen3-4b', 'QWEN/Qwen3-4B', true],
    ['gemma', 'google/gemma-3-1b', true],
    ['qwen/qwen3-4b-2507', 'qwen/qwen3-4b', false],
    ['llama', 'google/gemma-3-1b', false],
  ])('%s in %s: %s', (pattern, text, expected) => {
    expect(fuzzyMatches(pattern, text)).toBe(expected);
  });
});
