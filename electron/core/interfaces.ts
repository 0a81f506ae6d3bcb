/**
 * The core's modules as interfaces, so each can be built, faked and tested on its own and the
 * wiring in `app.ts` reads as a diagram. Implementations live beside their tests' subjects:
 *
 *   lmstudio/client.ts        LmStudioClient   HTTP (greeting, models, load/unload, REST download)
 *   lmstudio/lms/cli.ts       LmsCli           the `lms` executable, argument arrays, parsed output
 *   health/monitor.ts         HealthMonitor    the server's state and its transitions
 *   models/service.ts         ModelService     downloaded + loaded lists, load/unload
 *   downloads/manager.ts      DownloadManager  concurrent downloads, progress, cancel, stall
 *   downloads/supervisor.ts   DownloadSupervisor  retries, waiting for LM Studio, restart pick-up, disk checks
 *   downloads/journal.ts      DownloadJournal  downloads.json: the unfinished downloads this app started
 *   downloads/then-load.ts    (no interface)   `Load when done`: loads a model once its download finishes
 *   fit/disk.ts               DiskGuard        the models folder's free space, before and during downloads
 *   fit/memory.ts             MemoryEstimator  `lms load --estimate-only`, cached; the machine's memory
 *   models/keep-ready.ts      KeepReady        `Keep MODELKEY loaded`: reloads kept models, never fights
 *   activity/monitor.ts       ActivityMonitor  `lms log stream`: what is generating, tokens/s, stuck requests
 *   diagnostics/outages.ts    OutageHistory    outages.json: the outages of the last 7 days, across restarts
 *   diagnostics/report.ts     (no interface)   the plain-text diagnostics report
 *   notifications/policy.ts   NotificationPolicy  which events become desktop notifications
 *   settings/store.ts         SettingsStore    settings.json, per-field validation, atomic writes
 *   app.ts                    TrayCore         all of the above behind the contract's commands
 */
import type {
  ActivitySnapshot,
  ApiGeneration,
  AppEvent,
  AppNotification,
  AppSnapshot,
  CommandError,
  CommandName,
  CommandResponse,
  DiskSpaceAnswer,
  DownloadFailureKind,
  DownloadState,
  EstimateAnswer,
  KeptModel,
  KeptModelState,
  LoadedInstance,
  LoadingState,
  LoadOptions,
  ModelEntry,
  ModelsSnapshot,
  Result,
  ServerState,
  ServerStatus,
  Settings,
  SettingsPatch,
  SettingsView,
} from '../shared/contract';
import type {
  Clock,
  DiskSpacePort,
  Environment,
  FileSystem,
  LogFile,
  Logger,
  Notifier,
  SecretCodec,
  SpawnFn,
  SystemMemoryPort,
} from './ports';

// ---------------------------------------------------------------------------------------------
// Errors: one class, with a code from the contract and a message the user can act on
// ---------------------------------------------------------------------------------------------

/** The codes a CoreError carries: exactly the contract's, so errors reach the page unchanged. */
export type CoreErrorCode = CommandError['code'];

// ---------------------------------------------------------------------------------------------
// LM Studio over HTTP
// ---------------------------------------------------------------------------------------------

/** What `GET /lmstudio-greeting` (on a fresh connection) told us. */
export type GreetingResult =
  | { kind: 'lmstudio' }
  /** 401/403, or an `error` body asking for an API token (some versions answer that with 200): the greeting is closed too. */
  | { kind: 'unauthorized'; message: string; tokenSent: boolean }
  /** Something answered, but not `{"lmstudio":true}`: another program holds the port. */
  | { kind: 'foreign'; message: string }
  /** Nothing listens (ECONNREFUSED). */
  | { kind: 'refused' }
  /** Connected (or tried to) but no answer within the timeout. */
  | { kind: 'timeout' }
  /** Any other network failure (reset, DNS, unreachable host). */
  | { kind: 'error'; message: string };

/** What a bare TCP connection (no HTTP request) found. */
export type ConnectResult = 'connected' | 'refused' | 'failed';

/**
 * What one API answer said about the token: `refused` is an answer asking for one (401, 403,
 * or an `error` body that asks for a token), whether or not one was sent; `accepted` is any
 * other answer.
 */
export type AuthEvidence = { kind: 'refused'; tokenSent: boolean } | { kind: 'accepted' };

export interface ModelListing {
  generation: ApiGeneration;
  models: ModelEntry[];
  /** Null when the API cannot say what is loaded (`/v1/models` lists everything under JIT). */
  loaded: LoadedInstance[] | null;
}

export type RestDownloadStatus = 'downloading' | 'paused' | 'completed' | 'failed' | 'already_downloaded';

export interface RestDownloadJob {
  jobId: string | null;
  status: RestDownloadStatus;
  totalBytes: number | null;
  downloadedBytes: number | null;
  bytesPerSecond: number | null;
  /** Seconds left, derived from `estimated_completion` when given. */
  etaSeconds: number | null;
}

export interface LmStudioClientOptions {
  /** As the user typed it: with or without `/v1`, trailing slashes; normalised to an origin. */
  baseUrl: string;
  /** Read on every request, so a new token applies at once. */
  token: () => string | null;
  /** Per-request timeout for ordinary calls (loads get a longer one). */
  timeoutMs?: number;
  /** Timeout of a load, which only answers once the model is in memory (default 10 min). */
  loadTimeoutMs?: number;
  /** Timeout of starting a REST download, which resolves the download plan first (default 60 s). */
  downloadStartTimeoutMs?: number;
  /** Largest response body accepted, in bytes. */
  maxResponseBytes?: number;
  /** How long a fallback to an older API generation is trusted before the newest is tried again (default 5 min). */
  generationRecheckMs?: number;
  /** Told what every API answer (any route, any caller) said about the token; the greeting is not an API answer. */
  onAuthEvidence?: (evidence: AuthEvidence) => void;
}

export interface LmStudioClient {
  /** Normalised origin, e.g. `http://127.0.0.1:1234`. */
  readonly baseUrl: string;
  readonly port: number;
  /** True when the host is this machine (loopback or localhost): only then may the local `lms` act. */
  readonly isLocal: boolean;
  /** The greeting on a fresh (never pooled) connection; never throws. */
  greet(options?: { timeoutMs?: number }): Promise<GreetingResult>;
  /**
   * Opens a TCP connection and closes it at once: no HTTP request, nothing in LM Studio's log.
   * `refused` means nothing listens on the port any more. Never throws.
   */
  connectCheck(options?: { timeoutMs?: number }): Promise<ConnectResult>;
  /**
   * Holds one connection open and calls `onClosed` when it closes: the server process died or
   * closed its connections, a fast hint between checks. On this machine a bare TCP connection
   * (no request is ever sent); elsewhere an idle keep-alive connection after one greeting,
   * which a server stop closes too. Returns a function that stops watching and closes it.
   */
  watchConnection(onClosed: () => void): () => void;
  /** `/api/v1/models`, then `/api/v0/models`, then `/v1/models`. Throws LmStudioError. */
  listModels(): Promise<ModelListing>;
  /**
   * `POST /api/v1/models/load` (exact), else the minimal `/v1/responses` request. `restOnly`
   * forbids that fallback (a JIT load comes back with a TTL and auto-evict): it throws instead.
   */
  loadModel(
    modelKey: string,
    options: LoadOptions,
    request?: { restOnly?: boolean },
  ): Promise<{ identifier: string; via: 'rest' | 'responses' }>;
  unloadModel(instanceId: string): Promise<void>;
  startDownload(model: string): Promise<RestDownloadJob>;
  downloadStatus(jobId: string): Promise<RestDownloadJob>;
}

// ---------------------------------------------------------------------------------------------
// The `lms` CLI
// ---------------------------------------------------------------------------------------------

/** Where discovery found `lms`, or everywhere it looked. */
export interface LmsDiscovery {
  path: string | null;
  searched: string[];
  /** Places where an `lms` was found but not used, with why (a folder, writable by other users, ...). */
  refused?: LmsRefusal[];
}

export interface LmsRefusal {
  path: string;
  /** Completes "<path> ...", e.g. "is a folder, not the lms program". */
  reason: string;
  /** True for the path set in Settings (or by --lms). */
  configured: boolean;
}

/** One thing `lms get` said, parsed from its stdout/stderr bytes. */
export type LmsGetEvent =
  | { type: 'waking' }
  | { type: 'resolving' }
  /**
   * `Resolution completed. Downloading 12.11 GB...` / `About to download ...`, with the model key
   * from the plan's `↓ To download: model owner/name - 12.11 GB` line when one came before it.
   */
  | { type: 'plan'; totalBytes: number | null; modelKey: string | null }
  /** `This download is already in progress.` */
  | { type: 'attached' }
  | {
      type: 'progress';
      /** 0..100, null for `NaN%`. */
      percent: number | null;
      downloadedBytes: number | null;
      totalBytes: number | null;
      bytesPerSecond: number | null;
      /** null for `ETA Infinity:NaN:NaN`. */
      etaSeconds: number | null;
    }
  | { type: 'finalizing' }
  | { type: 'completed' }
  | { type: 'already-downloaded'; message: string }
  /** `Continue to download in the background? (Y/N): ` */
  | { type: 'prompt' }
  | { type: 'continuing' }
  | { type: 'cancelled' }
  | { type: 'error'; message: string };

export type LmsGetOutcome =
  | { kind: 'completed' }
  | { kind: 'already-downloaded'; message: string }
  | { kind: 'cancelled' }
  /** Tracking stopped; the download goes on inside LM Studio. */
  | { kind: 'continuing' }
  | { kind: 'failed'; message: string; exitCode: number | null };

/** What `lms load --estimate-only` printed (stderr), parsed; sizes in bytes. */
export interface LmsEstimate {
  /** The `Model:` line: the key (a path on builds before 2026-02-11), to check it is the model asked for. */
  model: string;
  gpuBytes: number | null;
  totalBytes: number;
  confidence: 'high' | 'low';
  passesGuardrails: boolean;
}

/**
 * One line of `lms log stream --json`, parsed where it is read: prompt and answer text never
 * leave the parser (brief §8), only counts and timings.
 */
export type LogStreamEvent =
  | { type: 'input'; at: number; modelIdentifier: string }
  | {
      type: 'output';
      at: number;
      modelIdentifier: string;
      tokensPerSecond: number | null;
      timeToFirstTokenSec: number | null;
      promptTokens: number | null;
      predictedTokens: number | null;
    };

/** A running `lms log stream`. */
export interface LmsLogStream {
  readonly pid: number | undefined;
  /** Settles when the child has exited (0 after SIGINT/SIGTERM; null code when a signal ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGINT (the stream stops and exits 0), then a kill after a grace; resolves once it has exited. */
  stop(): Promise<void>;
}

/** What `lms runtime survey --json` said about the machine's memory (capacities only). */
export interface RuntimeSurvey {
  ramBytes: number | null;
  vramBytes: number | null;
  /** `memoryInfo.totalMemory`: what LM Studio counts as the machine's memory (RAM and VRAM together). */
  totalMemoryBytes: number | null;
  gpus: Array<{ name: string; vramBytes: number }>;
}

/** A running `lms get`. */
export interface LmsGetProcess {
  readonly pid: number | undefined;
  readonly done: Promise<LmsGetOutcome>;
  /** Really cancels: SIGINT, then `N` at the prompt; a kill after a timeout. On Windows, detaches. */
  cancel(): Promise<void>;
  /** Stops tracking and leaves the download running in LM Studio: SIGINT, then `Y`. */
  detach(): Promise<void>;
}

export interface LmsCli {
  readonly path: string;
  // Commands that never wake LM Studio (safe while it is not running):
  serverStatus(): Promise<{ running: boolean; port: number | null }>;
  daemonStatus(): Promise<{ running: boolean; pid: number | null }>;
  version(): Promise<string | null>;
  // Commands that wake LM Studio when it is not running:
  ls(): Promise<ModelEntry[]>;
  ps(): Promise<LoadedInstance[]>;
  serverStart(options?: { port?: number }): Promise<void>;
  serverStop(): Promise<void>;
  /** `lms load --yes KEY` with the `NN%` spinner reported as 0..1 (null when the build shows none). */
  load(
    modelKey: string,
    options: LoadOptions,
    onProgress: (progress: number | null) => void,
  ): Promise<{ identifier: string }>;
  unload(identifier: string): Promise<void>;
  unloadAll(): Promise<number>;
  get(model: string, onEvent: (event: LmsGetEvent) => void): LmsGetProcess;
  /**
   * `lms load --estimate-only --yes KEY [-c N] [--gpu G]` (with `--exact PATH` when given). Wakes
   * LM Studio. `unsupported` when this lms has no `--estimate-only` (LM Studio before 0.3.27),
   * told by its unknown-option error.
   */
  estimate(
    modelKey: string,
    options: LoadOptions,
    exactPath?: string,
  ): Promise<{ supported: true; estimate: LmsEstimate } | { supported: false }>;
  /** `lms runtime survey --json`. Wakes LM Studio. */
  runtimeSurvey(): Promise<RuntimeSurvey>;
  /**
   * `lms log stream --source model --filter input,output --json`. Wakes LM Studio when it is not
   * running: call only right after a non-waking check said it runs. Each JSON line becomes an
   * event (other lines are dropped); each stderr line is passed on as it is (`Waking up…`, the
   * banner, `WebSocket connection closed`), for the caller to act on.
   */
  logStream(handlers: { onEvent(event: LogStreamEvent): void; onStderrLine(line: string): void }): LmsLogStream;
  /** LM Studio's version from the plain `lms daemon status` (`LM Studio v0.4.2 is running …`); never wakes it. Null when not running or not said. */
  lmStudioVersion(): Promise<string | null>;
  /**
   * `lms ls --json`'s key and path of each downloaded model (ModelEntry has no path), for
   * `estimate`'s `--exact`. Wakes LM Studio. Optional: without it, estimates are made only for
   * keys `lms load` cannot confuse with another model.
   */
  lsPaths?(): Promise<Array<{ modelKey: string; path: string | null }>>;
}

/** Every child process the core started, so none outlives the app. */
export interface ProcessRegistry {
  track(label: string, child: import('node:child_process').ChildProcess): void;
  running(): Array<{ pid: number | undefined; label: string }>;
  /** Ends every child: SIGTERM, then SIGKILL after `graceMs`; resolves when all have exited. */
  endAll(graceMs?: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

export interface HealthMonitor {
  /** The status as shown: a refused connection to a local server shows at once. */
  current(): ServerStatus;
  /** Called on every change of the status as shown (and when `detail`/`apiGeneration`/`lmsPath` change). */
  onChange(listener: (status: ServerStatus, previous: ServerStatus) => void): () => void;
  /**
   * Called when a change of state is confirmed, for notifications: leaving online only once a
   * second fresh connection failed too and outside the grace period after waking (a blip
   * that the second probe clears never reaches here); coming back, a token asked for, and
   * every change between other states, at once. `previous` is the last confirmed status.
   */
  onTransition(listener: (status: ServerStatus, previous: ServerStatus) => void): () => void;
  /** An API answer about the token (from the client's `onAuthEvidence`); ignored unless from the current client. */
  authEvidence(client: LmStudioClient, evidence: AuthEvidence): void;
  start(): void;
  stop(): void;
  /** Probes now (coalescing with a probe already running). */
  checkNow(): Promise<ServerStatus>;
  /** The computer is going to sleep / has woken: a grace period follows resume. */
  suspend(): void;
  resume(): void;
}

// ---------------------------------------------------------------------------------------------
// Models, downloads, notifications, settings
// ---------------------------------------------------------------------------------------------

export interface ModelService {
  snapshot(): ModelsSnapshot;
  onChange(listener: (snapshot: ModelsSnapshot) => void): () => void;
  /**
   * HTTP refresh; with `instanceDetails`, also `lms ps --json` (TTL, last use): popup open and
   * after actions only. `fresh`: lists read after this moment (a refresh already running is not joined).
   */
  refresh(options?: { instanceDetails?: boolean; fresh?: boolean }): Promise<ModelsSnapshot>;
  /** Not readable now: keep the last lists, marked stale (LM Studio closed: nothing loaded). */
  markStale(): void;
  /**
   * The API generation the HTTP listing last answered with, or null before it did. Not the
   * snapshot's `source`: lists read with lms while the HTTP API refuses us say nothing about it.
   */
  httpGeneration(): ApiGeneration | null;
  loading(): LoadingState[];
  onLoadingChange(listener: (loading: LoadingState[]) => void): () => void;
  /**
   * `unattended`: nobody clicked (the keeper): exactly these options, no defaults under them and
   * never a TTL; only a path that applies them all (REST v1, else `lms load` for an unambiguous
   * key, checked with `lms daemon status` right before so it never wakes LM Studio), never
   * `/v1/responses`. Throws `unavailable` with the reason when no path fits.
   */
  load(modelKey: string, options?: LoadOptions, request?: { unattended?: boolean }): Promise<{ identifier: string }>;
  unload(identifier: string): Promise<void>;
  unloadAll(): Promise<number>;
}

export interface DownloadManager {
  list(): DownloadState[];
  /** Coalesced: at most ~10 calls a second. */
  onChange(listener: (downloads: DownloadState[]) => void): () => void;
  /** Called once when a download reaches a finished status. */
  onFinished(listener: (download: DownloadState) => void): () => void;
  start(model: string): DownloadState;
  cancel(id: string): Promise<DownloadState>;
  retry(id: string): DownloadState;
  /**
   * Lets go of a running attempt without cancelling it (`lms get`: SIGINT, then `Y`, so the
   * download goes on in LM Studio; REST: stops polling) and starts a new one on the same row,
   * which re-attaches to LM Studio's job. A finished row is retried.
   */
  restart(id: string): Promise<DownloadState>;
  dismiss(id: string): void;
  /** The computer woke from sleep: time asleep does not count towards a stall. */
  resume(): void;
  /** Quit: leave running downloads going inside LM Studio, or cancel them; no child survives either way. */
  shutdown(mode: 'leave-running' | 'cancel'): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Looking after LM Studio: the supervisor, disk and memory checks, kept models
// ---------------------------------------------------------------------------------------------

/**
 * Drives the DownloadManager through its interface: retries an attempt that ended without
 * completing (10 s, 30 s, 1, 2, 5 min, then every 5 min, for an hour of not waiting), waits
 * without waking LM Studio, re-checks after sleep, picks up unfinished downloads at start, checks
 * the disk before and during each attempt. The core's downloads are its list: the manager's rows
 * with the supervisor's statuses (`waiting`, `retrying`) and fields on top. Only a final outcome
 * reaches `onFinished`.
 */
export interface DownloadSupervisor {
  list(): DownloadState[];
  onChange(listener: (downloads: DownloadState[]) => void): () => void;
  /** Once per download, when it reaches its final outcome (not for an attempt that will be retried). */
  onFinished(listener: (download: DownloadState) => void): () => void;
  /** The user's download: may wake LM Studio; refused with a clear message when the disk cannot hold it. */
  start(model: string, options?: { loadWhenDone?: boolean }): Promise<DownloadState>;
  cancel(id: string): Promise<DownloadState>;
  /** `Retry now`: the user's, so it may wake LM Studio; restarts a stalled download too. */
  retry(id: string): Promise<DownloadState>;
  dismiss(id: string): void;
  /** Picks up the unfinished downloads recorded in downloads.json (waiting while LM Studio is down). */
  restore(): Promise<void>;
  /** The server's status changed: waiting downloads may go on. */
  serverChanged(status: ServerStatus): void;
  /** The computer woke: stalls restart their clocks, waiting downloads are checked again. */
  resume(): void;
  shutdown(mode: 'leave-running' | 'cancel'): Promise<void>;
}

/** One download in downloads.json: enough to pick it up at the next start. */
export interface JournalEntry {
  id: string;
  model: string;
  loadWhenDone: boolean;
  attempt: number;
  /** When the first failure of the current run of retries happened (the hour counts from it), or null. */
  firstFailureAt: number | null;
  /** Time spent retrying, not waiting, since then (ms). */
  retryingMs: number;
  failureKind: DownloadFailureKind | null;
  startedAt: number;
}

/** downloads.json in the config folder: atomic writes, `0600`, merged under a lock (brief §8). */
export interface DownloadJournal {
  read(): Promise<JournalEntry[]>;
  /** Records (or replaces, by id) an unfinished download. */
  put(entry: JournalEntry): Promise<void>;
  /** Forgets a download: finished, cancelled, dismissed. */
  remove(id: string): Promise<void>;
}

/** A refusal to start (or go on with) a download, in words: needed, free and where. */
export interface DiskRefusal {
  message: string;
  neededBytes: number;
  freeBytes: number;
  folder: string;
}

export interface DiskGuard {
  /** The models folder's free space now, or why it is not known (remote server, no LM Studio home). */
  space(): Promise<DiskSpaceAnswer>;
  /**
   * Whether `bytesMissing` more bytes may be written (null: size unknown, only the floor is
   * checked). Null when it fits or the space is not known (the check is skipped, not failed).
   */
  refusal(bytesMissing: number | null): Promise<DiskRefusal | null>;
  /**
   * Watches free space while downloads run; `onLow` is called (once per drop) when it falls under
   * the floor. Returns the function that stops watching.
   */
  watch(onLow: (space: DiskSpaceAnswer & { known: true }) => void): () => void;
}

export interface MemoryEstimator {
  /** Only while LM Studio is up and local (checked without waking it right before); cached per model and options. */
  estimate(modelKey: string, options: LoadOptions): Promise<EstimateAnswer>;
  /** The loaded set changed: estimates are stale (LM Studio counts what is loaded). */
  loadedChanged(): void;
  /** LM Studio quit or started: the runtime survey runs again next session. */
  sessionEnded(): void;
}

export interface KeepReady {
  list(): KeptModelState[];
  onChange(listener: (kept: KeptModelState[]) => void): () => void;
  /** The `Keep MODELKEY loaded` switch. */
  set(modelKey: string, keep: boolean, options: KeptModel['options']): Promise<KeptModelState[]>;
  /** The user unloaded these here: their switches turn off. Returns the keys turned off. */
  userUnloaded(modelKeys: string[]): Promise<string[]>;
  start(): void;
  stop(): void;
}

/**
 * Follows `lms log stream` while LM Studio runs locally (a non-waking check before each start,
 * never more than one child, restarted with back-off, given up after three early exits) and
 * turns its events into per-model activity.
 */
export interface ActivityMonitor {
  snapshot(): ActivitySnapshot;
  /** Coalesced; nothing while nothing happens. */
  onChange(listener: (activity: ActivitySnapshot) => void): () => void;
  /** A request possibly stuck (once per request), for a notification. */
  onStuck(listener: (modelIdentifier: string, runningForMs: number) => void): () => void;
  /** The server's status changed: start, keep or stop the stream. */
  serverChanged(status: ServerStatus): void;
  /** The loaded instances changed: a model that unloaded has its counts reset. */
  loadedChanged(loaded: LoadedInstance[]): void;
  stop(): Promise<void>;
}

/** One outage as seen while this app ran. */
export interface OutageEntry {
  /** Epoch ms the server left online (confirmed), and came back (null: not yet). */
  from: number;
  to: number | null;
  /** The state it went to (`offline`, `not-responding`, ...). */
  state: ServerState;
  baseUrl: string;
}

/** outages.json in the config folder: at most 500 entries, 7 days, brief §8's rule for two processes. */
export interface OutageHistory {
  /** A confirmed transition (the monitor's `onTransition`). */
  record(status: ServerStatus, previous: ServerStatus): Promise<void>;
  /** The outages since `sinceMs`, oldest first. */
  list(sinceMs: number): Promise<OutageEntry[]>;
}

export type PolicyInput =
  | { type: 'server'; status: ServerStatus; previous: ServerStatus; userInitiated: boolean }
  | { type: 'download-finished'; download: DownloadState }
  | { type: 'download-failed'; download: DownloadState }
  | { type: 'load-failed'; modelKey: string; message: string }
  /** The keeper could not reload a kept model (backing off), or turned its switch off, and why. */
  | { type: 'kept-model'; modelKey: string; title: string; message: string }
  | { type: 'request-stuck'; modelIdentifier: string; runningForMs: number };

/** Pure decisions (state, but no side effects): which inputs become notifications. */
export interface NotificationPolicy {
  decide(input: PolicyInput, toggles: Settings['notifications'], now: number): AppNotification[];
}

export interface SettingsStore {
  /** Reads settings.json; a bad field falls back with a message, an unreadable file is backed up. */
  load(): Promise<SettingsView>;
  /** The settings in force: saved values with this run's overrides on top. */
  get(): Settings;
  view(): SettingsView;
  update(patch: SettingsPatch): Promise<SettingsView>;
  onChange(listener: (settings: Settings) => void): () => void;
}

// ---------------------------------------------------------------------------------------------
// The core as a whole: what the Electron shell and the web server drive
// ---------------------------------------------------------------------------------------------

export interface TrayCoreDeps {
  clock: Clock;
  spawn: SpawnFn;
  fs: FileSystem;
  notifier: Notifier;
  logger: Logger;
  environment: Environment;
  /** Folder of settings.json. */
  configDir: string;
  /** This run's overrides (web-mode flags): applied, never saved. */
  overrides?: Partial<Settings>;
  secretCodec?: SecretCodec;
  transport: 'electron' | 'web';
  appVersion: string;
  /** Finds an executable on PATH (the `which` package in production). */
  which: (name: string) => Promise<string | null>;
  /** Free space of a folder's filesystem; Node's `fs.statfs` when left out (tests inject a fake). */
  diskSpace?: DiskSpacePort;
  /** The machine's RAM; Node's `os.totalmem`/`os.freemem` when left out. */
  systemMemory?: SystemMemoryPort;
  /** This process's rotating log file, for the diagnostics report and the settings view; none in tests. */
  logFile?: LogFile;
}

export interface TrayCore {
  /**
   * Reads the settings and starts watching the server. Resolves once the first health check has
   * ended, or, with `waitForFirstCheck: false`, as soon as it has begun (web mode prints its
   * address at once; the status says `checking` until the check ends).
   */
  start(options?: { waitForFirstCheck?: boolean }): Promise<void>;
  snapshot(): AppSnapshot;
  /** Validates the payload against the contract, runs the command, returns errors as values. */
  invoke<C extends CommandName>(name: C, payload: unknown): Promise<Result<CommandResponse<C>>>;
  onEvent(listener: (event: AppEvent) => void): () => void;
  powerEvent(kind: 'suspend' | 'resume'): void;
  /** Ends polling and every child process, honouring the quit behaviour setting. */
  shutdown(options?: { cancelDownloads?: boolean }): Promise<void>;
}
