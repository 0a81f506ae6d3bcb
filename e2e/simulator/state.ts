/**
 * The simulated LM Studio's state: downloaded models, loaded instances, loads in progress,
 * downloads, and the log of what clients did. The HTTP server and the control server (used by
 * the fake `lms`) both act on one `SimState`, so whatever one side does the other sees.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_CATALOG, DEFAULT_DOWNLOAD_BYTES_PER_SECOND, DEFAULT_MODELS } from './defaults';
import type {
  SimCatalogEntry,
  SimConfig,
  SimDownloadStatus,
  SimDownloadView,
  SimLoadedInstance,
  SimModel,
  SimRequest,
  SimulatorOptions,
} from './types';

/** How long a load takes by default (REST's synchronous load and `lms load`'s spinner). */
export const DEFAULT_LOAD_DURATION_MS = 300;
/** After the last byte, LM Studio finalizes for a moment before the download is completed. */
export const FINALIZE_MS = 150;
/** A failing download fails once this share of its bytes has arrived. */
const FAIL_AT_RATIO = 0.2;
/** JIT loads get LM Studio's default TTL of 60 minutes. */
export const JIT_DEFAULT_TTL_MS = 60 * 60 * 1000;
/** Default length of the request and `lms` run logs. */
const HISTORY_KEPT = 10_000;
const MAX_ENDED_DOWNLOADS_KEPT = 100;
const TICK_MS = 25;

export interface Instance extends SimLoadedInstance {
  /** Loaded by an inference request (Auto-Evict replaces the previous JIT instance). */
  jit: boolean;
  parallel: number | null;
  loadedAt: number;
}

export interface Download {
  id: string;
  /** What the client asked for (key, key@quant or URL). */
  target: string;
  entry: SimCatalogEntry;
  via: 'lms' | 'rest';
  status: SimDownloadStatus;
  downloadedBytes: number;
  totalBytes: number;
  /** Speed LM Studio reports while bytes arrive (0 while stalled). */
  bytesPerSecond: number;
  startedAt: number;
  /** Set when the last byte arrived; completion follows FINALIZE_MS later. */
  finalizingSince: number | null;
  completedAt: number | null;
  error: string | null;
  failAtBytes: number | null;
  lastTickAt: number;
}

export interface LoadRequest {
  modelKey: string;
  identifier?: string;
  contextLength?: number;
  ttlMs?: number | null;
  jit?: boolean;
}

export type LoadOutcome = { ok: true; instance: Instance } | { ok: false; message: string };

export interface PendingLoad {
  id: string;
  modelKey: string;
  startedAt: number;
  durationMs: number;
  outcome: LoadOutcome | null;
  done: Promise<LoadOutcome>;
  /** Aborts the load; it ends with `message` (default: "Load cancelled."). */
  cancel(message?: string): void;
}

export type DownloadResolution =
  | { kind: 'already-downloaded'; model: SimModel }
  | { kind: 'in-progress'; download: Download }
  | { kind: 'available'; entry: SimCatalogEntry }
  | { kind: 'variant-missing'; variant: string }
  | { kind: 'not-found' };

export class SimState {
  readonly config: SimConfig;
  appRunning: boolean;
  /** The app's server switch: remembered while the app is down, restored at launch. */
  serverOn: boolean;
  port: number;
  models: SimModel[];
  readonly catalog: SimCatalogEntry[];
  instances: Instance[] = [];
  downloads: Download[] = [];
  readonly pendingLoads = new Map<string, PendingLoad>();
  wakeCount = 0;
  /** Each `lms` command that woke the app, and when (index.ts keeps the last ones). */
  readonly wakes: Array<{ argv: string[]; at: number }> = [];
  /** TCP connections the HTTP server accepted (read-only for benchmarks: connect-only checks make no request). */
  connectionCount = 0;
  /** argv of each `lms` run (the last `historyKept`). */
  readonly lmsInvocations: string[][] = [];
  readonly requests: SimRequest[] = [];
  private readonly historyKept: number;
  private ticker: NodeJS.Timeout | null = null;
  private readonly loadTimers = new Set<NodeJS.Timeout>();

  constructor(options: SimulatorOptions) {
    this.config = {
      generation: options.generation ?? '0.4',
      latencyMs: options.latencyMs ?? 0,
      loadDurationMs: options.loadDurationMs ?? DEFAULT_LOAD_DURATION_MS,
      hang: false,
      token: options.token ?? null,
      authErrorStatus: options.authErrorStatus ?? 401,
      greetingNeedsToken: options.greetingNeedsToken ?? false,
      foreign: options.foreign ?? false,
      jit: options.jit ?? true,
      downloadBytesPerSecond: options.downloadBytesPerSecond ?? DEFAULT_DOWNLOAD_BYTES_PER_SECOND,
      stallDownloads: false,
      failNextDownload: null,
      failNextLoad: null,
      lmsHangs: false,
    };
    this.historyKept = options.historyKept ?? HISTORY_KEPT;
    this.appRunning = options.appRunning ?? true;
    this.serverOn = options.serverRunning ?? true;
    this.port = options.port ?? 0;
    this.models = (options.models ?? DEFAULT_MODELS).map((m) => ({ ...m }));
    this.catalog = (options.catalog ?? DEFAULT_CATALOG).map((c) => ({ ...c, model: { ...c.model } }));
    if (this.appRunning) {
      for (const key of options.loaded ?? []) {
        if (!this.findModel(key)) throw new Error(`loaded: "${key}" is not among the simulator's models`);
        this.addInstance({ modelKey: key });
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Models and instances
  // -------------------------------------------------------------------------------------------

  findModel(key: string): SimModel | undefined {
    return this.models.find((m) => m.key === key);
  }

  findInstance(identifier: string): Instance | undefined {
    return this.instances.find((i) => i.identifier === identifier);
  }

  /** `key`, then `key:2`, `key:3`... as LM Studio names further instances of one model. */
  nextIdentifier(modelKey: string): string {
    if (!this.findInstance(modelKey)) return modelKey;
    for (let n = 2; ; n++) if (!this.findInstance(`${modelKey}:${n}`)) return `${modelKey}:${n}`;
  }

  addInstance(request: LoadRequest): Instance {
    const model = this.findModel(request.modelKey);
    if (!model) throw new Error(`unknown model ${request.modelKey}`);
    if (request.jit) this.instances = this.instances.filter((i) => !i.jit);
    const instance: Instance = {
      identifier: request.identifier ?? this.nextIdentifier(model.key),
      modelKey: model.key,
      contextLength:
        request.contextLength ?? Math.min(model.type === 'embedding' ? 2048 : 4096, model.maxContextLength),
      ttlMs: request.ttlMs ?? null,
      lastUsedTime: null,
      jit: request.jit ?? false,
      parallel: model.type === 'embedding' ? null : 4,
      loadedAt: Date.now(),
    };
    this.instances.push(instance);
    return instance;
  }

  unload(identifier: string): boolean {
    const before = this.instances.length;
    this.instances = this.instances.filter((i) => i.identifier !== identifier);
    return this.instances.length !== before;
  }

  unloadAll(): string[] {
    const identifiers = this.instances.map((i) => i.identifier);
    this.instances = [];
    return identifiers;
  }

  /** Starts a load that completes after `durationMs` (a failNextLoad match fails it instead). */
  beginLoad(request: LoadRequest, durationMs = this.config.loadDurationMs): PendingLoad {
    const id = `load_${randomBytes(5).toString('hex')}`;
    let settle!: (outcome: LoadOutcome) => void;
    const done = new Promise<LoadOutcome>((resolve) => {
      settle = resolve;
    });
    const finish = (outcome: LoadOutcome) => {
      if (pending.outcome) return;
      pending.outcome = outcome;
      clearTimeout(timer);
      this.loadTimers.delete(timer);
      settle(outcome);
      setTimeout(() => this.pendingLoads.delete(id), 60_000).unref();
    };
    const timer = setTimeout(() => {
      if (this.takeFailure('failNextLoad', request.modelKey)) {
        return finish({
          ok: false,
          message: `Failed to load model "${request.modelKey}". Error: (simulated) not enough memory to load this model.`,
        });
      }
      if (request.identifier && this.findInstance(request.identifier)) {
        return finish({ ok: false, message: `A model with the identifier "${request.identifier}" is already loaded.` });
      }
      finish({ ok: true, instance: this.addInstance(request) });
    }, durationMs);
    this.loadTimers.add(timer);
    const pending: PendingLoad = {
      id,
      modelKey: request.modelKey,
      startedAt: Date.now(),
      durationMs,
      outcome: null,
      done,
      cancel: (message = 'Load cancelled.') => finish({ ok: false, message }),
    };
    this.pendingLoads.set(id, pending);
    return pending;
  }

  /** Consumes a `failNextLoad`/`failNextDownload` that names this key (or `*`). */
  takeFailure(which: 'failNextLoad' | 'failNextDownload', key: string): boolean {
    const wanted = this.config[which];
    if (wanted === null || (wanted !== '*' && wanted.toLowerCase() !== key.toLowerCase())) return false;
    this.config[which] = null;
    return true;
  }

  /** The user deleted a downloaded model in LM Studio (loaded instances of it are unloaded). */
  deleteModel(key: string): boolean {
    const before = this.models.length;
    this.models = this.models.filter((m) => m.key !== key);
    this.instances = this.instances.filter((i) => i.modelKey !== key);
    return this.models.length !== before;
  }

  // -------------------------------------------------------------------------------------------
  // Downloads
  // -------------------------------------------------------------------------------------------

  /**
   * What a download request for `target` would do. Keys are matched case-insensitively (lms
   * lower-cases `owner/name`); `@quant` must match the catalog entry's quantization.
   */
  resolveDownload(target: string): DownloadResolution {
    const at = target.startsWith('https://') ? -1 : target.lastIndexOf('@');
    const base = (at > 0 ? target.slice(0, at) : target).toLowerCase();
    const variant = at > 0 ? target.slice(at + 1) : null;
    const downloaded = this.models.find((m) => m.key.toLowerCase() === base);
    const entry = this.catalog.find((c) => c.key.toLowerCase() === base);
    if (!entry && downloaded) return { kind: 'already-downloaded', model: downloaded };
    if (!entry) return { kind: 'not-found' };
    if (variant !== null && variant.toLowerCase() !== (entry.model.quantization ?? '').toLowerCase()) {
      return { kind: 'variant-missing', variant };
    }
    const have = this.findModel(entry.model.key);
    if (have) return { kind: 'already-downloaded', model: have };
    const running = this.downloads.find(
      (d) => d.entry === entry && (d.status === 'downloading' || d.status === 'paused'),
    );
    if (running) return { kind: 'in-progress', download: running };
    return { kind: 'available', entry };
  }

  startDownload(entry: SimCatalogEntry, target: string, via: 'lms' | 'rest'): Download {
    const now = Date.now();
    const download: Download = {
      id: `job_${randomBytes(5).toString('hex')}`,
      target,
      entry,
      via,
      status: 'downloading',
      downloadedBytes: 0,
      totalBytes: entry.sizeBytes,
      bytesPerSecond: 0,
      startedAt: now,
      finalizingSince: null,
      completedAt: null,
      error: null,
      failAtBytes: this.takeFailure('failNextDownload', entry.key) ? Math.floor(entry.sizeBytes * FAIL_AT_RATIO) : null,
      lastTickAt: now,
    };
    this.downloads.push(download);
    this.forgetOldDownloads();
    this.ensureTicker();
    return download;
  }

  /** Keeps the last MAX_ENDED_DOWNLOADS_KEPT ended downloads, so a long soak's simulator stays small. */
  private forgetOldDownloads(): void {
    let ended = this.downloads.filter((d) => d.status !== 'downloading' && d.status !== 'paused').length;
    if (ended <= MAX_ENDED_DOWNLOADS_KEPT) return;
    this.downloads = this.downloads.filter((d) => {
      const drop = ended > MAX_ENDED_DOWNLOADS_KEPT && d.status !== 'downloading' && d.status !== 'paused';
      if (drop) ended--;
      return !drop;
    });
  }

  findDownload(id: string): Download | undefined {
    this.tick();
    return this.downloads.find((d) => d.id === id);
  }

  cancelDownload(id: string): Download | undefined {
    const download = this.findDownload(id);
    if (download && download.status === 'downloading') {
      download.status = 'cancelled';
      download.bytesPerSecond = 0;
    }
    return download;
  }

  /** Moves every running download forward to now. */
  tick(now = Date.now()): void {
    for (const d of this.downloads) {
      if (d.status !== 'downloading') continue;
      const elapsedMs = now - d.lastTickAt;
      d.lastTickAt = now;
      if (d.finalizingSince !== null) {
        if (now - d.finalizingSince >= FINALIZE_MS) this.complete(d, now);
        continue;
      }
      if (this.config.stallDownloads) {
        d.bytesPerSecond = 0;
        continue;
      }
      const rate = this.config.downloadBytesPerSecond;
      d.bytesPerSecond = rate;
      d.downloadedBytes = Math.min(d.totalBytes, d.downloadedBytes + Math.round((rate * elapsedMs) / 1000));
      if (d.failAtBytes !== null && d.downloadedBytes >= d.failAtBytes) {
        d.downloadedBytes = d.failAtBytes;
        d.status = 'failed';
        d.bytesPerSecond = 0;
        d.error = 'Failed to download: (simulated) the connection to the model repository was lost.';
        continue;
      }
      if (d.downloadedBytes >= d.totalBytes) d.finalizingSince = now;
    }
    if (!this.downloads.some((d) => d.status === 'downloading')) this.stopTicker();
  }

  private complete(d: Download, now: number): void {
    d.status = 'completed';
    d.completedAt = now;
    d.bytesPerSecond = 0;
    if (!this.findModel(d.entry.model.key)) this.models.push({ ...d.entry.model });
  }

  private ensureTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  // -------------------------------------------------------------------------------------------
  // The app's lifecycle, as far as state goes
  // -------------------------------------------------------------------------------------------

  /** The app went away: models unloaded, loads aborted, running downloads failed. */
  appStopped(reason: string): void {
    this.appRunning = false;
    this.instances = [];
    for (const load of this.pendingLoads.values()) load.cancel('LM Studio quit while the model was loading.');
    this.tick();
    for (const d of this.downloads) {
      if (d.status === 'downloading' || d.status === 'paused') {
        d.status = 'failed';
        d.bytesPerSecond = 0;
        d.error = reason;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Logs and views
  // -------------------------------------------------------------------------------------------

  recordLmsInvocation(argv: string[]): void {
    this.lmsInvocations.push(argv);
    if (this.lmsInvocations.length > this.historyKept) {
      this.lmsInvocations.splice(0, this.lmsInvocations.length - this.historyKept);
    }
  }

  recordRequest(method: string, path: string): void {
    this.requests.push({ method, path, at: Date.now() });
    if (this.requests.length > this.historyKept) this.requests.splice(0, this.requests.length - this.historyKept);
  }

  loadedView(): SimLoadedInstance[] {
    return this.instances.map(({ identifier, modelKey, contextLength, ttlMs, lastUsedTime }) => ({
      identifier,
      modelKey,
      contextLength,
      ttlMs,
      lastUsedTime,
    }));
  }

  downloadsView(): SimDownloadView[] {
    this.tick();
    return this.downloads.map((d) => ({
      id: d.id,
      model: d.target,
      status: d.status,
      downloadedBytes: d.downloadedBytes,
      totalBytes: d.totalBytes,
      via: d.via,
    }));
  }

  dispose(): void {
    this.stopTicker();
    for (const timer of this.loadTimers) clearTimeout(timer);
    this.loadTimers.clear();
  }
}
