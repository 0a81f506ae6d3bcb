/**
 * Pure parsers for what `lms` prints. No I/O: they take decoded strings (the runner decodes
 * bytes with a StringDecoder, so a UTF-8 character split across reads arrives whole) and
 * return events or values. See lmstudio-protocol.md §3 for the bytes they read.
 */
import * as v from 'valibot';
import type { LoadedInstance, ModelEntry, ModelType } from '../../../shared/contract';
import { isModelKey } from '../../../shared/model-names';
import { CoreError } from '../../errors';
import type { LmsGetEvent } from '../../interfaces';

// ---------------------------------------------------------------------------------------------
// Streams: lines out of `\r` redraws and escape codes
// ---------------------------------------------------------------------------------------------

/** CSI escape sequences lms writes (cursor hide/show/save/restore, line clears, colours). */
const ESCAPE_SEQUENCE = /\x1b\[[0-9;?]*[A-Za-z]/g;
/**
 * What ends a line: a newline, a carriage return (redraws), or "restore cursor", which closes
 * every progress-bar redraw of `lms get`, so a frame is read as soon as it is complete rather
 * than when the next one starts.
 */
const LINE_END = /\r|\n|\x1b\[u/;
/** A line that never ends (garbage, or a program gone wrong) is cut here to bound memory. */
const MAX_PENDING_CHARS = 64 * 1024;
/** Control characters left once the escape sequences are gone (a stray ESC, NUL, BEL, C1 codes). */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;
/** Longest message taken from lms's output; a garbage line must not become a page of text. */
export const MAX_MESSAGE_CHARS = 300;

/** Removes escape sequences, turns other control characters into spaces, trims. */
export function cleanLine(raw: string): string {
  return raw.replace(ESCAPE_SEQUENCE, '').replace(CONTROL_CHARACTERS, ' ').trim();
}

/** A clean line (or text) on one line with single spaces, shortened to `MAX_MESSAGE_CHARS`: a message the user reads. */
export function messageText(text: string): string {
  const clean = cleanLine(text).replace(/\s+/g, ' ');
  if (clean.length <= MAX_MESSAGE_CHARS) return clean;
  let end = MAX_MESSAGE_CHARS - 1;
  if (/[\ud800-\udbff]/.test(clean[end - 1]!)) end -= 1; // never half of a surrogate pair
  return `${clean.slice(0, end)}…`;
}

/**
 * Splits a stream into lines at `\r`, `\n` and `\x1b[u`, however the chunks were cut. The
 * unfinished rest is kept for the next chunk and can be looked at (`pending`) for output that
 * never ends its line, such as the Y/N prompt.
 */
class LineSplitter {
  private rest = '';

  /** Complete lines in `chunk` (after what was pending), cleaned, empty ones dropped. */
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split(LINE_END);
    this.rest = parts.pop() ?? '';
    if (this.rest.length > MAX_PENDING_CHARS) this.rest = this.rest.slice(-MAX_PENDING_CHARS);
    const lines: string[] = [];
    for (const part of parts) {
      const line = cleanLine(part);
      if (line) lines.push(line);
    }
    return lines;
  }

  /** The unfinished line so far, cleaned. */
  pending(): string {
    return cleanLine(this.rest);
  }

  /** Forgets the unfinished line (once it has been understood as a whole, e.g. a prompt). */
  clearPending(): void {
    this.rest = '';
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers as lms formats them
// ---------------------------------------------------------------------------------------------

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** `12.11 GB` -> 12110000000 (lms uses base 1000); null when unreadable. */
export function parseSize(text: string): number | null {
  const match = /^([\d.]+)\s*([KMGT]?B)$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  const unit = SIZE_UNITS[match[2]!];
  if (!Number.isFinite(value) || unit === undefined) return null;
  return Math.round(value * unit);
}

/** `02:00` -> 120, `1:02:03` -> 3723; null for `Infinity:NaN:NaN` or anything else unreadable. */
export function parseEta(text: string): number | null {
  if (!/^\d+(:\d{1,2}){1,2}$/.test(text)) return null;
  const seconds = text.split(':').reduce((total, part) => total * 60 + Number(part), 0);
  return Number.isFinite(seconds) ? seconds : null;
}

/** `29.08` -> 29.08, capped at 100; null for `NaN` or a number too long to be one. */
function parsePercent(text: string): number | null {
  const percent = Number(text);
  return Number.isFinite(percent) ? Math.min(100, percent) : null;
}

// ---------------------------------------------------------------------------------------------
// `lms get`
// ---------------------------------------------------------------------------------------------

/**
 * One redraw of the 22-cell bar, escapes stripped:
 * `⠋ [██████▌               ] 29.08% | 1.23 GB / 4.23 GB | 25.10 MB/s | ETA 02:00`.
 * The bar in brackets anchors it (an error message may contain a percentage); sizes are
 * left-padded to the widest value seen, hence ` +`; `NaN%` appears when the total is 0.
 */
const GET_PROGRESS =
  /\[[█▏▎▍▌▋▊▉ ]*\]\s+(NaN|\d+(?:\.\d+)?)%(?: \| +([\d.]+ [KMGT]?B) \/ +([\d.]+ [KMGT]?B) \| +([\d.]+ [KMGT]?B)\/s \| ETA (\S+))?/;
const PLAN_TOTAL = /^(?:Resolution completed\. Downloading|About to download) ([\d.]+ [KMGT]?B)/;
/**
 * The plan's top line for a model (`↓ To download: model qwen/qwen3-4b - 2.50 GB`): the key LM
 * Studio resolved the target to. Child lines (`└─ ↓ To download: Qwen3 4B Q4_K_M [GGUF] - ...`)
 * name a file, not a key, and start with the tree glyph.
 */
const PLAN_MODEL = /^↓ To download: model (\S+) - [\d.]+ [KMGT]?B$/;
/** Builds before 2026-04, search path: `Downloading <name> [Q4_K_M] (4.92 GB)`. */
const LEGACY_DOWNLOADING = /^Downloading .+ \(([\d.]+ [KMGT]?B)\)$/;
/** The plan block: spinner or status glyph, then an artifact or `Resolving download plan...`. */
const PLAN_LINE =
  /^(?:[└├]─\s*)?(?:[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓↓]\s|Resolving download plan|Searching for models|Based on your hardware)/;
const GET_PROMPT = /^Continue to download in the background\? \(Y\/N\):?$/;
/** The prompt as an unfinished line: only once its colon has arrived, so nothing of it is left over. */
const GET_PROMPT_PENDING = /^Continue to download in the background\? \(Y\/N\):$/;
const GET_PROMPT_PREFIX = /^Continue to download in the background\? \(Y\/N\):\s*(.*)$/;
const ALREADY_DOWNLOADED = [
  /^Model already downloaded\b/,
  /^Everything is already downloaded\b/,
  /^You already have this model\b/,
];
/** Failures lms reports without the `Error: ` prefix (waking LM Studio failed). */
const UNPREFIXED_FAILURES = [
  /^LM Studio daemon is not running and no valid installation could be found/,
  /^Failed to start or connect to local LM Studio API server/,
];
const ERROR_LINE = /^(?:[A-Za-z]*Error): (.+)$/;

/** Classifies one clean line of `lms get` output (either stream); null when it says nothing we use. */
export function parseGetLine(line: string): LmsGetEvent | null {
  const progress = GET_PROGRESS.exec(line);
  if (progress) {
    const [, percent, done, total, speed, eta] = progress;
    return {
      type: 'progress',
      percent: parsePercent(percent!),
      downloadedBytes: done ? parseSize(done) : null,
      totalBytes: total ? parseSize(total) : null,
      bytesPerSecond: speed ? parseSize(speed) : null,
      etaSeconds: eta ? parseEta(eta) : null,
    };
  }
  if (line === 'Waking up LM Studio service...') return { type: 'waking' };
  const plan = PLAN_TOTAL.exec(line) ?? LEGACY_DOWNLOADING.exec(line);
  // The key is on an earlier line of the plan: the streaming parser fills it in.
  if (plan) return { type: 'plan', totalBytes: parseSize(plan[1]!), modelKey: null };
  if (line === 'This download is already in progress.') return { type: 'attached' };
  if (line === 'Finalizing download...') return { type: 'finalizing' };
  if (line.startsWith('Download completed.')) return { type: 'completed' };
  if (ALREADY_DOWNLOADED.some((pattern) => pattern.test(line)))
    return { type: 'already-downloaded', message: messageText(line) };
  if (GET_PROMPT.test(line)) return { type: 'prompt' };
  if (line === 'Download will continue in the background.') return { type: 'continuing' };
  if (/^W Download cancel+ed\.?$/.test(line)) return { type: 'cancelled' };
  const error = ERROR_LINE.exec(line);
  if (error) return { type: 'error', message: messageText(error[1]!) };
  if (UNPREFIXED_FAILURES.some((pattern) => pattern.test(line))) return { type: 'error', message: messageText(line) };
  if (PLAN_LINE.test(line)) return { type: 'resolving' };
  return null;
}

/** The model key in a plan line such as `↓ To download: model qwen/qwen3-4b - 2.50 GB`, else null. */
export function parsePlanModelKey(line: string): string | null {
  const key = PLAN_MODEL.exec(line)?.[1];
  return key !== undefined && isModelKey(key) ? key : null;
}

export interface GetOutputParser {
  stdout(chunk: string): LmsGetEvent[];
  stderr(chunk: string): LmsGetEvent[];
}

/**
 * A streaming parser for `lms get`, one splitter per stream (their chunks interleave freely).
 *
 * Every progress frame becomes an event, identical ones included: the bar is redrawn every
 * 50 ms whether or not bytes arrive, and the download manager tells a stall by the byte count
 * not growing over time, which needs the frames, not silence. `resolving` is reported once per
 * run of plan lines (piped, lms re-prints the whole plan every 50 ms). The `plan` event carries
 * the model key of the plan's first `↓ To download: model KEY` line (the root artifact).
 */
export function createGetOutputParser(): GetOutputParser {
  let lastType: LmsGetEvent['type'] | null = null;
  let plannedKey: string | null = null;
  const read = (splitter: LineSplitter, chunk: string): LmsGetEvent[] => {
    const events: LmsGetEvent[] = [];
    const add = (event: LmsGetEvent | null) => {
      if (!event || (event.type === 'resolving' && lastType === 'resolving')) return;
      lastType = event.type;
      events.push(event.type === 'plan' ? { ...event, modelKey: plannedKey } : event);
    };
    const classify = (line: string) => {
      plannedKey ??= parsePlanModelKey(line);
      add(parseGetLine(line));
    };
    for (const line of splitter.push(chunk)) {
      // The answer's output continues the prompt's line when stdin is not a terminal.
      const prompted = GET_PROMPT_PREFIX.exec(line);
      if (prompted) {
        add({ type: 'prompt' });
        if (prompted[1]) classify(prompted[1]);
      } else {
        classify(line);
      }
    }
    // The Y/N prompt waits for an answer on the same line: there is no line end to wait for.
    if (GET_PROMPT_PENDING.test(splitter.pending())) {
      splitter.clearPending();
      add({ type: 'prompt' });
    }
    return events;
  };
  const out = new LineSplitter();
  const err = new LineSplitter();
  return { stdout: (chunk) => read(out, chunk), stderr: (chunk) => read(err, chunk) };
}

// ---------------------------------------------------------------------------------------------
// `lms load`
// ---------------------------------------------------------------------------------------------

export type LoadProgressEvent = { type: 'progress'; progress: number | null };
export type LoadStatusEvent =
  | { type: 'loaded'; identifier: string | null }
  | { type: 'error'; message: string }
  | { type: 'cancelled' }
  | { type: 'waking' }
  | { type: 'ambiguous'; message: string };

export interface LoadOutputParser {
  stdout(chunk: string): LoadProgressEvent[];
  stderr(chunk: string): LoadStatusEvent[];
}

const SPINNER_GLYPHS = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
/** Current builds: `Loading <key> 42% ⠋`; 2025-12..2026-05 builds: `Loading <key> ⠋`. */
const LOAD_SPINNER = new RegExp(`^Loading (.+?)(?: (\\d{1,3})%)?(?: [${SPINNER_GLYPHS}])?$`);
/** Builds up to 2025-12: a 50-cell bar `[█████...     ] 42.00%`. */
const LOAD_BAR = /\[[█▏▎▍▌▋▊▉ ]*\]\s+(\d+(?:\.\d+)?)%/;
const LOADED_IDENTIFIER = /^To use the model in the API\/SDK, use the identifier "(.+)"\.?$/;

/** `43.12` -> 0.4312, without floating-point noise (0.43119999...). */
function percentToRatio(percent: string): number {
  return Math.min(1, Math.round(Number(percent) * 100) / 10_000);
}

/** Classifies one clean line of `lms load` stdout. */
export function parseLoadProgressLine(line: string): LoadProgressEvent | null {
  const bar = LOAD_BAR.exec(line);
  if (bar) return { type: 'progress', progress: percentToRatio(bar[1]!) };
  if (/^Loading model "/.test(line)) return null; // the old stderr preamble, should it reach stdout
  const spinner = LOAD_SPINNER.exec(line);
  if (spinner)
    return { type: 'progress', progress: spinner[2] === undefined ? null : Math.min(1, Number(spinner[2]) / 100) };
  return null;
}

/** Classifies one clean line of `lms load` stderr. */
export function parseLoadStatusLine(line: string): LoadStatusEvent | null {
  const identifier = LOADED_IDENTIFIER.exec(line);
  if (identifier) return { type: 'loaded', identifier: identifier[1]! };
  if (line.startsWith('Model loaded successfully')) return { type: 'loaded', identifier: null };
  if (line === 'Waking up LM Studio service...') return { type: 'waking' };
  if (/^W Load cancel+ed\.?$/.test(line)) return { type: 'cancelled' };
  if (/^W \d+ models match\b/.test(line)) return { type: 'ambiguous', message: messageText(line.slice(2)) };
  const error = ERROR_LINE.exec(line);
  if (error) return { type: 'error', message: messageText(error[1]!) };
  if (UNPREFIXED_FAILURES.some((pattern) => pattern.test(line))) return { type: 'error', message: messageText(line) };
  return null;
}

/**
 * A streaming parser for `lms load`. Progress is 0..1, or null when the build's spinner shows
 * no percentage; repeated values are reported once (the spinner redraws every 80 ms).
 */
export function createLoadOutputParser(): LoadOutputParser {
  const out = new LineSplitter();
  const err = new LineSplitter();
  let lastProgress: number | null | undefined;
  return {
    stdout(chunk) {
      const events: LoadProgressEvent[] = [];
      for (const line of out.push(chunk)) {
        const event = parseLoadProgressLine(line);
        if (!event || event.progress === lastProgress) continue;
        lastProgress = event.progress;
        events.push(event);
      }
      return events;
    },
    stderr(chunk) {
      const events: LoadStatusEvent[] = [];
      for (const line of err.push(chunk)) {
        const event = parseLoadStatusLine(line);
        if (event) events.push(event);
      }
      return events;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// JSON commands
// ---------------------------------------------------------------------------------------------

const OptionalString = v.optional(v.nullable(v.string()));
/** A number that makes no sense where it is (negative, 1e400, port 70000) is unknown, not an error. */
const absurd = v.pipe(
  v.number(),
  v.transform((): null => null),
);
/** Bytes, tokens, milliseconds: finite and not negative. */
const OptionalCount = v.optional(v.nullable(v.union([v.pipe(v.number(), v.finite(), v.minValue(0)), absurd])));
const OptionalPort = v.optional(
  v.nullable(v.union([v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535)), absurd])),
);
const OptionalPid = v.optional(v.nullable(v.union([v.pipe(v.number(), v.integer(), v.minValue(1)), absurd])));
const OptionalBoolean = v.optional(v.nullable(v.boolean()));

/** `ModelInfo` of lmstudio-js; unknown fields are ignored, most known ones are optional across versions. */
const ModelInfoSchema = v.object({
  type: v.string(),
  modelKey: v.pipe(v.string(), v.nonEmpty()),
  format: OptionalString,
  displayName: OptionalString,
  publisher: OptionalString,
  path: OptionalString,
  sizeBytes: OptionalCount,
  paramsString: OptionalString,
  architecture: OptionalString,
  quantization: v.optional(v.nullable(v.object({ name: v.optional(v.nullable(v.string())) }))),
  maxContextLength: OptionalCount,
  vision: OptionalBoolean,
  trainedForToolUse: OptionalBoolean,
  reasoning: v.optional(v.unknown()),
});

const ModelInstanceSchema = v.object({
  ...ModelInfoSchema.entries,
  identifier: v.pipe(v.string(), v.nonEmpty()),
  contextLength: OptionalCount,
  ttlMs: OptionalCount,
  lastUsedTime: OptionalCount,
  status: OptionalString,
});

type ModelInfo = v.InferOutput<typeof ModelInfoSchema>;

/** Parses a command's JSON output or throws `lms-failed` saying which command and what was wrong. */
function parseJsonOutput<S extends v.GenericSchema>(command: string, schema: S, text: string): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(lastJsonLine(text));
  } catch {
    const shown = cleanLine(text).slice(0, 120);
    throw new CoreError(
      'lms-failed',
      `\`${command}\` did not print JSON${shown ? ` (it printed "${shown}")` : ' (it printed nothing)'}. ` +
        'Your LM Studio may be too old for this app: update it from https://lmstudio.ai/download.',
    );
  }
  const parsed = v.safeParse(schema, json);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  const where = issue ? v.getDotPath(issue) : null;
  throw new CoreError(
    'lms-failed',
    `\`${command}\` printed JSON in an unexpected shape (${where ? `at ${where}: ` : ''}${issue?.message ?? 'unknown'}). ` +
      'Update LM Studio, or report this to LM Studio Tray.',
  );
}

/** JSON is printed on one line; any other stdout (there should be none) comes before it. */
function lastJsonLine(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return trimmed;
  const lines = trimmed.split('\n').map((line) => line.trim());
  return lines.findLast((line) => line.startsWith('[') || line.startsWith('{')) ?? trimmed;
}

function modelType(info: ModelInfo): ModelType {
  if (info.type === 'embedding' || info.type === 'embeddings') return 'embedding';
  return info.vision || info.type === 'vlm' ? 'vlm' : 'llm';
}

/** lms reports MLX models as `safetensors`; the REST API calls them `mlx`, and so does the app. */
function modelFormat(format: string | null | undefined): string | null {
  if (!format) return null;
  return format === 'safetensors' ? 'mlx' : format;
}

function toModelEntry(info: ModelInfo): ModelEntry {
  return {
    key: info.modelKey,
    displayName: info.displayName || info.modelKey,
    publisher: info.publisher ?? null,
    type: modelType(info),
    format: modelFormat(info.format),
    quantization: info.quantization?.name ?? null,
    paramsString: info.paramsString ?? null,
    sizeBytes: info.sizeBytes ?? null,
    maxContextLength: info.maxContextLength ?? null,
    vision: info.vision === true,
    toolUse: info.trainedForToolUse === true,
    reasoning: info.reasoning !== undefined && info.reasoning !== null && info.reasoning !== false,
    loadedInstances: [],
  };
}

/** `lms ls --json` -> the downloaded models (`loadedInstances` empty: ls does not say). */
export function parseLsJson(text: string): ModelEntry[] {
  return parseJsonOutput('lms ls --json', v.array(ModelInfoSchema), text).map(toModelEntry);
}

/**
 * `lms ls --json` -> each downloaded model's key and path (`owner/repo/file.gguf`, relative to the
 * models folder), which `ModelEntry` does not carry: the path is what `lms load --exact` matches.
 */
export function parseLsPathsJson(text: string): Array<{ modelKey: string; path: string | null }> {
  return parseJsonOutput('lms ls --json', v.array(ModelInfoSchema), text).map((info) => ({
    modelKey: info.modelKey,
    path: info.path || null,
  }));
}

/** `lms ps --json` -> the loaded instances, with TTL, last use and activity. */
export function parsePsJson(text: string): LoadedInstance[] {
  return parseJsonOutput('lms ps --json', v.array(ModelInstanceSchema), text).map((instance) => ({
    identifier: instance.identifier,
    modelKey: instance.modelKey,
    contextLength: instance.contextLength ?? null,
    ttlMs: instance.ttlMs ?? null,
    lastUsedTime: instance.lastUsedTime ?? null,
    activity: instance.status ?? null,
    sizeBytes: instance.sizeBytes ?? null,
  }));
}

/** `lms server status --json`: `{"running":true,"port":1234}`, or `{"running":false}` before the first start. */
export function parseServerStatusJson(text: string): { running: boolean; port: number | null } {
  const schema = v.object({ running: v.boolean(), port: OptionalPort });
  const parsed = parseJsonOutput('lms server status --json', schema, text);
  return { running: parsed.running, port: parsed.port ?? null };
}

/** `lms daemon status --json`: `{"status":"running","pid":N,...}` or `{"status":"not-running"}`. */
export function parseDaemonStatusJson(text: string): { running: boolean; pid: number | null } {
  const schema = v.object({ status: v.string(), pid: OptionalPid });
  const parsed = parseJsonOutput('lms daemon status --json', schema, text);
  const running = parsed.status === 'running';
  return { running, pid: running ? (parsed.pid ?? null) : null };
}

/**
 * The plain `lms daemon status` (protocol-2 §9): `LM Studio v0.4.2 is running (PID: 1234)`, or
 * `llmster v0.4.2 is running (PID: 1234)` for the headless daemon: LM Studio's own version, the
 * one place it is said without waking the app. Null for `LM Studio is not running` and anything
 * else (a build that words it otherwise says nothing we can trust).
 */
export function parseDaemonStatusVersion(text: string): string | null {
  for (const raw of text.split(/\r?\n/)) {
    const match = /^(?:LM Studio|llmster) v(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?) is running\b/.exec(cleanLine(raw));
    if (match) return match[1]!;
  }
  return null;
}

/** `lms version --json`: `{"version":"<commit hash>"}` (older builds: a semver such as `0.0.47`). */
export function parseVersionJson(text: string): string {
  const schema = v.object({ version: v.pipe(v.string(), v.trim(), v.nonEmpty()) });
  return parseJsonOutput('lms version --json', schema, text).version;
}
