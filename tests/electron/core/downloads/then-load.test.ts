import { describe, expect, it } from 'vitest';
import { catalogKey, startThenLoad, type ThenLoadOptions } from '../../../../electron/core/downloads/then-load';
import { CoreError } from '../../../../electron/core/errors';
import type { PolicyInput } from '../../../../electron/core/interfaces';
import type { Logger } from '../../../../electron/core/ports';
import type { DownloadState, ModelEntry, ModelsSnapshot } from '../../../../electron/shared/contract';

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

function row(id: string, model: string, extra: Partial<DownloadState> = {}): DownloadState {
  return {
    id,
    model,
    status: 'downloading',
    attached: false,
    via: 'lms',
    percent: null,
    downloadedBytes: null,
    totalBytes: null,
    bytesPerSecond: null,
    etaSeconds: null,
    message: null,
    warning: null,
    startedAt: 0,
    endedAt: null,
    attempt: 1,
    nextRetryAt: null,
    failureKind: null,
    loadWhenDone: true,
    modelKey: null,
    ...extra,
  };
}

/**
 * A supervisor's rows and final outcomes, and a model service whose downloaded list is what
 * the test says (`refresh` returns the list "LM Studio" has by then).
 */
function setup(options: { listed?: string[] | null } = {}) {
  const changeListeners = new Set<(list: DownloadState[]) => void>();
  const finishedListeners = new Set<(download: DownloadState) => void>();
  let rows: DownloadState[] = [];
  const listOf = (keys: string[] | null): ModelsSnapshot => ({
    models: (keys ?? []).map(model),
    loaded: [],
    stale: false,
    updatedAt: keys === null ? null : 1,
    source: 'v1',
  });
  let snapshot = listOf(options.listed === undefined ? [] : options.listed);
  /** What the next refresh finds; null makes it fail. */
  let onRefresh: string[] | null = snapshot.models.map((m) => m.key);
  const loads: string[] = [];
  let loadError: unknown = null;
  const notified: PolicyInput[] = [];
  let refreshes = 0;

  const deps: ThenLoadOptions = {
    downloads: {
      list: () => rows,
      onChange(listener) {
        changeListeners.add(listener);
        return () => changeListeners.delete(listener);
      },
      onFinished(listener) {
        finishedListeners.add(listener);
        return () => finishedListeners.delete(listener);
      },
    },
    models: {
      snapshot: () => snapshot,
      refresh: async () => {
        refreshes++;
        if (onRefresh === null) throw new CoreError('unavailable', 'LM Studio did not answer.');
        snapshot = listOf(onRefresh);
        return snapshot;
      },
      load: async (key) => {
        loads.push(key);
        if (loadError) throw loadError;
        return { identifier: key };
      },
    },
    notify: (input) => notified.push(input),
    logger: silent,
  };
  const stop = startThenLoad(deps);
  return {
    stop,
    loads,
    notified,
    refreshes: () => refreshes,
    /** Rows as the supervisor lists them now. */
    show(...list: DownloadState[]) {
      rows = list;
      for (const listener of changeListeners) listener(rows);
    },
    /** The final outcome of a row (kept in the list, as the supervisor does). */
    async finish(download: DownloadState) {
      rows = rows.map((r) => (r.id === download.id ? download : r));
      for (const listener of finishedListeners) listener(download);
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    },
    lmStudioHas(keys: string[] | null) {
      onRefresh = keys;
    },
    failLoads(error: unknown) {
      loadError = error;
    },
    setList(keys: string[] | null) {
      snapshot = listOf(keys);
    },
  };
}

describe('Load when done', () => {
  it('loads the key from the plan line once the download completes', async () => {
    const t = setup({ listed: [] });
    const d = row('dl-1', 'https://huggingface.co/Qwen/Qwen3-4B-GGUF');
    t.show(d);
    t.lmStudioHas(['qwen/qwen3-4b']);
    await t.finish({ ...d, status: 'completed', modelKey: 'qwen/qwen3-4b' });
    expect(t.loads).toEqual(['qwen/qwen3-4b']);
    expect(t.notified).toEqual([]);
  });

  it('does nothing for a download without the checkbox, or one that did not complete', async () => {
    const t = setup({ listed: [] });
    const plain = row('dl-1', 'qwen/qwen3-4b', { loadWhenDone: false });
    const failing = row('dl-2', 'qwen/qwen3-8b');
    const cancelled = row('dl-3', 'qwen/qwen3-14b');
    t.show(plain, failing, cancelled);
    t.lmStudioHas(['qwen/qwen3-4b']);
    await t.finish({ ...plain, status: 'completed', modelKey: 'qwen/qwen3-4b' });
    await t.finish({ ...failing, status: 'failed', message: 'Not found.' });
    await t.finish({ ...cancelled, status: 'cancelled' });
    await t.finish({ ...cancelled, status: 'continuing' });
    expect(t.loads).toEqual([]);
    expect(t.notified).toEqual([]);
    expect(t.refreshes()).toBe(0);
  });

  it('without a key, loads the model that newly appeared since the download started', async () => {
    const t = setup({ listed: ['google/gemma-3-1b'] });
    const d = row('dl-1', 'https://huggingface.co/someone/Thing-GGUF', { via: 'rest' });
    t.show(d);
    // Appearing mid-download still counts: the list is compared with the one at the start.
    t.setList(['google/gemma-3-1b', 'someone/thing']);
    t.lmStudioHas(['google/gemma-3-1b', 'someone/thing']);
    await t.finish({ ...d, status: 'completed' });
    expect(t.loads).toEqual(['someone/thing']);
  });

  it('leaves out a new model another row claims, and narrows several by the text typed', async () => {
    const t = setup({ listed: [] });
    const other = row('dl-0', 'openai/gpt-oss-20b', { loadWhenDone: false, modelKey: 'openai/gpt-oss-20b' });
    const d = row('dl-1', 'https://huggingface.co/someone/thing-gguf');
    t.show(other, d);
    t.lmStudioHas(['openai/gpt-oss-20b', 'someone/thing-gguf']);
    await t.finish({ ...d, status: 'completed' });
    expect(t.loads).toEqual(['someone/thing-gguf']);

    const u = setup({ listed: [] });
    const loose = row('dl-2', 'qwen3-4b');
    u.show(loose);
    u.lmStudioHas(['google/gemma-3-1b', 'qwen/qwen3-4b']);
    await u.finish({ ...loose, status: 'completed' });
    expect(u.loads).toEqual(['qwen/qwen3-4b']);
  });

  it('loads a typed catalog key for "already downloaded" (variant stripped, spelled as listed)', async () => {
    const t = setup({ listed: ['qwen/qwen3-4b'] });
    const d = row('dl-1', 'Qwen/Qwen3-4B@q4_k_m', { via: 'rest' });
    t.show(d);
    await t.finish({ ...d, status: 'already-downloaded', message: 'qwen/qwen3-4b is already downloaded.' });
    expect(t.loads).toEqual(['qwen/qwen3-4b']);
  });

  it('prefers a typed catalog key in the list over another model downloaded meanwhile in LM Studio', async () => {
    const t = setup({ listed: [] });
    const d = row('dl-1', 'qwen/qwen3-4b', { via: 'rest' });
    t.show(d);
    t.lmStudioHas(['google/gemma-3-1b', 'qwen/qwen3-4b']);
    await t.finish({ ...d, status: 'completed' });
    expect(t.loads).toEqual(['qwen/qwen3-4b']);
  });

  it('says so once, and loads nothing, when it cannot tell which model it was', async () => {
    const t = setup({ listed: ['google/gemma-3-1b'] });
    const d = row('dl-1', 'https://huggingface.co/someone/Thing-GGUF');
    t.show(d);
    await t.finish({ ...d, status: 'already-downloaded', message: 'Everything is already downloaded' });
    expect(t.loads).toEqual([]);
    expect(t.notified).toEqual([
      {
        type: 'load-failed',
        modelKey: 'https://huggingface.co/someone/Thing-GGUF',
        message: expect.stringContaining('could not tell which model it is'),
      },
    ]);
  });

  it('never guesses between several new models', async () => {
    const t = setup({ listed: [] });
    const d = row('dl-1', 'https://huggingface.co/someone/collection');
    t.show(d);
    t.lmStudioHas(['a/one', 'b/two']);
    await t.finish({ ...d, status: 'completed' });
    expect(t.loads).toEqual([]);
    expect(t.notified).toHaveLength(1);
    expect(t.notified[0]).toMatchObject({ message: expect.stringContaining('several models appeared (a/one, b/two)') });
  });

  it('compares nothing with a list that had not been read when the download started', async () => {
    const t = setup({ listed: null });
    const d = row('dl-1', 'https://huggingface.co/someone/Thing-GGUF');
    t.show(d);
    t.lmStudioHas(['google/gemma-3-1b']);
    await t.finish({ ...d, status: 'completed' });
    expect(t.loads).toEqual([]);
    expect(t.notified).toHaveLength(1);
  });

  it('turns a failed load into one load-failed notification with the load error', async () => {
    const t = setup({ listed: [] });
    const d = row('dl-1', 'qwen/qwen3-4b');
    t.show(d);
    t.lmStudioHas(['qwen/qwen3-4b']);
    t.failLoads(new CoreError('unavailable', 'Not enough memory to load qwen/qwen3-4b.'));
    await t.finish({ ...d, status: 'completed', modelKey: 'qwen/qwen3-4b' });
    expect(t.notified).toEqual([
      { type: 'load-failed', modelKey: 'qwen/qwen3-4b', message: 'Not enough memory to load qwen/qwen3-4b.' },
    ]);
  });

  it('still loads when the list cannot be refreshed (the load itself says what is wrong)', async () => {
    const t = setup({ listed: ['qwen/qwen3-4b'] });
    const d = row('dl-1', 'qwen/qwen3-4b');
    t.show(d);
    t.lmStudioHas(null);
    await t.finish({ ...d, status: 'completed', modelKey: 'qwen/qwen3-4b' });
    expect(t.loads).toEqual(['qwen/qwen3-4b']);
  });

  it('stops listening when stopped', async () => {
    const t = setup({ listed: [] });
    const d = row('dl-1', 'qwen/qwen3-4b');
    t.show(d);
    t.stop();
    await t.finish({ ...d, status: 'completed', modelKey: 'qwen/qwen3-4b' });
    expect(t.loads).toEqual([]);
  });
});

describe('catalogKey', () => {
  it('takes owner/name, lower-cased, without its variant; nothing else', () => {
    expect(catalogKey(' Qwen/Qwen3-4B@q4_k_m ')).toBe('qwen/qwen3-4b');
    expect(catalogKey('openai/gpt-oss-20b')).toBe('openai/gpt-oss-20b');
    expect(catalogKey('qwen3-4b')).toBeNull();
    expect(catalogKey('https://huggingface.co/Qwen/Qwen3-4B-GGUF')).toBeNull();
    expect(catalogKey('a/b/c')).toBeNull();
    expect(catalogKey('../etc')).toBeNull();
  });
});
