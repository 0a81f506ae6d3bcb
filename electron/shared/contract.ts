/**
 * The one contract between the core (desktop main process or web server) and the popup.
 *
 * Every command the UI can send and every event it can receive is declared here once, as a
 * valibot schema (for payloads that cross a process or network boundary) or a type (for what
 * the core itself produces). Main, preload, the web transport and the renderer all import it,
 * so it must stay light: valibot only, no Node APIs.
 *
 * Channel names read `domain:verb`.
 */
import * as v from 'valibot';

// ---------------------------------------------------------------------------------------------
// Identifiers that may reach a command line. The core validates them again before spawning
// (see electron/core/lmstudio/validate.ts); these schemas give the page an early, clear message.
// ---------------------------------------------------------------------------------------------

/** `owner/name`, `name`, optionally `@quant`: no leading `-`, no whitespace or shell syntax. */
export const MODEL_KEY_PATTERN = /^(?!-)[A-Za-z0-9._/:@+-]{1,200}$/;
/** Hugging Face model URLs are the only URLs `lms get` is given. */
export const HF_URL_PATTERN = /^https:\/\/huggingface\.co\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._/@+-]*)?$/;

export const ModelKeySchema = v.pipe(
  v.string(),
  v.trim(),
  v.regex(
    MODEL_KEY_PATTERN,
    'A model key is letters, digits and . _ - / : @ + only, such as qwen/qwen3-4b, and does not start with "-".',
  ),
);

/** What the user may type in "Model to download": a catalog key (`qwen/qwen3-4b`, `key@q4_k_m`) or a Hugging Face https URL. */
export const DownloadTargetSchema = v.pipe(
  v.string(),
  v.trim(),
  v.nonEmpty('Type a model to download, such as qwen/qwen3-4b, or a Hugging Face URL.'),
  v.check(
    // A key may contain ':' and '/', so "https://example.com/x" would pass as a key: URLs must be Hugging Face's.
    (s) => HF_URL_PATTERN.test(s) || (!s.includes('://') && MODEL_KEY_PATTERN.test(s)),
    'Enter a catalog key such as qwen/qwen3-4b (optionally with @quantization), or a https://huggingface.co/owner/repo URL.',
  ),
);

export const InstanceIdSchema = v.pipe(v.string(), v.regex(MODEL_KEY_PATTERN, 'That is not a valid model identifier.'));

export const DownloadIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));

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

export const GpuOffloadSchema = v.union([v.picklist(['off', 'max']), v.pipe(v.number(), v.minValue(0), v.maxValue(1))]);
export type GpuOffload = v.InferOutput<typeof GpuOffloadSchema>;

export const LoadOptionsSchema = v.object({
  contextLength: v.optional(v.pipe(v.number(), v.integer(), v.minValue(256), v.maxValue(16_777_216))),
  gpuOffload: v.optional(GpuOffloadSchema),
  ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(31_536_000))),
});
export type LoadOptions = v.InferOutput<typeof LoadOptionsSchema>;

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
  'waking', // `lms` is waking LM Studio
  'resolving', // download plan
  'downloading',
  'finalizing',
  'stalled', // bytes stopped growing; still tracked, may resume
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
  startedAt: number;
  endedAt: number | null;
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
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number] | 'serverUnstable';

export const NotificationTogglesSchema = v.object({
  serverDown: v.boolean(),
  serverUp: v.boolean(),
  downloadFinished: v.boolean(),
  downloadFailed: v.boolean(),
  loadFailed: v.boolean(),
});

export const QUIT_BEHAVIOURS = ['leave-downloads-running', 'cancel-downloads'] as const;

/** Field-by-field schema of settings.json (the store validates each field on its own). */
export const SettingsFieldSchemas = {
  /** null: the port LM Studio last used, else http://127.0.0.1:1234. */
  baseUrl: v.nullable(v.pipe(v.string(), v.url('The LM Studio address must be a URL such as http://127.0.0.1:1234.'))),
  /** Stored encrypted on the desktop; never sent to the page. */
  apiToken: v.nullable(v.pipe(v.string(), v.maxLength(512))),
  lmsPath: v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(4096))),
  pollIntervalMs: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(1000, 'Poll at most once a second.'),
    v.maxValue(600_000, 'Poll at least every 10 minutes.'),
  ),
  notifications: NotificationTogglesSchema,
  launchAtLogin: v.boolean(),
  loadDefaults: LoadOptionsSchema,
  quitBehaviour: v.picklist(QUIT_BEHAVIOURS),
} as const;

export const SettingsSchema = v.object(SettingsFieldSchemas);
export type Settings = v.InferOutput<typeof SettingsSchema>;

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
  },
  launchAtLogin: false,
  loadDefaults: {},
  quitBehaviour: 'leave-downloads-running',
};

/** What the page sees: the token itself never leaves the core. */
export type SettingsView = Omit<Settings, 'apiToken'> & {
  apiTokenSet: boolean;
  /** Per-field problems found when loading settings.json, or flags overriding it this run. */
  messages: string[];
};

/** A partial update. `apiToken: null` clears the token; omitting it keeps it. */
export const SettingsPatchSchema = v.partial(v.strictObject(SettingsFieldSchemas));
export type SettingsPatch = v.InferOutput<typeof SettingsPatchSchema>;

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
  settings: SettingsView;
  app: { version: string; platform: string; transport: 'electron' | 'web' };
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

const NoPayload = v.optional(v.undefined());

export const CommandSchemas = {
  'app:get-snapshot': NoPayload,
  /** `visible` true when the popup is shown: refreshes `lms ps` details. */
  'app:popup-visibility': v.object({ visible: v.boolean() }),
  /**
   * Escape reached the page unhandled (no field or dialog used it): close the popup. Main hides
   * the desktop popup; web mode ignores it (a browser tab is not ours to close).
   */
  'popup:dismiss': NoPayload,
  'server:refresh': NoPayload,
  'server:start': NoPayload,
  'server:stop': NoPayload,
  'models:refresh': NoPayload,
  'models:load': v.object({ modelKey: ModelKeySchema, options: v.optional(LoadOptionsSchema) }),
  'models:unload': v.object({ identifier: InstanceIdSchema }),
  'models:unload-all': NoPayload,
  'downloads:start': v.object({ model: DownloadTargetSchema }),
  'downloads:cancel': v.object({ id: DownloadIdSchema }),
  'downloads:retry': v.object({ id: DownloadIdSchema }),
  'downloads:dismiss': v.object({ id: DownloadIdSchema }),
  'settings:get': NoPayload,
  'settings:update': SettingsPatchSchema,
} as const;

export type CommandName = keyof typeof CommandSchemas;
export const COMMAND_NAMES = Object.keys(CommandSchemas) as CommandName[];

export type CommandRequest<C extends CommandName> = v.InferInput<(typeof CommandSchemas)[C]>;

export interface CommandResponses {
  'app:get-snapshot': AppSnapshot;
  'app:popup-visibility': null;
  'popup:dismiss': null;
  'server:refresh': ServerStatus;
  'server:start': ServerStatus;
  'server:stop': ServerStatus;
  'models:refresh': ModelsSnapshot;
  'models:load': { identifier: string };
  'models:unload': null;
  'models:unload-all': { unloaded: number };
  'downloads:start': DownloadState;
  'downloads:cancel': DownloadState;
  'downloads:retry': DownloadState;
  'downloads:dismiss': null;
  'settings:get': SettingsView;
  'settings:update': SettingsView;
}
export type CommandResponse<C extends CommandName> = CommandResponses[C];

/** Validates a command's payload; returns the parsed value or a user-facing error. */
export function parseCommand<C extends CommandName>(
  name: C,
  payload: unknown,
): Result<v.InferOutput<(typeof CommandSchemas)[C]>> {
  const schema = CommandSchemas[name];
  if (!schema) return { ok: false, error: { code: 'invalid-input', message: `Unknown command ${String(name)}.` } };
  const parsed = v.safeParse(schema, payload);
  if (parsed.success) return { ok: true, value: parsed.output };
  return { ok: false, error: { code: 'invalid-input', message: parsed.issues.map((i) => i.message).join(' ') } };
}

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(CommandSchemas, name);
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
  'settings:changed',
  'notification:show',
];
/** The events that carry a piece of the app's state (everything but one-off notifications). */
export const STATE_EVENT_NAMES = [
  'server:status-changed',
  'models:changed',
  'downloads:changed',
  'loads:changed',
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
