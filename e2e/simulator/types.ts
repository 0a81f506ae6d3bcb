/** The simulator's public types (re-exported by `index.ts`). */

/** A model LM Studio has downloaded (or will have, once a catalog download finishes). */
export interface SimModel {
  key: string;
  displayName: string;
  publisher: string;
  type: 'llm' | 'embedding';
  vision?: boolean;
  toolUse?: boolean;
  /** Reasoning options as `/api/v1/models` reports them (e.g. gpt-oss: low/medium/high). */
  reasoning?: { allowedOptions: string[]; defaultOption: string };
  format: 'gguf' | 'mlx';
  quantization: string | null;
  bitsPerWeight?: number;
  paramsString: string | null;
  sizeBytes: number;
  maxContextLength: number;
  architecture?: string;
  /** Relative path under the models folder; derived from the key when absent. */
  path?: string;
  /** KV cache per token of context for memory estimates (default: `sizeBytes / 131,072`). */
  kvBytesPerToken?: number;
}

/** Something that can be downloaded: a Hub key (`owner/name`) or a Hugging Face URL, and the model it becomes. */
export interface SimCatalogEntry {
  key: string;
  sizeBytes: number;
  model: SimModel;
}

export type SimGeneration = '0.4' | '0.3';

/** The simulated machine's GPU (`lms runtime survey`, GPU shares of estimates). */
export interface SimGpu {
  name: string;
  vramBytes: number;
  integrationType: 'integrated' | 'discrete' | 'unknown';
  detectionPlatform: 'CUDA' | 'Metal' | 'Vulkan' | 'ROCm';
  detectionPlatformVersion: string;
}

/** settings.json `modelLoadingGuardrails` (lmstudio-protocol-2.md §5). */
export interface SimGuardrails {
  mode: 'off' | 'low' | 'medium' | 'high' | 'custom';
  customThresholdBytes: number;
  alwaysAllowLoadAnyway: boolean;
}

/**
 * How the next `failNextDownload` fails: part-way with one of LM Studio's transfer errors, or at
 * once, when resolving, with `lms get`'s not-found or missing-variant error.
 */
export type SimDownloadFailure =
  | 'connection-lost'
  | 'timeout'
  | 'connection-reset'
  | 'checksum'
  | 'not-found'
  | 'no-variant';
export type AuthErrorStatus = 200 | 401 | 403;

export interface SimulatorOptions {
  /** 0.3: no /api/v1 (answers with the HTTP-200 "Unexpected endpoint" body), older lms output wording. */
  generation?: SimGeneration;
  /** LM Studio app/daemon running (default true). */
  appRunning?: boolean;
  /** Its HTTP server listening (default true). */
  serverRunning?: boolean;
  /** HTTP port (default 0 = a free port, kept across stop/start). */
  port?: number;
  /** Require `Authorization: Bearer TOKEN`. */
  token?: string | null;
  /** How a missing or wrong token is answered (default 401; 200 = the odd versions). */
  authErrorStatus?: AuthErrorStatus;
  /** With a token set, `/lmstudio-greeting` needs it too (answers the same auth error); default false: open. */
  greetingNeedsToken?: boolean;
  /** Default true: `/v1/models` lists all downloaded models. */
  jit?: boolean;
  /** Downloaded models; default: DEFAULT_MODELS. */
  models?: SimModel[];
  /** Keys loaded at start (identifier = key; a second instance gets `:2`). */
  loaded?: string[];
  /** Downloadable; default: DEFAULT_CATALOG. */
  catalog?: SimCatalogEntry[];
  /** Default 2 GB/s: a default catalog model takes ~1.5-3 s. */
  downloadBytesPerSecond?: number;
  /** Added to every HTTP answer. */
  latencyMs?: number;
  /** How long a model load takes, over REST, JIT or `lms load` (default 300 ms). */
  loadDurationMs?: number;
  /** Another program (a plain web server answering HTML/404) holds the port. */
  foreign?: boolean;
  /** How many HTTP requests and `lms` runs `state` remembers (default 10,000; a soak keeps fewer). */
  historyKept?: number;
  /**
   * Default true: `<LM Studio home>/settings.json` carries `downloadsFolder` = `<homeDir>/models`
   * (a real folder); false: no such field, so the models folder is `<LM Studio home>/models`.
   */
  downloadsFolderInSettings?: boolean;
}

/** Settings that may change while the simulator runs (`Simulator.configure`). */
export interface SimConfig {
  generation: SimGeneration;
  latencyMs: number;
  /** How long a model load takes, over REST, JIT or `lms load`. */
  loadDurationMs: number;
  /** Accept connections but never answer. */
  hang: boolean;
  token: string | null;
  authErrorStatus: AuthErrorStatus;
  /** With a token set, `/lmstudio-greeting` needs it too; false: the greeting stays open. */
  greetingNeedsToken: boolean;
  foreign: boolean;
  jit: boolean;
  downloadBytesPerSecond: number;
  /** Bytes stop growing; `lms get` keeps redrawing the same progress. */
  stallDownloads: boolean;
  /** The next download of this key (or of anything, with `*`) fails part-way. */
  failNextDownload: string | null;
  /** The next load of this key (or of anything, with `*`) fails. */
  failNextLoad: string | null;
  /** Every fake `lms` run hangs until killed. */
  lmsHangs: boolean;
  /** How the next `failNextDownload` fails (default `connection-lost`). */
  failNextDownloadAs: SimDownloadFailure;
  /** The simulated machine's RAM (default 32 GiB). */
  ramBytes: number;
  /** Its GPU (default a discrete 8 GiB one); null: none (estimates put nothing on a GPU). */
  gpu: SimGpu | null;
  /** settings.json `modelLoadingGuardrails` (default `high`, 4 GiB custom threshold, no load-anyway). */
  guardrails: SimGuardrails;
  /** Overrides the threshold the guardrail mode gives (bytes; null: by mode, see resources.ts). */
  guardrailThresholdBytes: number | null;
  /** `Confidence: LOW` under estimates when `low`. */
  estimateConfidence: 'high' | 'low';
  /** Estimate sizes in `GiB` (since lms 2026-02-07) or base-1000 `GB` (before); default by generation. */
  estimateUnits: 'GiB' | 'GB';
  /** The estimate's first line names the model `key` (since lms 2026-02-11) or its `path` (before). */
  estimateModelLine: 'key' | 'path';
  /** false: an lms older than LM Studio 0.3.27, without `--estimate-only`. */
  estimateOnlySupported: boolean;
  /** `lms runtime survey` enums `lower` (since 2026-03-05) or `capitalised` (before). */
  surveyEnumCase: 'lower' | 'capitalised';
  /** The disk holding the models folder (bytes); models, partial files and running downloads use it. */
  diskCapacityBytes: number;
  /** LM Studio refuses to start while the disk is full (default true). */
  launchFailsWhenDiskFull: boolean;
  /** A download LM Studio restarts after a quit starts again from zero instead of its partial file. */
  restartDownloadsFromZero: boolean;
  /** Generation speed of every answer (default 60 tokens/s). */
  tokensPerSecond: number;
  /** Prompt processing before the first token (`processingPrompt` in `lms ps`; default 50 ms). */
  timeToFirstTokenMs: number;
  /** When set, every answer's generation takes this long whatever its length (ms; default null: by tokensPerSecond). */
  generationMs: number | null;
  /** Each request's times × a random factor in [1 − j, 1 + j], so concurrent answers finish out of order (default 0). */
  generationJitter: number;
  /** Inference requests are accepted (input event, `generating`) and never answered. */
  hangInference: boolean;
  /** Which `lms log stream` the fake lms is (see the README's table; default `current`). */
  logStreamBuild: SimLogStreamBuild;
  /** LM Studio's version, as the plain `lms daemon status` prints it (default 0.4.2; 0.3.31 for generation 0.3). */
  lmStudioVersion: string;
  /** The headless daemon (llmster) runs instead of the app: `daemon status` says `llmster v…`, `isDaemon: true`. */
  headless: boolean;
}

/**
 * `lms log stream` through its history (lmstudio-protocol-2.md §1): `current` since lms 6efe6ab
 * (2026-01, ≈0.4.0); `input-default` 7144400..6efe6ab (inputs only without `--filter`, with a
 * warning); `early-exit` f13588d..7144400 (exits at once); `no-signal-handlers` b4542ca..f13588d
 * (0.3.26 on: input default, no `-s runtime`, a signal kills it); `no-source` before 0.3.26.
 */
export type SimLogStreamBuild = 'current' | 'input-default' | 'early-exit' | 'no-signal-handlers' | 'no-source';

export type SimConfigPatch = Partial<Omit<SimConfig, 'generation'>>;

export interface SimLoadedInstance {
  identifier: string;
  modelKey: string;
  contextLength: number;
  ttlMs: number | null;
  lastUsedTime: number | null;
}

export type SimDownloadStatus = 'downloading' | 'completed' | 'failed' | 'cancelled' | 'paused';

export interface SimDownloadView {
  id: string;
  model: string;
  status: SimDownloadStatus;
  downloadedBytes: number;
  totalBytes: number;
  via: 'lms' | 'rest';
  /** Why it failed (null unless failed). */
  error: string | null;
}

export interface SimRequest {
  method: string;
  path: string;
  at: number;
}

export interface Simulator {
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  readonly port: number;
  /** A temporary HOME holding `.lmstudio/.internal/http-server-config.json` and `.lmstudio/bin/lms`. */
  readonly homeDir: string;
  /** `homeDir/.lmstudio/bin/lms`: executable, the control address baked in. */
  readonly lmsPath: string;
  /** As `lms server stop`: the port refuses connections, idle keep-alive sockets are closed, the app stays up. */
  stopServer(): Promise<void>;
  /**
   * The server stops listening but keeps its connections: new connections are refused
   * (ECONNREFUSED) while every open one, idle keep-alive ones included, stays open and keeps being
   * answered. The app stays up: `lms daemon status` says running, `lms server status` not running.
   * `startServer()` listens again; `stopServer()`, `quitApp()` and `crash()` end the kept ones.
   */
  stopListening(): Promise<void>;
  /** As `lms server start` (launching the app first if needed, without counting a wake); listens again after `stopListening`. */
  startServer(): Promise<void>;
  /**
   * LM Studio quits: HTTP refused, daemon not running, models unloaded, running downloads fail
   * (their partial files are kept for a restart; REST forgets their job ids).
   */
  quitApp(): Promise<void>;
  /**
   * The app comes back and restores its server's last on/off state. Rejects while the simulated
   * disk is full (with `launchFailsWhenDiskFull`, the default), as LM Studio may refuse to start.
   */
  launchApp(): Promise<void>;
  /** The process dies: every open socket destroyed at once, port refused, app not running. */
  crash(): Promise<void>;
  /** LM Studio unloads an instance on its own (TTL expiry, JIT Auto-Evict), not through lms or REST; false if none. */
  evict(identifier: string): boolean;
  /** The simulated disk's free bytes (capacity − models − partial files − running downloads), never below 0. */
  diskFree(): number;
  /** `diskFree()` and the capacity, in DiskSpacePort's shape. */
  diskSpace(): { freeBytes: number; totalBytes: number };
  /** The user deletes the partial files of interrupted downloads (as after a full disk); returns the bytes freed. */
  discardPartialDownloads(): number;
  /** The models folder: settings.json's `downloadsFolder` (a real, empty folder), or `<LM Studio home>/models`. */
  readonly modelsDir: string;
  configure(patch: SimConfigPatch): void;
  /** The user deletes a downloaded model in LM Studio (its instances unload); false if there was none. */
  deleteModel(key: string): boolean;
  readonly state: {
    models(): SimModel[];
    loaded(): SimLoadedInstance[];
    downloads(): SimDownloadView[];
    /** Times a fake `lms` command woke the app (stays 0 when the tray behaves). */
    wakeCount(): number;
    /** The `lms` command behind each wake and when it came (the last 1,000), to tell who asked for it. */
    wakes(): Array<{ argv: string[]; at: number }>;
    /** argv of every fake `lms` run (the last `historyKept`, 10,000 by default). */
    lmsInvocations(): string[][];
    /** HTTP requests seen (the last `historyKept`, 10,000 by default). */
    requests(): SimRequest[];
    /** Bytes kept from interrupted downloads, by catalog key (what a restart resumes from). */
    partialDownloads(): Record<string, number>;
    /** TCP connections accepted so far, with or without a request (connect-only checks make none). */
    connections(): number;
  };
  /** Stops everything and removes the temporary home: no process or socket left. */
  close(): Promise<void>;
}
