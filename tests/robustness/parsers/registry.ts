/**
 * Every pure parser of `lms` output, LM Studio's own files, settings.json and downloads.json,
 * with the type its result must have (issue 8, item 8). A new parser joins the property suite by
 * adding an entry: how to feed it text, which recorded outputs to mutate, and the schema of what
 * it returns.
 *
 * "Typed" is stricter than TypeScript's types: numbers are finite (they cross the bridge as
 * JSON, where Infinity becomes null) and within their range, messages are one clean line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as v from 'valibot';
import { createOutageHistory } from '../../../electron/core/diagnostics/outages';
import { pageMessage } from '../../../electron/core/diagnostics/page-log';
import { classifyDownloadFailure } from '../../../electron/core/downloads/failure-kind';
import { createDownloadJournal, JournalEntrySchema } from '../../../electron/core/downloads/journal';
import { CoreError } from '../../../electron/core/errors';
import { createDiskGuard } from '../../../electron/core/fit/disk';
import { guardrailRefusalMessage, isGuardrailRefusal } from '../../../electron/core/lmstudio/guardrails';
import { readLastServerConfig } from '../../../electron/core/lmstudio/home';
import { lmsErrorLine, lmsErrorMessage } from '../../../electron/core/lmstudio/lms/cli';
import {
  isEstimateUnsupported,
  parseEstimateOutput,
  parseMemorySize,
  parseRuntimeSurveyJson,
} from '../../../electron/core/lmstudio/lms/estimate-parsers';
import {
  classifyLogStreamStderr,
  createLogStreamReader,
  parseLogStreamLine,
} from '../../../electron/core/lmstudio/lms/log-stream-parser';
import {
  cleanLine,
  createGetOutputParser,
  createLoadOutputParser,
  MAX_MESSAGE_CHARS,
  messageText,
  parseDaemonStatusJson,
  parseDaemonStatusVersion,
  parseEta,
  parseGetLine,
  parseLoadProgressLine,
  parseLoadStatusLine,
  parseLsJson,
  parseLsPathsJson,
  parsePsJson,
  parseServerStatusJson,
  parseSize,
  parseVersionJson,
} from '../../../electron/core/lmstudio/lms/parsers';
import {
  formatEntry,
  MAX_ENTRY_LINES,
  MAX_LOG_LINE_CHARS,
  redactLogText,
} from '../../../electron/core/persistence/log-file';
import type { DiskSpacePort, FileSystem } from '../../../electron/core/ports';
import { createSettingsStore } from '../../../electron/core/settings/store';
import { DEFAULT_SETTINGS, DOWNLOAD_FAILURE_KINDS, SERVER_STATES } from '../../../electron/shared/contract';
import { SettingsFieldSchemas } from '../../../electron/shared/contract-schemas';
import { isModelKey } from '../../../electron/shared/model-names';
import {
  CANARY_API_TOKEN as API_CANARY,
  CANARY_TOKENS,
  CANARY_API_TOKEN_TYPED as TYPED_CANARY,
  CANARY_WEB_TOKEN as WEB_CANARY,
} from '../secrets/canaries';

// ---------------------------------------------------------------------------------------------
// The types results must have
// ---------------------------------------------------------------------------------------------

/** One line a person can read: no control characters, not a page long. */
const Message = v.pipe(
  v.string(),
  v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'contains a control character'),
  v.maxLength(MAX_MESSAGE_CHARS),
);
/** An error's message (a CoreError's, a refusal shown in an alert): one clean line, at most 600 characters. */
const ErrorMessage = v.pipe(
  v.string(),
  v.minLength(1),
  v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'contains a control character'),
  v.maxLength(600),
);
/** A count of bytes, seconds, tokens...: unknown (null), or finite and not negative. */
const Count = v.nullable(v.pipe(v.number(), v.finite(), v.minValue(0)));
const Ratio = v.nullable(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1)));
const Percent = v.nullable(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(100)));
const Port = v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535)));
const Text = v.nullable(v.string());

const bare = <T extends string>(type: T) => v.strictObject({ type: v.literal(type) });
const GetEvent = v.nullable(
  v.variant('type', [
    bare('waking'),
    bare('resolving'),
    v.strictObject({
      type: v.literal('plan'),
      totalBytes: Count,
      modelKey: v.nullable(v.pipe(v.string(), v.check(isModelKey))),
    }),
    bare('attached'),
    v.strictObject({
      type: v.literal('progress'),
      percent: Percent,
      downloadedBytes: Count,
      totalBytes: Count,
      bytesPerSecond: Count,
      etaSeconds: Count,
    }),
    bare('finalizing'),
    bare('completed'),
    v.strictObject({ type: v.literal('already-downloaded'), message: Message }),
    bare('prompt'),
    bare('continuing'),
    bare('cancelled'),
    v.strictObject({ type: v.literal('error'), message: v.pipe(Message, v.minLength(1)) }),
  ]),
);
const LoadProgress = v.nullable(v.strictObject({ type: v.literal('progress'), progress: Ratio }));
const LoadStatus = v.nullable(
  v.variant('type', [
    v.strictObject({ type: v.literal('loaded'), identifier: Text }),
    v.strictObject({ type: v.literal('error'), message: v.pipe(Message, v.minLength(1)) }),
    bare('cancelled'),
    bare('waking'),
    v.strictObject({ type: v.literal('ambiguous'), message: Message }),
  ]),
);
const LoadedInstance = v.strictObject({
  identifier: v.pipe(v.string(), v.minLength(1)),
  modelKey: v.pipe(v.string(), v.minLength(1)),
  contextLength: Count,
  ttlMs: Count,
  lastUsedTime: Count,
  activity: Text,
  sizeBytes: Count,
});
const ModelEntry = v.strictObject({
  key: v.pipe(v.string(), v.minLength(1)),
  displayName: v.string(),
  publisher: Text,
  type: v.picklist(['llm', 'vlm', 'embedding']),
  format: Text,
  quantization: Text,
  paramsString: Text,
  sizeBytes: Count,
  maxContextLength: Count,
  vision: v.boolean(),
  toolUse: v.boolean(),
  reasoning: v.boolean(),
  loadedInstances: v.array(LoadedInstance),
});
const { apiToken: _token, ...viewFields } = SettingsFieldSchemas;
/** Bytes that are known: a safe integer, not negative (JSON carries it exactly). */
const Bytes = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** A name shown as it is (a model's, a GPU's): no control characters, not empty. */
const Name = v.pipe(
  v.string(),
  v.minLength(1),
  v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'contains a control character'),
);
const Estimate = v.nullable(
  v.strictObject({
    model: Name,
    gpuBytes: v.nullable(Bytes),
    totalBytes: Bytes,
    confidence: v.picklist(['high', 'low']),
    passesGuardrails: v.boolean(),
  }),
);
/** A model's identifier from `lms log stream`: one clean line, short (a path or a prompt is not one). */
const StreamIdentifier = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(256),
  v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'contains a control character'),
  v.check((text) => text === text.trim(), 'not trimmed'),
);
const Timestamp = v.pipe(
  v.number(),
  v.finite(),
  v.check((n) => n > 0, 'not after 1970'),
);
const TokenCount = v.nullable(v.pipe(v.number(), v.safeInteger(), v.minValue(0)));
/** An event of `lms log stream`: counts and timings only, never a text field (issue 10's privacy rule). */
export const LogStreamEventSchema = v.variant('type', [
  v.strictObject({ type: v.literal('input'), at: Timestamp, modelIdentifier: StreamIdentifier }),
  v.strictObject({
    type: v.literal('output'),
    at: Timestamp,
    modelIdentifier: StreamIdentifier,
    tokensPerSecond: Count,
    timeToFirstTokenSec: Count,
    promptTokens: TokenCount,
    predictedTokens: TokenCount,
  }),
]);
/** A line as the log file writes it: each line capped, no control character, at most MAX_ENTRY_LINES (+1 saying how many more). */
const LogEntry = v.pipe(
  v.string(),
  v.endsWith('\n'),
  v.check((text) => {
    const lines = text.slice(0, -1).split('\n');
    return (
      lines.length <= MAX_ENTRY_LINES + 1 &&
      lines.every(
        // The cap, plus its `… (N more characters)` note.
        (line) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(line) && line.length <= MAX_LOG_LINE_CHARS + 40,
      )
    );
  }, 'a line too long, too many lines, or a control character'),
  v.check((text) => CANARY_TOKENS.every((canary) => !text.includes(canary.value)), 'holds a canary'),
);
const SettingsView = v.strictObject({
  ...viewFields,
  apiTokenSet: v.boolean(),
  messages: v.array(v.pipe(v.string(), v.minLength(1))),
});

// ---------------------------------------------------------------------------------------------
// Recorded output to mutate
// ---------------------------------------------------------------------------------------------

const FIXTURES = new URL('../../electron/core/lmstudio/lms/fixtures/', import.meta.url);
/** Every byte-exact recording of `lms` output (stdout and stderr of get and load). */
const RECORDED_STREAMS: Buffer[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.fixture.txt'))
  .sort()
  .map((name) => readFileSync(new URL(name, FIXTURES)));
const RECORDED_LINES: Buffer[] = [
  ...new Set(RECORDED_STREAMS.flatMap((bytes) => bytes.toString('utf8').split(/\r|\n|\x1b\[u/))),
]
  .filter((line) => line.trim())
  .map((line) => Buffer.from(line));

/** `lms ls --json` and `lms ps --json` as recorded (lmstudio-protocol.md §3). */
const PS_RECORDED =
  '[{"type":"llm","modelKey":"ornith-1.0-35b-mlx-oq8","format":"safetensors","displayName":"Ornith 1.0 35B OQ8","publisher":"jedisct1","path":"jedisct1/Ornith-1.0-35B-MLX-oQ8","sizeBytes":37726897291,"indexedModelIdentifier":"jedisct1/Ornith-1.0-35B-MLX-oQ8","deviceIdentifier":null,"paramsString":"35B","architecture":"qwen3_5_moe","quantization":{"name":"8bit","bits":8},"identifier":"ornith-1.0-35b-mlx-oq8","ttlMs":null,"lastUsedTime":1786252670392,"vision":true,"trainedForToolUse":true,"maxContextLength":262144,"contextLength":65536,"status":"idle","queued":0,"parallel":2}]\n';
const LS_RECORDED =
  '[{"type":"llm","modelKey":"qwen/qwen3-4b","format":"gguf","displayName":"Qwen3 4B","publisher":"qwen","path":"lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf","sizeBytes":2497280000,"paramsString":"4B","architecture":"qwen3","quantization":{"name":"Q4_K_M","bits":4},"maxContextLength":40960,"vision":false,"trainedForToolUse":true,"reasoning":{"mode":"on"}},{"type":"embedding","modelKey":"text-embedding-nomic-embed-text-v1.5","format":"gguf","displayName":"Nomic Embed Text v1.5","sizeBytes":84106624,"maxContextLength":2048}]\n';
const SETTINGS_RECORDED = `${JSON.stringify(
  {
    ...DEFAULT_SETTINGS,
    baseUrl: 'http://127.0.0.1:1234',
    apiToken: 'sk-lm-abc',
    lmsPath: '/home/me/.lmstudio/bin/lms',
    loadDefaults: { contextLength: 8192, gpuOffload: 'max', ttlSeconds: 600 },
    fromANewerVersion: { x: 1 },
  },
  null,
  2,
)}\n`;

/** downloads.json as the journal writes it: one entry retrying, one waiting to load when done. */
const JOURNAL_RECORDED = `${JSON.stringify(
  {
    downloads: [
      {
        id: 'dl-1-a1b2c3',
        model: 'qwen/qwen3-4b@q4_k_m',
        loadWhenDone: true,
        attempt: 3,
        firstFailureAt: 1786252670392,
        retryingMs: 40000,
        failureKind: 'network',
        startedAt: 1786252600000,
      },
      {
        id: 'dl-2-d4e5f6',
        model: 'https://huggingface.co/Qwen/Qwen3-4B-GGUF',
        loadWhenDone: false,
        attempt: 1,
        firstFailureAt: null,
        retryingMs: 0,
        failureKind: null,
        startedAt: 1786252700000,
      },
    ],
  },
  null,
  2,
)}\n`;

const bytes = (...texts: string[]) => texts.map((text) => Buffer.from(text));

/** The recordings whose file name starts with `prefix` (`estimate-`, `runtime-survey-`). */
const recordedNamed = (prefix: string): Buffer[] =>
  readdirSync(FIXTURES)
    .filter((name) => name.startsWith(prefix) && name.endsWith('.fixture.txt'))
    .sort()
    .map((name) => readFileSync(new URL(name, FIXTURES)));
const ESTIMATE_RECORDED = recordedNamed('estimate-');
const SURVEY_RECORDED = recordedNamed('runtime-survey-');

/** LM Studio's refusal of a load over its guardrails (lmstudio-protocol-2.md §5): lms's stack, the REST body. */
const GUARDRAIL_RECORDED = [
  ...recordedNamed('load-guardrail'),
  ...bytes(
    '{"error":{"type":"model_load_failed","message":"Error loading model. Model loading was stopped due to insufficient system resources. Under the current settings, this model requires approximately 273.25 GB of memory, and continuing to load it would likely overload your system and cause it to freeze."}}',
  ),
];

/** What failed download attempts said: lms's stderr, the runner's and the client's words. */
const FAILURE_RECORDED = [
  ...recordedNamed('get-'),
  ...bytes(
    'Error: Cannot find variant q9_k.',
    'lms get exited with code 1 without saying why.',
    'lms get was stopped by SIGKILL.',
    'Error: ENOSPC: no space left on device, write',
    'LM Studio found no model called qwen/nope to download.',
    'Could not reach LM Studio: fetch failed (ECONNREFUSED 127.0.0.1:1234)',
  ),
];

/** LM Studio's own settings.json, as far as the disk guard reads it (`downloadsFolder`). */
const LMSTUDIO_SETTINGS_RECORDED = bytes(
  '{"downloadsFolder":"/mnt/models","developer":{"showExperimentalFeatures":false}}',
  '{"developer":{}}',
  '{"downloadsFolder":"models"}',
  // A folder name may hold any character but `/`: the messages naming it stay one line.
  '{"downloadsFolder":"/mnt/new\\nmodels\\u001b[2J"}',
);

/** `lms log stream --json` as recorded (protocol-2 §1): whole streams, and each line on its own. */
export const LOG_STREAM_RECORDED = recordedNamed('log-stream-');
const LOG_STREAM_STDOUT = readdirSync(FIXTURES)
  .filter((name) => name.startsWith('log-stream-') && name.endsWith('.stdout.fixture.txt'))
  .sort()
  .map((name) => readFileSync(new URL(name, FIXTURES)));
const LOG_STREAM_LINES = LOG_STREAM_STDOUT.flatMap((bytes) =>
  bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => Buffer.from(line)),
);
/** Plain `lms daemon status` (protocol-2 §9). */
const DAEMON_STATUS_RECORDED = recordedNamed('daemon-status-');

/** outages.json as the history writes it: one outage over, one still open. */
const OUTAGES_RECORDED = `${JSON.stringify(
  {
    outages: [
      { from: 1786252600000, to: 1786252670392, state: 'offline', baseUrl: 'http://127.0.0.1:1234' },
      { from: 1786252700000, to: null, state: 'not-responding', baseUrl: 'http://127.0.0.1:1234' },
    ],
  },
  null,
  2,
)}\n`;
/** "Now" for the outage history: a day after the recorded entries, so they are kept. */
const OUTAGES_NOW = 1786252700000 + 24 * 60 * 60 * 1000;

/** Log lines with secrets in every shape the log file redacts (the canaries, as the app would meet them). */
const LOG_LINES_RECORDED = bytes(
  `2026-12-02T05:00:00.000Z DEBUG GET http://127.0.0.1:1234/v1/models {"authorization":"Bearer ${API_CANARY}"}`,
  `2026-12-02T05:00:00.000Z INFO Authorization: Bearer ${TYPED_CANARY}\n    at fetch (node:internal)\n    at main`,
  `2026-12-02T05:00:00.000Z INFO Open http://127.0.0.1:4321/?token=${encodeURIComponent(WEB_CANARY)}`,
  `2026-12-02T05:00:00.000Z WARN ws /ws?token=${WEB_CANARY}&x=1 refused; settings {"apiToken":"${API_CANARY}"}`,
  `2026-12-02T05:00:00.000Z ERROR \u001b[31mlms: key ${API_CANARY} refused\u001b[0m\r\nforged\u2028line`,
  `2026-12-02T05:00:00.000Z WARN popup: ${'x'.repeat(3000)}`,
  // A token glued to a word: still a token.
  `2026-12-02T05:00:00.000Z DEBUG env LM_API_TOKEN_${API_CANARY} key=x${TYPED_CANARY}`,
);

// ---------------------------------------------------------------------------------------------
// The parsers
// ---------------------------------------------------------------------------------------------

export interface ParserEntry {
  name: string;
  /** Recorded input to mutate (each a whole input, as bytes). */
  recorded: Buffer[];
  /** Whether the input arrives as a stream of chunks (the runner's decoded reads) or whole. */
  streamed: boolean;
  /** Feeds the input (chunks when `streamed`, else one text) and returns the result. */
  run(input: string[]): unknown;
  /** The result's type. */
  result: v.GenericSchema;
  /** Error codes it may throw, as a CoreError (a parser that says "not what I expected"). */
  throws?: string[];
}

/** A FileSystem over an object of file contents (parsers are fed text, not disks). */
export const memoryFs = (files: Record<string, string>): FileSystem => ({
  readFile: async (file) => {
    const text = files[file];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return text;
  },
  writeFileAtomic: async (file, data) => {
    files[file] = data;
  },
  rename: async (from, to) => {
    files[to] = files[from]!;
    delete files[from];
  },
  exists: async (file) => file in files,
  isExecutable: async () => false,
  mkdir: async () => {},
  stat: async (file) => {
    if (!(file in files)) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return { kind: 'file', mode: 0o600, uid: 0 };
  },
  realpath: async (file) => file,
  // One process, nothing to wait for.
  withLock: (_file, work) => work(),
  removeLeftovers: async () => [],
});

export const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Both streams of a streaming parser: even chunks go to stdout, odd ones to stderr. */
function splitStreams<E>(parser: { stdout(chunk: string): E[]; stderr(chunk: string): E[] }, chunks: string[]): E[] {
  return chunks.flatMap((chunk, index) => (index % 2 === 0 ? parser.stdout(chunk) : parser.stderr(chunk)));
}

export const PARSERS: readonly ParserEntry[] = [
  {
    name: 'cleanLine',
    recorded: RECORDED_LINES,
    streamed: false,
    run: ([text]) => cleanLine(text!),
    result: v.pipe(v.string(), v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/)),
  },
  {
    name: 'messageText',
    recorded: RECORDED_LINES,
    streamed: false,
    run: ([text]) => messageText(text!),
    result: Message,
  },
  {
    name: 'parseSize',
    recorded: bytes('12.11 GB', '52.30 KB', '0.00 B'),
    streamed: false,
    run: ([t]) => parseSize(t!),
    result: Count,
  },
  {
    name: 'parseEta',
    recorded: bytes('02:00', '1:02:03', 'Infinity:NaN:NaN'),
    streamed: false,
    run: ([t]) => parseEta(t!),
    result: Count,
  },
  {
    name: 'parseGetLine',
    recorded: RECORDED_LINES,
    streamed: false,
    run: ([t]) => parseGetLine(cleanLine(t!)),
    result: GetEvent,
  },
  {
    name: 'createGetOutputParser',
    recorded: RECORDED_STREAMS,
    streamed: true,
    run: (chunks) => splitStreams(createGetOutputParser(), chunks),
    result: v.array(v.nonNullable(GetEvent)),
  },
  {
    name: 'parseLoadProgressLine',
    recorded: RECORDED_LINES,
    streamed: false,
    run: ([t]) => parseLoadProgressLine(cleanLine(t!)),
    result: LoadProgress,
  },
  {
    name: 'parseLoadStatusLine',
    recorded: RECORDED_LINES,
    streamed: false,
    run: ([t]) => parseLoadStatusLine(cleanLine(t!)),
    result: LoadStatus,
  },
  {
    name: 'createLoadOutputParser',
    recorded: RECORDED_STREAMS,
    streamed: true,
    run: (chunks) => splitStreams(createLoadOutputParser() as never, chunks),
    result: v.array(v.union([v.nonNullable(LoadProgress), v.nonNullable(LoadStatus)])),
  },
  {
    name: 'parseLsJson',
    recorded: bytes(LS_RECORDED, '[]\n', `W a warning first\n${LS_RECORDED}`),
    streamed: false,
    run: ([t]) => parseLsJson(t!),
    result: v.array(ModelEntry),
    throws: ['lms-failed'],
  },
  {
    name: 'parsePsJson',
    recorded: bytes(PS_RECORDED, '[]\n'),
    streamed: false,
    run: ([t]) => parsePsJson(t!),
    result: v.array(LoadedInstance),
    throws: ['lms-failed'],
  },
  {
    name: 'parseServerStatusJson',
    recorded: bytes('{"running":true,"port":1234}\n', '{"running":false}\n'),
    streamed: false,
    run: ([t]) => parseServerStatusJson(t!),
    result: v.strictObject({ running: v.boolean(), port: Port }),
    throws: ['lms-failed'],
  },
  {
    name: 'parseDaemonStatusJson',
    recorded: bytes('{"status":"running","pid":4242,"isDaemon":true}\n', '{"status":"not-running"}\n'),
    streamed: false,
    run: ([t]) => parseDaemonStatusJson(t!),
    result: v.strictObject({
      running: v.boolean(),
      pid: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))),
    }),
    throws: ['lms-failed'],
  },
  {
    name: 'parseVersionJson',
    recorded: bytes('{"version":"f13588d"}\n', '{"version":"0.0.47"}\n'),
    streamed: false,
    run: ([t]) => parseVersionJson(t!),
    result: v.pipe(v.string(), v.minLength(1)),
    throws: ['lms-failed'],
  },
  {
    name: 'lmsErrorMessage',
    recorded: RECORDED_STREAMS,
    streamed: false,
    run: ([t]) => lmsErrorMessage(t!),
    result: v.nullable(v.pipe(Message, v.minLength(1))),
  },
  {
    name: 'lmsErrorLine',
    recorded: RECORDED_STREAMS,
    streamed: false,
    run: ([t]) => lmsErrorLine(t!),
    result: v.nullable(v.pipe(Message, v.minLength(1))),
  },
  {
    name: "readLastServerConfig (LM Studio's http-server-config.json)",
    recorded: bytes('{"port":1234,"networkInterface":"127.0.0.1"}', '{"port":41343}'),
    streamed: false,
    run: ([t]) => readLastServerConfig('/home', memoryFs({ '/home/.internal/http-server-config.json': t! })),
    result: v.nullable(v.strictObject({ port: v.nonNullable(Port), networkInterface: Text })),
  },
  {
    name: 'settings.json (the settings validator, on load)',
    recorded: bytes(SETTINGS_RECORDED, '{}', '{"pollIntervalMs":0,"baseUrl":"javascript:alert(1)"}'),
    streamed: false,
    run: async ([t]) => {
      const files: Record<string, string> = { '/config/settings.json': t! };
      const store = createSettingsStore({ fs: memoryFs(files), configDir: '/config', logger: silent, now: () => 1 });
      const view = await store.load();
      // What was read is what is in force.
      const settings = store.get();
      const { apiTokenSet, messages: _messages, ...fields } = view;
      const { apiToken, ...settingsFields } = settings;
      if (JSON.stringify(fields) !== JSON.stringify(settingsFields) || apiTokenSet !== (apiToken !== null)) {
        throw new Error('view() and get() disagree');
      }
      return view;
    },
    result: SettingsView,
  },
  {
    name: 'downloads.json (the download journal, on read)',
    recorded: bytes(JOURNAL_RECORDED, '{"downloads":[]}', '\uFEFF{"downloads":[{"id":"dl-1"}]}'),
    streamed: false,
    run: ([t]) =>
      createDownloadJournal({
        fs: memoryFs({ '/config/downloads.json': t! }),
        configDir: '/config',
        logger: silent,
        now: () => 1,
      }).read(),
    // Each entry exactly what the journal promises: nothing more, every field in its range.
    result: v.array(v.strictObject(JournalEntrySchema.entries)),
  },
  {
    name: 'parseMemorySize',
    recorded: bytes('5.20 GiB', '65.68 GB', '0 Bytes', '1.5 TiB'),
    streamed: false,
    run: ([t]) => parseMemorySize(t!),
    result: v.nullable(Bytes),
  },
  {
    name: 'parseEstimateOutput (`lms load --estimate-only`, stderr)',
    recorded: ESTIMATE_RECORDED,
    streamed: false,
    run: ([t]) => parseEstimateOutput(t!),
    result: Estimate,
  },
  {
    name: 'isEstimateUnsupported',
    recorded: ESTIMATE_RECORDED,
    streamed: false,
    run: ([t]) => isEstimateUnsupported(t!),
    result: v.boolean(),
  },
  {
    name: 'parseRuntimeSurveyJson (`lms runtime survey --json`)',
    recorded: SURVEY_RECORDED,
    streamed: false,
    run: ([t]) => parseRuntimeSurveyJson(t!),
    result: v.strictObject({
      ramBytes: v.nullable(v.pipe(Bytes, v.minValue(1))),
      vramBytes: v.nullable(v.pipe(v.number(), v.finite(), v.minValue(1))),
      totalMemoryBytes: v.nullable(v.pipe(Bytes, v.minValue(1))),
      gpus: v.array(v.strictObject({ name: v.pipe(Name, v.maxLength(120)), vramBytes: v.pipe(Bytes, v.minValue(1)) })),
    }),
    throws: ['lms-failed'],
  },
  {
    name: 'parseLsPathsJson (`lms ls --json`, for `--exact`)',
    recorded: bytes(LS_RECORDED, '[]\n', `W a warning first\n${LS_RECORDED}`),
    streamed: false,
    run: ([t]) => parseLsPathsJson(t!),
    result: v.array(
      v.strictObject({
        modelKey: v.pipe(v.string(), v.minLength(1)),
        path: v.nullable(v.pipe(v.string(), v.minLength(1))),
      }),
    ),
    throws: ['lms-failed'],
  },
  {
    name: "guardrailRefusalMessage (LM Studio's guardrail refusal of a load)",
    recorded: GUARDRAIL_RECORDED,
    streamed: false,
    run: ([t]) => {
      const message = guardrailRefusalMessage('qwen/qwen3-4b', t!);
      if ((message !== null) !== isGuardrailRefusal(t!)) throw new Error('the recogniser and the message disagree');
      return message;
    },
    result: v.nullable(ErrorMessage),
  },
  {
    name: 'classifyDownloadFailure (a failed attempt -> its kind)',
    recorded: FAILURE_RECORDED,
    streamed: false,
    // The same words from every source: lms with and without an exit code, REST's failed and lost jobs.
    run: ([t]) =>
      [{}, { exitCode: 1 }, { exitCode: null }, { job: 'failed' as const }, { job: 'lost' as const }].map((source) =>
        classifyDownloadFailure({ message: t!, ...source }),
      ),
    result: v.array(v.picklist(DOWNLOAD_FAILURE_KINDS)),
  },
  {
    name: "LM Studio's settings.json (the disk guard's models folder)",
    recorded: LMSTUDIO_SETTINGS_RECORDED,
    streamed: false,
    run: async ([t]) => {
      const guardOver = (diskSpace: DiskSpacePort) =>
        createDiskGuard({
          fs: memoryFs({ '/home/me/.lmstudio/settings.json': t! }),
          diskSpace,
          clock: { now: () => 1, setTimeout: () => 0, clearTimeout() {}, setInterval: () => 0, clearInterval() {} },
          logger: silent,
          platform: 'linux',
          home: () => '/home/me/.lmstudio',
          isLocal: () => true,
          enabled: () => true,
        });
      const guard = guardOver({ freeSpace: async () => ({ freeBytes: 3_000_000_000, totalBytes: 500_000_000_000 }) });
      // The OS's refusal names the folder, as Node's errors do.
      const unreadable = guardOver({
        freeSpace: async (folder) => {
          throw Object.assign(new Error(`EACCES: permission denied, statfs '${folder}'`), { code: 'EACCES' });
        },
      });
      // What it measures, what it says when a 12.1 GB download will not fit there, and when it cannot measure.
      return {
        space: await guard.space(),
        refusal: await guard.refusal(12_100_000_000),
        unreadable: await unreadable.space(),
      };
    },
    result: v.strictObject({
      space: v.strictObject({
        known: v.literal(true),
        space: v.strictObject({
          folder: v.pipe(v.string(), v.startsWith('/')),
          freeBytes: Bytes,
          totalBytes: Bytes,
          checkedAt: Bytes,
        }),
      }),
      refusal: v.strictObject({
        message: ErrorMessage,
        neededBytes: Bytes,
        freeBytes: Bytes,
        folder: v.pipe(v.string(), v.startsWith('/')),
      }),
      unreadable: v.strictObject({
        known: v.literal(false),
        reason: v.pipe(v.string(), v.regex(/^[^\u0000-\u001f\u007f-\u009f]+$/)),
      }),
    }),
  },
  {
    name: 'parseLogStreamLine (`lms log stream --json`, one line)',
    recorded: LOG_STREAM_LINES,
    streamed: false,
    run: ([t]) => parseLogStreamLine(t!),
    result: v.nullable(LogStreamEventSchema),
  },
  {
    name: 'createLogStreamReader (`lms log stream --json`, stdout and stderr in chunks)',
    recorded: LOG_STREAM_RECORDED,
    streamed: true,
    run: (chunks) => {
      const reader = createLogStreamReader();
      const events: unknown[] = [];
      const stderrLines: string[] = [];
      for (const [index, chunk] of chunks.entries()) {
        if (index % 3 === 2) stderrLines.push(...reader.stderr(chunk));
        else events.push(...reader.stdout(chunk));
      }
      const rest = reader.end();
      return {
        events: [...events, ...rest.events],
        stderr: [...stderrLines, ...rest.stderrLines].map((line) => ({ line, kind: classifyLogStreamStderr(line) })),
        held: reader.heldChars(),
      };
    },
    result: v.strictObject({
      events: v.array(LogStreamEventSchema),
      stderr: v.array(
        v.strictObject({
          // Classified, not shown (an `Error: ` line is logged through messageText, which caps it).
          line: v.pipe(
            v.string(),
            v.minLength(1),
            v.maxLength(2048),
            v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'contains a control character'),
          ),
          kind: v.picklist(['waking', 'banner', 'socket-closed', 'unsupported', 'error', 'other']),
        }),
      ),
      // Everything was handed over at the end.
      held: v.literal(0),
    }),
  },
  {
    name: 'parseDaemonStatusVersion (plain `lms daemon status`)',
    recorded: DAEMON_STATUS_RECORDED,
    streamed: false,
    run: ([t]) => parseDaemonStatusVersion(t!),
    result: v.nullable(v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/), v.maxLength(200))),
  },
  {
    name: 'outages.json (the outage history, on read)',
    recorded: bytes(OUTAGES_RECORDED, '{"outages":[]}', '\uFEFF{"outages":[{"from":1}]}'),
    streamed: false,
    run: ([t]) =>
      createOutageHistory({
        fs: memoryFs({ '/config/outages.json': t! }),
        configDir: '/config',
        logger: silent,
        now: () => OUTAGES_NOW,
      }).list(0),
    // Each entry exactly what the history promises, oldest first, at most 500.
    result: v.pipe(
      v.array(
        v.pipe(
          v.strictObject({
            from: v.pipe(v.number(), v.finite(), v.minValue(0)),
            to: v.nullable(v.pipe(v.number(), v.finite(), v.minValue(0))),
            state: v.picklist(SERVER_STATES),
            baseUrl: v.pipe(v.string(), v.maxLength(2048)),
          }),
          v.check((entry) => entry.to === null || entry.to >= entry.from, 'ends before it begins'),
        ),
      ),
      v.maxLength(500),
      v.check((entries) => entries.every((entry, i) => i === 0 || entries[i - 1]!.from <= entry.from), 'not in order'),
    ),
  },
  {
    name: "formatEntry (the log file's lines: redacted, capped, one line each)",
    recorded: LOG_LINES_RECORDED,
    streamed: false,
    // Web mode hands its token to the log file; the API tokens are caught by their shape.
    run: ([t]) => formatEntry(t!, [WEB_CANARY]),
    result: LogEntry,
  },
  {
    name: 'redactLogText (what the report and the log file redact)',
    recorded: LOG_LINES_RECORDED,
    streamed: false,
    run: ([t]) => redactLogText(t!, [WEB_CANARY]),
    result: v.pipe(
      v.string(),
      v.check((text) => CANARY_TOKENS.every((canary) => !text.includes(canary.value)), 'holds a canary'),
    ),
  },
  {
    name: "pageMessage (the page's warnings in the log: app:log)",
    recorded: LOG_LINES_RECORDED,
    streamed: false,
    run: ([t]) => pageMessage(t!),
    result: v.pipe(
      v.string(),
      v.regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, 'contains a control character'),
      v.maxLength(1_000 + 40),
    ),
  },
];

/** Whether `error` is one the entry may throw: a CoreError with an allowed code and a clean message. */
export function isAllowedError(entry: ParserEntry, error: unknown): boolean {
  return (
    error instanceof CoreError &&
    (entry.throws ?? []).includes(error.code) &&
    v.is(
      v.pipe(v.string(), v.minLength(1), v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/), v.maxLength(600)),
      error.message,
    )
  );
}
