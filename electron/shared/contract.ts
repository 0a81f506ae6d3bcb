/**
 * The one contract between the core (desktop main process or web server) and the popup.
 *
 * Every command the UI can send and every event it can receive is declared here once, with its
 * types and the rules its input must follow. Main, preload, the web transport and the renderer
 * all import it, so it holds no schema library at run time and no Node APIs: the popup's first
 * view loads it. The valibot schemas that validate commands and settings fields (the core, and the
 * lazily loaded settings view) live in contract-schemas.ts, built from the rules here; the types
 * they infer are re-exported below, so every type is still imported from this file.
 *
 * Channel names read `domain:verb`.
 */
import type { InferInput, InferOutput } from 'valibot';
import type { CommandSchemas, SettingsPatchSchema, SettingsSchema } from './contract-schemas';

// ---------------------------------------------------------------------------------------------
// Identifiers that may reach a command line. The core validates them again before spawning
// (see electron/core/lmstudio/validate.ts); these rules give the page an early, clear message.
// ---------------------------------------------------------------------------------------------

// The rules for names (what may be downloaded, loaded, unloaded) are in model-names.ts, which the
// popup loads on demand: its messages weigh more than the first view can carry.

// ---------------------------------------------------------------------------------------------
// Server status
// ---------------------------------------------------------------------------------------------

export const SERVER_STATES = [
  'checking',
  'online',
  'offline', // LM Studio is not running
  'server-stopped', // LM Studio runs, its HTTP server is off
  'not-responding', // connects, but no answer in time
  'unauthorized', // needs (or rejected) an API token
  'foreign', // another program answers on the port
] as const;
export type ServerState = (typeof SERVER_STATES)[number];

/** The label the popup's status line starts with (design brief §4). */
export const SERVER_STATE_LABELS: Record<ServerState, string> = {
  checking: 'Checking',
  online: 'Online',
  offline: 'Offline',
  'server-stopped': 'Server stopped',
  'not-responding': 'Not responding',
  unauthorized: 'Authentication required',
  foreign: 'Not LM Studio',
};

/** Which model-listing API the server answered: 0.4+ native, 0.3.x native, or OpenAI-compatible only. */
export type ApiGeneration = 'v1' | 'v0' | 'openai';

export interface ServerStatus {
  state: ServerState;
  /** One or two sentences: what is wrong and how to fix it (empty when online). */
  detail: string;
  /** Normalised origin, e.g. `http://127.0.0.1:1234`. */
  baseUrl: string;
  port: number;
  /** True when the base URL is not this machine: the local `lms` must not be used. */
  remote: boolean;
  apiGeneration: ApiGeneration | null;
  /** Path of the `lms` executable in use, or null when it was not found (or the server is remote). */
  lmsPath: string | null;
  /** Where discovery looked, for the "lms not found" message. */
  lmsSearched: string[];
  /** Epoch ms when this state began and when it was last confirmed. */
  since: number;
  checkedAt: number;
  /** A recent stretch of outages and recoveries faster than the notification window. */
  unstable: boolean;
  /**
   * `lms daemon status` said LM Studio is not running, so nothing is loaded. False while that is
   * not known: no `lms`, a remote server, or a refusal `lms` has not yet been asked about.
   */
  lmStudioClosed: boolean;
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

export type ModelType = 'llm' | 'vlm' | 'embedding';

export interface LoadedInstance {
  /** The API identifier, e.g. `qwen/qwen3-4b` or `gemma-3-1b-it-qat:2`. */
  identifier: string;
  modelKey: string;
  contextLength: number | null;
  /** From `lms ps --json`; null when unknown or no TTL. */
  ttlMs: number | null;
  lastUsedTime: number | null;
  /** `idle`, `generating`, ... from `lms ps --json` when known. */
  activity: string | null;
  sizeBytes: number | null;
}

export interface ModelEntry {
  key: string;
  displayName: string;
  publisher: string | null;
  type: ModelType;
  format: string | null;
  quantization: string | null;
  paramsString: string | null;
  sizeBytes: number | null;
  maxContextLength: number | null;
  vision: boolean;
  toolUse: boolean;
  reasoning: boolean;
  loadedInstances: LoadedInstance[];
}

export interface ModelsSnapshot {
  models: ModelEntry[];
  loaded: LoadedInstance[];
  /** True when these are the last known lists: offline, or the last read of them failed. */
  stale: boolean;
  /** Epoch ms of the last successful refresh, or null before the first. */
  updatedAt: number | null;
  source: ApiGeneration | 'lms' | null;
}

export type GpuOffload = 'off' | 'max' | number;

/** Options for one load; a field left out lets LM Studio decide. */
export interface LoadOptions {
  contextLength?: number;
  gpuOffload?: GpuOffload;
  ttlSeconds?: number;
}

/** When each load option is valid, and the message when it is not (the page's form and the core's schema). */
export const LOAD_OPTION_RULES = {
  contextLength: {
    isValid: (value: number) => Number.isInteger(value) && value >= 256 && value <= 16_777_216,
    message: 'Context length is a whole number of tokens from 256 to 16,777,216.',
  },
  gpuOffload: {
    isValid: (value: unknown): value is GpuOffload =>
      value === 'off' || value === 'max' || (typeof value === 'number' && value >= 0 && value <= 1),
    message: 'Choose a GPU offload from the list.',
  },
  ttlSeconds: {
    isValid: (value: number) => Number.isInteger(value) && value >= 1 && value <= 31_536_000,
    message: 'TTL: unload after 1 to 525,600 idle minutes (a year), or leave it empty for never.',
  },
} as const satisfies Record<keyof LoadOptions, { isValid: (value: never) => boolean; message: string }>;

/** A load in progress. `progress` is 0..1, or null when the path gives none (REST). */
export interface LoadingState {
  modelKey: string;
  progress: number | null;
  via: 'rest' | 'lms' | 'responses';
  startedAt: number;
  /** Options the path in use cannot apply (e.g. TTL over REST), shown as unavailable. */
  unsupportedOptions: Array<keyof LoadOptions>;
}

// ---------------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------------

export const DOWNLOAD_STATUSES = [
  'queued',
  /**
   * LM Studio (the `lms` path) or its server (REST) is not up: the download goes on once it is,
   * and nothing automatic wakes it. Not finished, and its time does not count toward giving up.
   */
  'waiting',
  'waking', // `lms` is waking LM Studio
  'resolving', // download plan
  'downloading',
  'finalizing',
  'stalled', // bytes stopped growing; still tracked, may resume
  /** The last attempt ended without completing; the next one starts on its own at `nextRetryAt`. */
  'retrying',
  'completed',
  'already-downloaded',
  'failed',
  'cancelled',
  'continuing', // tracking stopped; the download goes on inside LM Studio
] as const;
export type DownloadStatus = (typeof DOWNLOAD_STATUSES)[number];
export const FINISHED_DOWNLOAD_STATUSES: readonly DownloadStatus[] = [
  'completed',
  'already-downloaded',
  'failed',
  'cancelled',
  'continuing',
];

/**
 * Why an attempt failed, as the supervisor acts on it. The first three are permanent: retrying
 * cannot help until the user changes something. The rest are retried on a schedule, `unknown`
 * (words we do not recognise) at most five times.
 */
export const DOWNLOAD_FAILURE_KINDS = [
  'not-found', // no such model in the catalog or on Hugging Face
  'no-variant', // the model exists, but not the variant asked for (`@q4_k_m`)
  'not-enough-disk', // the models folder's disk cannot hold it (says how much is needed and free, and where)
  'interrupted', // `lms get` crashed or was killed, LM Studio quit, or its job vanished
  'network', // LM Studio reported a network error
  'lm-studio', // LM Studio reported the job failed, without saying why
  'unknown',
] as const;
export type DownloadFailureKind = (typeof DOWNLOAD_FAILURE_KINDS)[number];
export const PERMANENT_DOWNLOAD_FAILURES: readonly DownloadFailureKind[] = [
  'not-found',
  'no-variant',
  'not-enough-disk',
];

export interface DownloadState {
  id: string;
  /** The model as entered (trimmed), or the suggestion's key. */
  model: string;
  status: DownloadStatus;
  /** `lms get` attached to a download already running inside LM Studio. */
  attached: boolean;
  via: 'lms' | 'rest';
  /** 0..100, or null before the first progress. */
  percent: number | null;
  downloadedBytes: number | null;
  totalBytes: number | null;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
  /** Outcome or error, in words the user can act on. */
  message: string | null;
  /**
   * Something the user must act on now while it runs, shown as an alert: the disk is nearly full
   * and this download cannot be stopped from here (REST). Null otherwise.
   */
  warning: string | null;
  /** When this attempt started (a retry starts a new one). */
  startedAt: number;
  endedAt: number | null;
  /** 1 for the first attempt; every retry, automatic or the user's, counts up. */
  attempt: number;
  /** Epoch ms of the next automatic attempt while `retrying`, else null. */
  nextRetryAt: number | null;
  /** Why the last attempt failed; null while none has. */
  failureKind: DownloadFailureKind | null;
  /** Load the model as soon as this download finishes (chosen when it started; survives retries and restarts). */
  loadWhenDone: boolean;
  /** The model key LM Studio resolved this download to, once known (the text entered may be a URL). */
  modelKey: string | null;
}

// ---------------------------------------------------------------------------------------------
// Disk (sizes in GB of 1000^3, as LM Studio shows them)
// ---------------------------------------------------------------------------------------------

/** Under this much free space no download starts, and running ones are stopped (2 GB). */
export const DISK_FLOOR_BYTES = 2_000_000_000;

/** What a download of `sizeBytes` must leave free beyond its size: max(1 GB, 5 %). */
export function diskMarginBytes(sizeBytes: number): number {
  return Math.max(1_000_000_000, Math.ceil(sizeBytes * 0.05));
}

/** Whether `sizeBytes` more fits in `freeBytes` with the margin, above the floor. */
export function fitsOnDisk(sizeBytes: number, freeBytes: number): boolean {
  return freeBytes >= DISK_FLOOR_BYTES && sizeBytes + diskMarginBytes(sizeBytes) <= freeBytes;
}

/** The free space of the filesystem that holds LM Studio's models folder. */
export interface DiskSpace {
  /** The models folder (LM Studio's `downloadsFolder`, else `<LM Studio home>/models`). */
  folder: string;
  freeBytes: number;
  totalBytes: number;
  checkedAt: number;
}

/** Known only where LM Studio runs on this machine and its home was found; else why not. */
export type DiskSpaceAnswer = { known: true; space: DiskSpace } | { known: false; reason: string };

// ---------------------------------------------------------------------------------------------
// Memory (in GiB of 1024^3, as LM Studio shows it)
// ---------------------------------------------------------------------------------------------

/** What `lms load --estimate-only` said for one model and one choice of options. */
export interface MemoryEstimate {
  modelKey: string;
  options: LoadOptions;
  /** Estimated GPU memory; null when the build printed none. */
  gpuBytes: number | null;
  totalBytes: number;
  /** LM Studio marks some estimates `Confidence: LOW`. */
  confidence: 'high' | 'low';
  /** LM Studio's "Model loading guardrails" would let this load through. */
  passesGuardrails: boolean;
}

/** The machine's memory: RAM from the OS; VRAM totals from `lms runtime survey` when it gave them. */
export interface SystemMemory {
  ramTotalBytes: number;
  ramFreeBytes: number;
  /** Null when no survey has run this LM Studio session, or it found no GPU. */
  vramTotalBytes: number | null;
  gpus: Array<{ name: string; vramBytes: number }>;
}

/** `estimate` is null when none can be had now, and `unavailableReason` says why in one line. */
export interface EstimateAnswer {
  estimate: MemoryEstimate | null;
  unavailableReason: string | null;
  memory: SystemMemory;
}

// ---------------------------------------------------------------------------------------------
// Keeping models loaded
// ---------------------------------------------------------------------------------------------

/** A model the user asked to keep loaded, with the load options chosen then. */
export interface KeptModel {
  modelKey: string;
  options: LoadOptions;
}

export interface KeptModelState extends KeptModel {
  /**
   * ready: loaded; loading: being loaded by the keeper; waiting: LM Studio or its server is not
   * up (never woken for this); backing-off: the last load failed, the next is at `nextAttemptAt`;
   * unavailable: this server cannot say what is loaded (only `/v1/models`), so it cannot be kept.
   */
  state: 'ready' | 'loading' | 'waiting' | 'backing-off' | 'unavailable';
  /** What the user should know (the last failure, why it is unavailable), or null. */
  message: string | null;
  nextAttemptAt: number | null;
}

// ---------------------------------------------------------------------------------------------
// Activity (from `lms log stream`): counts and timings only, never prompt or answer text
// ---------------------------------------------------------------------------------------------

/** One answer's figures, from the stream's `llm.prediction.output` `stats`. */
export interface ActivitySample {
  /** Epoch ms of the output line. */
  at: number;
  tokensPerSecond: number | null;
  timeToFirstTokenSec: number | null;
  promptTokens: number | null;
  predictedTokens: number | null;
}

export interface ModelActivity {
  /** The instance as the stream names it (`modelIdentifier`), e.g. `qwen/qwen3-4b` or `gemma-3-1b-it-qat:2`. */
  identifier: string;
  /**
   * Requests in progress (inputs not yet followed by an output). Inputs and outputs cannot be
   * paired, so this resets when the stream restarts and when the model unloads.
   */
  inProgress: number;
  /** Since when the oldest request in progress has run (epoch ms), or null. */
  busySince: number | null;
  /** Requests that began in the last 5 minutes. */
  requestsLast5Min: number;
  last: ActivitySample | null;
  medianTokensPerSecond: number | null;
  medianTimeToFirstTokenSec: number | null;
  /** The answers of the last 10 minutes, oldest first (the chart's points). */
  recent: ActivitySample[];
  /** A request has run over 10 minutes and far beyond this model's usual: possibly stuck (epoch ms it began). */
  possiblyStuckSince: number | null;
}

export interface ActivitySnapshot {
  /**
   * following: the stream runs; waiting: LM Studio is not running (never woken for this);
   * unavailable: no activity here (remote server, no lms, LM Studio too old, the stream kept
   * exiting), `message` says why in one line.
   */
  state: 'following' | 'waiting' | 'unavailable';
  message: string | null;
  models: ModelActivity[];
}

// ---------------------------------------------------------------------------------------------
// Memory at a glance (local servers only)
// ---------------------------------------------------------------------------------------------

export interface MemoryUse {
  /** The loaded models' file sizes added up: "about" (their context caches are extra). */
  modelsBytes: number;
  /** `runtime survey`'s totalMemory when known, else the OS's RAM total. */
  totalBytes: number;
  totalFrom: 'runtime-survey' | 'os';
  ramTotalBytes: number;
  ramFreeBytes: number;
  /** Null when no survey has said. */
  vramTotalBytes: number | null;
}
export type MemoryUseAnswer = { known: true; memory: MemoryUse } | { known: false; reason: string };

// ---------------------------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------------------------

export interface DiagnosticsReport {
  /** The plain-text report, ready to paste into a bug report (no secret in it). */
  text: string;
  /** `lmstudio-tray-diagnostics-YYYYMMDD-HHMM.txt` */
  fileName: string;
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export const NOTIFICATION_KINDS = [
  'serverDown',
  'serverUp',
  'downloadFinished',
  'downloadFailed',
  'loadFailed',
  /** A kept model could not be loaded again, or its switch was turned off for a reason. */
  'keptModel',
  /** A request has run far longer than that model's usual: possibly stuck. */
  'requestStuck',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number] | 'serverUnstable';

export const QUIT_BEHAVIOURS = ['leave-downloads-running', 'cancel-downloads'] as const;

/** settings.json, field by field (each field's schema is in contract-schemas.ts). */
export type Settings = InferOutput<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  baseUrl: null,
  apiToken: null,
  lmsPath: null,
  pollIntervalMs: 5000,
  notifications: {
    serverDown: true,
    serverUp: true,
    downloadFinished: true,
    downloadFailed: true,
    loadFailed: true,
    keptModel: true,
    requestStuck: true,
  },
  launchAtLogin: false,
  loadDefaults: {},
  quitBehaviour: 'leave-downloads-running',
  keepLoaded: [],
  retryDownloads: true,
  checkDiskSpace: true,
  estimateMemory: true,
};

/** What the page sees: the token itself never leaves the core. */
export type SettingsView = Omit<Settings, 'apiToken'> & {
  apiTokenSet: boolean;
  /** Per-field problems found when loading settings.json, or flags overriding it this run. */
  messages: string[];
};

/** A partial update. `apiToken: null` clears the token; omitting it keeps it. */
export type SettingsPatch = InferOutput<typeof SettingsPatchSchema>;

// ---------------------------------------------------------------------------------------------
// Notifications (the core's policy decides; the transport shows)
// ---------------------------------------------------------------------------------------------

export interface AppNotification {
  kind: NotificationKind;
  title: string;
  body: string;
}

// ---------------------------------------------------------------------------------------------
// Snapshot and errors
// ---------------------------------------------------------------------------------------------

export interface AppSnapshot {
  status: ServerStatus;
  models: ModelsSnapshot;
  downloads: DownloadState[];
  loading: LoadingState[];
  kept: KeptModelState[];
  activity: ActivitySnapshot;
  settings: SettingsView;
  app: {
    version: string;
    platform: string;
    transport: 'electron' | 'web';
    /** This process's log file (the settings view shows it; the desktop opens its folder), or null. */
    logFile: string | null;
  };
}

/** An error as a value the page can show: what happened and what to do. */
export interface CommandError {
  code:
    | 'invalid-input'
    | 'not-found'
    | 'unavailable'
    | 'lms-missing'
    | 'lms-failed'
    | 'server-error'
    | 'unauthorized'
    | 'forbidden'
    | 'internal';
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: CommandError };

// ---------------------------------------------------------------------------------------------
// Commands: request schema + response type, keyed by channel
// ---------------------------------------------------------------------------------------------

/** Every command, by channel; each one's payload schema is in contract-schemas.ts (`CommandSchemas`). */
export const COMMAND_NAMES = [
  'app:get-snapshot',
  /** `visible` true when the popup is shown: refreshes `lms ps` details. */
  'app:popup-visibility',
  /**
   * Escape reached the page unhandled (no field or dialog used it): close the popup. Main hides
   * the desktop popup; web mode ignores it (a browser tab is not ours to close).
   */
  'popup:dismiss',
  'server:refresh',
  'server:start',
  'server:stop',
  'models:refresh',
  'models:load',
  'models:unload',
  'models:unload-all',
  'downloads:start',
  'downloads:cancel',
  'downloads:retry',
  'downloads:dismiss',
  /** Free space for the models folder, for the suggestions' `Needs 12.1 GB · 40 GB free`. */
  'downloads:disk-space',
  /** Turns `Keep MODELKEY loaded` on (with the options chosen) or off. */
  'models:keep',
  /** `lms load --estimate-only` for a downloaded model and options (cached), with the machine's memory. */
  'models:estimate',
  /** The loaded models' memory against the machine's, for the `Memory used by models` meter. */
  'models:memory',
  /** The plain-text diagnostics report; web mode sends the browser's name and version. */
  'app:diagnostics',
  /**
   * Saves the report through a save dialog. The desktop shell answers this itself; web mode has
   * no dialog (the page downloads the report) and refuses it.
   */
  'app:save-diagnostics',
  /** Opens the log folder. The desktop shell answers this itself; web mode shows the path instead. */
  'app:open-log-folder',
  /** The page's own warnings and errors, for this process's log (rate- and size-limited). */
  'app:log',
  'settings:get',
  'settings:update',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** A command's payload as the page sends it. */
export type CommandRequest<C extends CommandName> = InferInput<(typeof CommandSchemas)[C]>;
/** A command's payload once the core validated it. */
export type ValidCommandRequest<C extends CommandName> = InferOutput<(typeof CommandSchemas)[C]>;

export interface CommandResponses {
  'app:get-snapshot': AppSnapshot;
  'app:popup-visibility': null;
  'popup:dismiss': null;
  'server:refresh': ServerStatus;
  'server:start': ServerStatus;
  'server:stop': ServerStatus;
  'models:refresh': ModelsSnapshot;
  'models:load': { identifier: string };
  /** `keepTurnedOff`: the kept models whose switch this unload turned off (the user's unload wins). */
  'models:unload': { keepTurnedOff: string[] };
  'models:unload-all': { unloaded: number; keepTurnedOff: string[] };
  'downloads:start': DownloadState;
  'downloads:cancel': DownloadState;
  'downloads:retry': DownloadState;
  'downloads:dismiss': null;
  'downloads:disk-space': DiskSpaceAnswer;
  'models:keep': KeptModelState[];
  'models:estimate': EstimateAnswer;
  'models:memory': MemoryUseAnswer;
  'app:diagnostics': DiagnosticsReport;
  /** `path` is null when the user cancelled the dialog. */
  'app:save-diagnostics': { path: string | null };
  'app:open-log-folder': null;
  'app:log': null;
  'settings:get': SettingsView;
  'settings:update': SettingsView;
}
export type CommandResponse<C extends CommandName> = CommandResponses[C];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}

// ---------------------------------------------------------------------------------------------
// Events: core -> page
// ---------------------------------------------------------------------------------------------

export interface EventPayloads {
  'server:status-changed': ServerStatus;
  'models:changed': ModelsSnapshot;
  /** The whole list, coalesced to a human rate (~10/s at most). */
  'downloads:changed': DownloadState[];
  'loads:changed': LoadingState[];
  'kept:changed': KeptModelState[];
  /** Coalesced to a few a second at most; nothing while nothing happens. */
  'activity:changed': ActivitySnapshot;
  'settings:changed': SettingsView;
  /** Web mode shows these with the browser's Notification; the desktop shows them from main. */
  'notification:show': AppNotification;
}
export type EventName = keyof EventPayloads;
export const EVENT_NAMES: EventName[] = [
  'server:status-changed',
  'models:changed',
  'downloads:changed',
  'loads:changed',
  'kept:changed',
  'activity:changed',
  'settings:changed',
  'notification:show',
];
/** The events that carry a piece of the app's state (everything but one-off notifications). */
export const STATE_EVENT_NAMES = [
  'server:status-changed',
  'models:changed',
  'downloads:changed',
  'loads:changed',
  'kept:changed',
  'activity:changed',
  'settings:changed',
] as const satisfies readonly EventName[];
export type AppEvent = { [E in EventName]: { name: E; payload: EventPayloads[E] } }[EventName];

// ---------------------------------------------------------------------------------------------
// The Bridge: all the renderer ever talks to (preload in Electron, WebSocket in web mode)
// ---------------------------------------------------------------------------------------------

export interface Bridge {
  /** Sends a command; never throws for a refused command, it resolves with `{ok:false}`. */
  invoke<C extends CommandName>(name: C, payload?: CommandRequest<C>): Promise<Result<CommandResponse<C>>>;
  /** Subscribes to one event; returns the unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: EventPayloads[E]) => void): () => void;
  /** Whether the page itself must show notifications (web mode) or main does (desktop). */
  readonly showsNotifications: boolean;
  readonly transport: 'electron' | 'web';
}

// ---------------------------------------------------------------------------------------------
// Links the app may open in the user's browser (anything else is refused)
// ---------------------------------------------------------------------------------------------

export const EXTERNAL_HOSTS = ['lmstudio.ai', 'huggingface.co'] as const;

/** True for https links to LM Studio's or Hugging Face's sites (and their subdomains) only. */
export function isAllowedExternalUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return false;
  return EXTERNAL_HOSTS.some((host) => url.hostname === host || url.hostname.endsWith(`.${host}`));
}
