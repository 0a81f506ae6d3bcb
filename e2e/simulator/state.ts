/**
 * The simulated LM Studio's state: downloaded models, loaded instances, loads in progress,
 * downloads, and the log of what clients did. The HTTP server and the control server (used by
 * the fake `lms`) both act on one `SimState`, so whatever one side does the other sees.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_CATALOG, DEFAULT_DOWNLOAD_BYTES_PER_SECOND, DEFAULT_MODELS } from './defaults';
import { LogHub, type PredictionPlan, type PredictionStats, planPrediction, predictionStats } from './predictions';
import { DEFAULT_GPU, DEFAULT_RAM_BYTES, defaultContextLength, estimateMemory, guardrailRefusal } from './resources';
import type {
  SimCatalogEntry,
  SimConfig,
  SimDownloadFailure,
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
/** The simulated disk by default: 4 TB, so only tests that ask for a small disk ever fill it. */
export const DEFAULT_DISK_CAPACITY_BYTES = 4_000_000_000_000;
/** What a running `lms get` reports when LM Studio dies under it (a crash, or its disk filling up). */
export const CRASH_REASON = 'LM Studio stopped unexpectedly while the download was running.';
export const QUIT_REASON = 'LM Studio quit while the download was running.';

/**
 * What `lms get` prints (after `Error: `) when a download fails part-way. `connection-lost` is the
 * simulator's own; the others are LM Studio's transfer errors as users quote them
 * (lmstudio-bug-tracker#790 `Timed-out. Please try to resume.`, `read ECONNRESET`; #1222 the
 * checksum line, after `Finalizing download...`), behind the `Download failed: ` of #1222.
 */
export const DOWNLOAD_FAILURE_MESSAGES: Record<Exclude<SimDownloadFailure, 'not-found' | 'no-variant'>, string> = {
  'connection-lost': 'Failed to download: (simulated) the connection to the model repository was lost.',
  timeout: 'Download failed: Timed-out. Please try to resume.',
  'connection-reset': 'Download failed: read ECONNRESET',
  checksum: 'Download failed: Checksum failed - You can try to resume the download within LM Studio.',
};

export interface Instance extends SimLoadedInstance {
  /** Loaded by an inference request (Auto-Evict replaces the previous JIT instance). */
  jit: boolean;
  parallel: number | null;
  loadedAt: number;
  /** Its inference requests, running and queued, in arrival order (`lms ps`'s `status` and `queued`). */
  predictions: Prediction[];
}

/** One inference request on an instance (predictions.ts has the events it publishes). */
export interface Prediction {
  phase: 'queued' | 'processingPrompt' | 'generating';
  /** Accepted but never answered (`hangInference`): stuck until its model unloads or the app stops. */
  hung: boolean;
  /** Resolves with the answer, or null when it was stopped (the client left, the model unloaded, the app stopped). */
  readonly done: Promise<{ plan: PredictionPlan; stats: PredictionStats } | null>;
  /** The client went away: LM Studio stops generating ("Client disconnected. Stopping generation..."). */
  clientLeft(): void;
}

type StopReason = 'userStopped' | 'modelUnloaded' | 'appStopped';

interface RunningPrediction extends Prediction {
  instance: Instance;
  plan: PredictionPlan;
  startedAt: number;
  generatingAt: number;
  timer: NodeJS.Timeout | null;
  settle(result: { plan: PredictionPlan; stats: PredictionStats } | null): void;
  start(): void;
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
  /** The error it fails with at `failAtBytes`. */
  failWith: string | null;
  /** LM Studio quit while it ran: REST no longer knows its job id. */
  forgotten: boolean;
  lastTickAt: number;
}

export interface LoadRequest {
  modelKey: string;
  identifier?: string;
  contextLength?: number;
  ttlMs?: number | null;
  jit?: boolean;
  /** `--gpu` as a ratio (for the estimate the guardrails judge). */
  gpuRatio?: number;
}

/** `guardrail`: refused by the model loading guardrails (lms prints it as an uncaught error, with a stack). */
export type LoadOutcome = { ok: true; instance: Instance } | { ok: false; message: string; guardrail?: boolean };

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
  /** Bytes of interrupted downloads kept on disk, by catalog key: what LM Studio restarts a job from. */
  readonly partials = new Map<string, number>();
  /** Called when LM Studio dies on its own (its disk filled up), after the state says so. */
  onAppDied: (() => void) | null = null;
  private ticking = false;
  readonly requests: SimRequest[] = [];
  private readonly historyKept: number;
  private ticker: NodeJS.Timeout | null = null;
  private readonly loadTimers = new Set<NodeJS.Timeout>();
  private readonly predictionTimers = new Set<NodeJS.Timeout>();
  /** What `lms log stream` follows: the app's prediction events. */
  readonly logs = new LogHub();

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
      failNextDownloadAs: 'connection-lost',
      ramBytes: DEFAULT_RAM_BYTES,
      gpu: { ...DEFAULT_GPU },
      guardrails: { mode: 'high', customThresholdBytes: 4 * 1024 ** 3, alwaysAllowLoadAnyway: false },
      guardrailThresholdBytes: null,
      estimateConfidence: 'high',
      estimateUnits: options.generation === '0.3' ? 'GB' : 'GiB',
      estimateModelLine: options.generation === '0.3' ? 'path' : 'key',
      estimateOnlySupported: true,
      surveyEnumCase: 'lower',
      diskCapacityBytes: DEFAULT_DISK_CAPACITY_BYTES,
      launchFailsWhenDiskFull: true,
      restartDownloadsFromZero: false,
      tokensPerSecond: 60,
      timeToFirstTokenMs: 50,
      generationMs: null,
      generationJitter: 0,
      hangInference: false,
      logStreamBuild: 'current',
      lmStudioVersion: options.generation === '0.3' ? '0.3.31' : '0.4.2',
      headless: false,
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
    if (request.jit) this.removeInstances((i) => i.jit);
    const instance: Instance = {
      identifier: request.identifier ?? this.nextIdentifier(model.key),
      modelKey: model.key,
      contextLength: request.contextLength ?? defaultContextLength(model),
      ttlMs: request.ttlMs ?? null,
      lastUsedTime: null,
      jit: request.jit ?? false,
      parallel: model.type === 'embedding' ? null : 4,
      loadedAt: Date.now(),
      predictions: [],
    };
    this.instances.push(instance);
    return instance;
  }

  unload(identifier: string): boolean {
    return this.removeInstances((i) => i.identifier === identifier) > 0;
  }

  unloadAll(): string[] {
    const identifiers = this.instances.map((i) => i.identifier);
    this.removeInstances(() => true);
    return identifiers;
  }

  /** Unloads the matching instances; their predictions end with `modelUnloaded`. Returns how many. */
  private removeInstances(match: (instance: Instance) => boolean, reason: StopReason = 'modelUnloaded'): number {
    const removed = this.instances.filter(match);
    this.instances = this.instances.filter((i) => !match(i));
    for (const instance of removed) for (const p of [...instance.predictions]) this.stopPrediction(p, reason);
    return removed.length;
  }

  // -------------------------------------------------------------------------------------------
  // Predictions (inference requests) and the log stream's events
  // -------------------------------------------------------------------------------------------

  /**
   * Runs an inference request on `instance`: it waits for one of the instance's `parallel` slots,
   * publishes its input event, processes the prompt for `timeToFirstTokenMs`, generates for the
   * plan's time, then publishes its output event with stats. `hangInference` (read as it starts)
   * keeps it generating forever.
   */
  predict(instance: Instance, prompt: string, limit: number | null): Prediction {
    const model = this.findModel(instance.modelKey);
    const plan = planPrediction(this.config, prompt, limit);
    let settle!: (result: { plan: PredictionPlan; stats: PredictionStats } | null) => void;
    const done = new Promise<{ plan: PredictionPlan; stats: PredictionStats } | null>((resolve) => {
      settle = resolve;
    });
    const run: RunningPrediction = {
      phase: 'queued',
      hung: false,
      done,
      clientLeft: () => {
        if (!run.hung) this.stopPrediction(run, 'userStopped');
      },
      instance,
      plan,
      startedAt: 0,
      generatingAt: 0,
      timer: null,
      settle,
      start: () => {
        run.phase = 'processingPrompt';
        run.hung = this.config.hangInference;
        run.startedAt = Date.now();
        instance.lastUsedTime = run.startedAt;
        this.logs.publish({
          timestamp: run.startedAt,
          data: {
            type: 'llm.prediction.input',
            input: prompt,
            modelPath: model?.path ?? instance.modelKey,
            modelIdentifier: instance.identifier,
          },
        });
        run.timer = this.predictionTimer(plan.timeToFirstTokenMs, () => {
          run.phase = 'generating';
          run.generatingAt = Date.now();
          if (!run.hung) {
            run.timer = this.predictionTimer(plan.generationMs, () => this.finishPrediction(run, plan.stopReason));
          }
        });
      },
    };
    instance.predictions.push(run);
    this.admit(instance);
    return run;
  }

  /** Starts queued predictions while the instance has free slots (LM Studio's parallel predictions). */
  private admit(instance: Instance): void {
    // An unloaded instance starts nothing more (its queued requests are dropped with it).
    if (!this.instances.includes(instance)) return;
    const slots = instance.parallel ?? 1;
    for (const p of instance.predictions as RunningPrediction[]) {
      if (instance.predictions.filter((q) => q.phase !== 'queued').length >= slots) return;
      if (p.phase === 'queued') p.start();
    }
  }

  private predictionTimer(ms: number, fire: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.predictionTimers.delete(timer);
      fire();
    }, ms);
    this.predictionTimers.add(timer);
    return timer;
  }

  /** Ends a running prediction with its output event (stats from the tokens generated so far). */
  private finishPrediction(run: RunningPrediction, stopReason: PredictionStats['stopReason']): void {
    const { instance, plan } = run;
    instance.predictions = instance.predictions.filter((p) => p !== run);
    if (run.timer) clearTimeout(run.timer);
    this.predictionTimers.delete(run.timer as NodeJS.Timeout);
    const now = Date.now();
    const complete = stopReason === plan.stopReason;
    const generatedMs = complete ? plan.generationMs : run.generatingAt > 0 ? now - run.generatingAt : 0;
    const tokens = complete
      ? plan.predictedTokens
      : Math.min(
          plan.predictedTokens,
          Math.floor((generatedMs / Math.max(1, plan.generationMs)) * plan.predictedTokens),
        );
    const stats = predictionStats(
      plan,
      stopReason,
      tokens,
      generatedMs,
      this.findModel(instance.modelKey)?.format !== 'mlx',
    );
    instance.lastUsedTime = now;
    this.logs.publish({
      timestamp: now,
      data: {
        type: 'llm.prediction.output',
        output: plan.output.split(' ').slice(0, tokens).join(' '),
        stats,
        modelIdentifier: instance.identifier,
      },
    });
    run.settle(complete ? { plan, stats } : null);
    this.admit(instance);
  }

  /** Stops a prediction early: a running one still reports its output (LM Studio logs what it generated), unless the app is gone. */
  private stopPrediction(run: Prediction, reason: StopReason): void {
    const r = run as RunningPrediction;
    if (!r.instance.predictions.includes(r)) return;
    if (r.phase !== 'queued' && !r.hung && reason !== 'appStopped') {
      this.finishPrediction(r, reason);
      return;
    }
    r.instance.predictions = r.instance.predictions.filter((p) => p !== r);
    if (r.timer) clearTimeout(r.timer);
    this.predictionTimers.delete(r.timer as NodeJS.Timeout);
    r.settle(null);
    if (reason !== 'appStopped') this.admit(r.instance);
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
    // The guardrails judge the load as it starts, so a refusal comes at once.
    const model = this.findModel(request.modelKey);
    const estimate = model
      ? estimateMemory(this.config, model, { contextLength: request.contextLength, gpuRatio: request.gpuRatio })
      : null;
    const refused = estimate !== null && !estimate.passesGuardrails;
    const timer = setTimeout(
      () => {
        if (refused) return finish({ ok: false, message: guardrailRefusal(estimate.totalBytes), guardrail: true });
        if (this.takeFailure('failNextLoad', request.modelKey)) {
          return finish({
            ok: false,
            message: `Failed to load model "${request.modelKey}". Error: (simulated) not enough memory to load this model.`,
          });
        }
        if (request.identifier && this.findInstance(request.identifier)) {
          return finish({
            ok: false,
            message: `A model with the identifier "${request.identifier}" is already loaded.`,
          });
        }
        finish({ ok: true, instance: this.addInstance(request) });
      },
      refused ? 0 : durationMs,
    );
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
    this.removeInstances((i) => i.modelKey === key);
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
    const failure = this.config.failNextDownloadAs;
    if ((failure === 'not-found' || failure === 'no-variant') && this.takeFailure('failNextDownload', entry.key)) {
      return failure === 'not-found'
        ? { kind: 'not-found' }
        : { kind: 'variant-missing', variant: variant ?? entry.model.quantization ?? 'default' };
    }
    return { kind: 'available', entry };
  }

  /**
   * Starts (or, after an interrupted job, restarts) a download. A restart goes on from the bytes
   * its partial file kept, or from zero with `restartDownloadsFromZero` (the partial is dropped).
   */
  startDownload(entry: SimCatalogEntry, target: string, via: 'lms' | 'rest'): Download {
    const now = Date.now();
    const kept = this.partials.get(entry.key) ?? 0;
    this.partials.delete(entry.key);
    const resumedAt = this.config.restartDownloadsFromZero ? 0 : Math.min(kept, entry.sizeBytes);
    const failure = this.config.failNextDownloadAs;
    const fails =
      failure !== 'not-found' && failure !== 'no-variant' && this.takeFailure('failNextDownload', entry.key);
    const download: Download = {
      id: `job_${randomBytes(5).toString('hex')}`,
      target,
      entry,
      via,
      status: 'downloading',
      downloadedBytes: resumedAt,
      totalBytes: entry.sizeBytes,
      bytesPerSecond: 0,
      startedAt: now,
      finalizingSince: null,
      completedAt: null,
      error: null,
      // A checksum is checked once every byte is there; transfer errors come part-way.
      failAtBytes: !fails
        ? null
        : failure === 'checksum'
          ? entry.sizeBytes
          : resumedAt + Math.floor((entry.sizeBytes - resumedAt) * FAIL_AT_RATIO),
      failWith: fails ? DOWNLOAD_FAILURE_MESSAGES[failure as keyof typeof DOWNLOAD_FAILURE_MESSAGES] : null,
      forgotten: false,
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

  /**
   * Moves every running download forward to now. Bytes take room on the simulated disk; when a
   * download needs more than is free, it writes what fits and LM Studio dies (ENOSPC, as
   * lmstudio-bug-tracker#232 shows it).
   */
  tick(now = Date.now()): void {
    if (this.ticking) return;
    this.ticking = true;
    let diskFilled = false;
    try {
      let room = this.config.diskCapacityBytes - this.diskUsed();
      for (const d of this.downloads) {
        if (d.status !== 'downloading') continue;
        const elapsedMs = now - d.lastTickAt;
        d.lastTickAt = now;
        if (d.finalizingSince !== null) {
          if (now - d.finalizingSince < FINALIZE_MS) continue;
          if (d.failAtBytes !== null && d.failAtBytes >= d.totalBytes) this.fail(d, d.failWith);
          else this.complete(d, now);
          continue;
        }
        if (this.config.stallDownloads || diskFilled) {
          d.bytesPerSecond = 0;
          continue;
        }
        const rate = this.config.downloadBytesPerSecond;
        d.bytesPerSecond = rate;
        const wanted = Math.min(d.totalBytes - d.downloadedBytes, Math.round((rate * elapsedMs) / 1000));
        const written = Math.max(0, Math.min(wanted, room));
        d.downloadedBytes += written;
        room -= written;
        if (written < wanted) {
          diskFilled = true;
          continue;
        }
        if (d.failAtBytes !== null && d.failAtBytes < d.totalBytes && d.downloadedBytes >= d.failAtBytes) {
          d.downloadedBytes = d.failAtBytes;
          this.fail(d, d.failWith);
          continue;
        }
        if (d.downloadedBytes >= d.totalBytes) d.finalizingSince = now;
      }
    } finally {
      this.ticking = false;
    }
    if (diskFilled) {
      this.appStopped(CRASH_REASON);
      this.onAppDied?.();
    }
    if (!this.downloads.some((d) => d.status === 'downloading')) this.stopTicker();
  }

  /** A transfer error: the partial file stays, so a new job for the model goes on from it. */
  private fail(d: Download, error: string | null): void {
    d.status = 'failed';
    d.bytesPerSecond = 0;
    d.error = error ?? 'The download failed.';
    this.keepPartial(d);
  }

  private keepPartial(d: Download): void {
    if (d.downloadedBytes > 0 && !this.findModel(d.entry.model.key)) this.partials.set(d.entry.key, d.downloadedBytes);
  }

  private complete(d: Download, now: number): void {
    d.status = 'completed';
    d.completedAt = now;
    d.bytesPerSecond = 0;
    if (!this.findModel(d.entry.model.key)) this.models.push({ ...d.entry.model });
  }

  // -------------------------------------------------------------------------------------------
  // The simulated disk (shared by the models folder, partial files and running downloads)
  // -------------------------------------------------------------------------------------------

  /** Bytes on the simulated disk: downloaded models, partial files, bytes of running downloads. */
  diskUsed(): number {
    let used = 0;
    for (const m of this.models) used += m.sizeBytes;
    for (const bytes of this.partials.values()) used += bytes;
    for (const d of this.downloads) if (d.status === 'downloading' || d.status === 'paused') used += d.downloadedBytes;
    return used;
  }

  diskFree(): number {
    this.tick();
    return Math.max(0, this.config.diskCapacityBytes - this.diskUsed());
  }

  /** The user deletes the partial files; returns the bytes freed. */
  discardPartials(): number {
    let freed = 0;
    for (const bytes of this.partials.values()) freed += bytes;
    this.partials.clear();
    return freed;
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

  /**
   * The app went away: models unloaded, loads aborted, running downloads failed with their
   * partial files kept (a later job restarts from them) and their REST job ids forgotten.
   */
  appStopped(reason: string): void {
    this.appRunning = false;
    this.removeInstances(() => true, 'appStopped');
    this.logs.appStopped();
    for (const load of this.pendingLoads.values()) load.cancel('LM Studio quit while the model was loading.');
    this.tick();
    for (const d of this.downloads) {
      if (d.status === 'downloading' || d.status === 'paused') {
        this.fail(d, reason);
        d.forgotten = true;
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
      error: d.error,
    }));
  }

  dispose(): void {
    this.stopTicker();
    this.removeInstances(() => true, 'appStopped');
    for (const timer of this.predictionTimers) clearTimeout(timer);
    this.predictionTimers.clear();
    this.logs.dispose();
    for (const timer of this.loadTimers) clearTimeout(timer);
    this.loadTimers.clear();
  }
}
