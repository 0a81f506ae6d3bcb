/**
 * A fake TrayCore and snapshot builders for the shell's tests: the shell only ever sees the
 * TrayCore interface, so a fake that records commands and emits events is all it needs.
 */
import type { TrayCore } from '../../../electron/core/interfaces';
import {
  type AppEvent,
  type AppSnapshot,
  DEFAULT_SETTINGS,
  type DownloadState,
  type KeptModelState,
  type LoadedInstance,
  type ModelActivity,
  type Result,
  type ServerState,
  type ServerStatus,
} from '../../../electron/shared/contract';

export function status(state: ServerState, overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    state,
    detail: '',
    baseUrl: 'http://127.0.0.1:1234',
    port: 1234,
    remote: false,
    apiGeneration: 'v1',
    lmsPath: '/home/user/.lmstudio/bin/lms',
    lmsSearched: [],
    since: 0,
    checkedAt: 0,
    unstable: false,
    lmStudioClosed: false,
    ...overrides,
  };
}

export function loaded(identifier: string): LoadedInstance {
  return {
    identifier,
    modelKey: identifier,
    contextLength: 4096,
    ttlMs: null,
    lastUsedTime: null,
    activity: null,
    sizeBytes: null,
  };
}

/** One model's activity as the stream reports it: idle, nothing answered yet, unless overridden. */
export function activity(identifier: string, overrides: Partial<ModelActivity> = {}): ModelActivity {
  return {
    identifier,
    inProgress: 0,
    busySince: null,
    requestsLast5Min: 0,
    last: null,
    medianTokensPerSecond: null,
    medianTimeToFirstTokenSec: null,
    recent: [],
    possiblyStuckSince: null,
    ...overrides,
  };
}

export function download(model: string, overrides: Partial<DownloadState> = {}): DownloadState {
  return {
    id: `d-${model.replace(/[^A-Za-z0-9]/g, '')}`,
    model,
    status: 'downloading',
    attached: false,
    via: 'lms',
    percent: 42,
    downloadedBytes: null,
    totalBytes: null,
    bytesPerSecond: null,
    etaSeconds: null,
    message: null,
    startedAt: 0,
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

export function snapshot(
  options: {
    state?: ServerState;
    status?: Partial<ServerStatus>;
    loaded?: string[];
    downloads?: DownloadState[];
    kept?: KeptModelState[];
    /** The stream's models (followed), or the whole activity snapshot. */
    activity?: ModelActivity[] | AppSnapshot['activity'];
    settings?: Partial<AppSnapshot['settings']>;
  } = {},
): AppSnapshot {
  const instances = (options.loaded ?? []).map(loaded);
  const { apiToken: _token, ...settings } = DEFAULT_SETTINGS;
  return {
    status: status(options.state ?? 'online', options.status),
    models: { models: [], loaded: instances, stale: false, updatedAt: 0, source: 'v1' },
    downloads: options.downloads ?? [],
    loading: [],
    kept: options.kept ?? [],
    activity: Array.isArray(options.activity)
      ? { state: 'following', message: null, models: options.activity }
      : (options.activity ?? { state: 'following', message: null, models: [] }),
    settings: { ...settings, apiTokenSet: false, messages: [], ...options.settings },
    app: { version: '0.1.0', platform: 'linux', transport: 'electron', logFile: null },
  };
}

export interface FakeCore extends TrayCore {
  current: AppSnapshot;
  readonly invocations: Array<{ name: string; payload: unknown }>;
  readonly powerEvents: Array<'suspend' | 'resume'>;
  readonly shutdowns: Array<{ cancelDownloads?: boolean } | undefined>;
  started: boolean;
  /** Replaces the snapshot and emits the event as the real core would. */
  emit(event: AppEvent): void;
  /** What `shutdown` resolves with: a promise the test controls. */
  shutdownGate: Promise<void>;
  reply: (name: string, payload: unknown) => Promise<Result<unknown>>;
}

export function createFakeCore(initial: AppSnapshot = snapshot()): FakeCore {
  const listeners = new Set<(event: AppEvent) => void>();
  const core: FakeCore = {
    current: initial,
    invocations: [],
    powerEvents: [],
    shutdowns: [],
    started: false,
    shutdownGate: Promise.resolve(),
    reply: async () => ({ ok: true, value: null }),
    async start() {
      core.started = true;
    },
    snapshot: () => core.current,
    invoke: ((name: string, payload: unknown) => {
      core.invocations.push({ name, payload });
      return core.reply(name, payload);
    }) as TrayCore['invoke'],
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    powerEvent(kind) {
      core.powerEvents.push(kind);
    },
    shutdown(options) {
      core.shutdowns.push(options);
      return core.shutdownGate;
    },
    emit(event) {
      for (const listener of listeners) listener(event);
    },
  };
  return core;
}
