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
}

/** Something that can be downloaded: a Hub key (`owner/name`) or a Hugging Face URL, and the model it becomes. */
export interface SimCatalogEntry {
  key: string;
  sizeBytes: number;
  model: SimModel;
}

export type SimGeneration = '0.4' | '0.3';
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
}

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
  /** LM Studio quits: HTTP refused, daemon not running, models unloaded, running downloads fail. */
  quitApp(): Promise<void>;
  /** The app comes back and restores its server's last on/off state. */
  launchApp(): Promise<void>;
  /** The process dies: every open socket destroyed at once, port refused, app not running. */
  crash(): Promise<void>;
  configure(patch: SimConfigPatch): void;
  /** The user deletes a downloaded model in LM Studio (its instances unload); false if there was none. */
  deleteModel(key: string): boolean;
  /** LM Studio unloads an instance on its own (TTL, JIT auto-evict, the model crashed); false if none was loaded. */
  evict(identifier: string): boolean;
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
    /** TCP connections accepted so far, with or without a request (connect-only checks make none). */
    connections(): number;
  };
  /** Stops everything and removes the temporary home: no process or socket left. */
  close(): Promise<void>;
}
