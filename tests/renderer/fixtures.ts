/** Builders for the contract's data, with overrides, so each test states only what it is about. */
import {
  type ActivitySample,
  type AppSnapshot,
  DEFAULT_SETTINGS,
  type DownloadState,
  type LoadedInstance,
  type LoadingState,
  type MemoryUse,
  type ModelActivity,
  type ModelEntry,
  type ServerStatus,
  type SettingsView,
} from '../../electron/shared/contract';

export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

export function makeStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    state: 'online',
    detail: '',
    baseUrl: 'http://127.0.0.1:1234',
    port: 1234,
    remote: false,
    apiGeneration: 'v1',
    lmsPath: '/home/me/.lmstudio/bin/lms',
    lmsSearched: [],
    since: NOW - 60_000,
    checkedAt: NOW,
    unstable: false,
    lmStudioClosed: false,
    ...overrides,
  };
}

export function makeInstance(overrides: Partial<LoadedInstance> = {}): LoadedInstance {
  return {
    identifier: 'qwen/qwen3-4b',
    modelKey: 'qwen/qwen3-4b',
    contextLength: 8192,
    ttlMs: null,
    lastUsedTime: null,
    activity: 'idle',
    sizeBytes: 2_500_000_000,
    ...overrides,
  };
}

export function makeModel(overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    key: 'qwen/qwen3-4b',
    displayName: 'Qwen3 4B',
    publisher: 'qwen',
    type: 'llm',
    format: 'gguf',
    quantization: 'Q4_K_M',
    paramsString: '4B',
    sizeBytes: 2_500_000_000,
    maxContextLength: 32_768,
    vision: false,
    toolUse: true,
    reasoning: true,
    loadedInstances: [],
    ...overrides,
  };
}

/** `count` distinct models: model-0000 ... */
export function makeManyModels(count: number): ModelEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(4, '0');
    return makeModel({
      key: `publisher-${i % 7}/model-${n}`,
      displayName: `Model ${n}`,
      publisher: `publisher-${i % 7}`,
    });
  });
}

export function makeDownload(overrides: Partial<DownloadState> = {}): DownloadState {
  return {
    id: 'd1',
    model: 'google/gemma-3-12b',
    status: 'downloading',
    attached: false,
    via: 'lms',
    percent: 42.5,
    downloadedBytes: 3_430_000_000,
    totalBytes: 8_070_000_000,
    bytesPerSecond: 25_000_000,
    etaSeconds: 186,
    message: null,
    startedAt: NOW - 120_000,
    endedAt: null,
    warning: null,
    attempt: 1,
    nextRetryAt: null,
    failureKind: null,
    loadWhenDone: false,
    modelKey: null,
    ...overrides,
  };
}

export function makeLoading(overrides: Partial<LoadingState> = {}): LoadingState {
  return {
    modelKey: 'google/gemma-3-12b',
    progress: null,
    via: 'rest',
    startedAt: NOW,
    unsupportedOptions: [],
    ...overrides,
  };
}

export function makeSettings(overrides: Partial<SettingsView> = {}): SettingsView {
  const { apiToken: _token, ...rest } = DEFAULT_SETTINGS;
  return { ...rest, apiTokenSet: false, messages: [], ...overrides };
}

export function makeSnapshot(overrides: Partial<AppSnapshot> = {}): AppSnapshot {
  return {
    status: makeStatus(),
    models: { models: [makeModel()], loaded: [], stale: false, updatedAt: NOW, source: 'v1' },
    downloads: [],
    loading: [],
    kept: [],
    activity: { state: 'following', message: null, models: [] },
    settings: makeSettings(),
    app: { version: '0.1.0', platform: 'linux', transport: 'electron', logFile: null },
    ...overrides,
  };
}

export function makeSample(overrides: Partial<ActivitySample> = {}): ActivitySample {
  return {
    at: NOW - 60_000,
    tokensPerSecond: 42,
    timeToFirstTokenSec: 0.3,
    promptTokens: 19,
    predictedTokens: 120,
    ...overrides,
  };
}

export function makeModelActivity(overrides: Partial<ModelActivity> = {}): ModelActivity {
  return {
    identifier: 'qwen/qwen3-4b',
    inProgress: 0,
    busySince: null,
    requestsLast5Min: 3,
    last: makeSample({ tokensPerSecond: 37.52 }),
    medianTokensPerSecond: 42,
    medianTimeToFirstTokenSec: 0.3,
    recent: [makeSample({ at: NOW - 240_000 }), makeSample({ at: NOW - 60_000, tokensPerSecond: 37.52 })],
    possiblyStuckSince: null,
    ...overrides,
  };
}

const GIB = 1024 ** 3;

export function makeMemoryUse(overrides: Partial<MemoryUse> = {}): MemoryUse {
  return {
    modelsBytes: 9.8 * GIB,
    totalBytes: 64 * GIB,
    totalFrom: 'os',
    ramTotalBytes: 64 * GIB,
    ramFreeBytes: 21.3 * GIB,
    vramTotalBytes: null,
    ...overrides,
  };
}
