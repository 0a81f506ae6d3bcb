/**
 * A pure parser for `lms log stream --source model --filter input,output --json`
 * (lmstudio-protocol-2.md §1): one `JSON.stringify(log)` per line on stdout, the banner, warnings
 * and errors on stderr.
 *
 * Privacy (brief §8): the lines carry the whole prompt and the whole answer. Only counts and
 * timings leave this module: the JSON is parsed with a reviver that keeps an allow-list of keys,
 * so the text never reaches an object, and a line too long to hold is never buffered whole
 * (its head and tail are kept, the text in between is dropped as it streams past).
 */
import type { LogStreamEvent } from '../../interfaces';
import { cleanLine } from './parsers';

/** A line longer than this is not held whole: only its head and tail are kept. */
export const MAX_LINE_CHARS = 256 * 1024;
/** Enough for `{"timestamp":…,"data":{"type":"llm.prediction.output","output":"`. */
const HEAD_CHARS = 1024;
/** Enough for the model path, the stats and the identifier that follow the text. */
const TAIL_CHARS = 16 * 1024;
/** A stderr line is a message, not a document: longer ones are cut. */
const MAX_STDERR_LINE_CHARS = 2048;
/** Identifiers are short (`qwen/qwen3-4b`, `gemma-3-1b-it-qat:2`); anything longer is not one. */
const MAX_IDENTIFIER_CHARS = 256;

/**
 * The only keys a parsed line keeps, at any depth: the event's envelope, the model and the
 * figures of `stats`. `input`, `output` (the text), `modelPath`, `content`, `message` and
 * unknown keys are dropped while parsing.
 */
const KEPT_KEYS = new Set([
  'timestamp',
  'data',
  'type',
  'modelIdentifier',
  'stats',
  'tokensPerSecond',
  'timeToFirstTokenSec',
  'promptTokensCount',
  'predictedTokensCount',
]);

const INPUT_TYPE = 'llm.prediction.input';
const OUTPUT_TYPE = 'llm.prediction.output';

const keepAllowedKeys = (key: string, value: unknown): unknown =>
  key === '' || KEPT_KEYS.has(key) ? value : undefined;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A figure that makes sense (finite, not negative), else null. */
function figure(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** A count of tokens (a whole number), else null. */
function count(value: unknown): number | null {
  const n = figure(value);
  return n !== null && Number.isSafeInteger(n) ? n : null;
}

function identifier(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const clean = cleanLine(value);
  return clean && clean.length <= MAX_IDENTIFIER_CHARS ? clean : null;
}

/** The event in a parsed (already filtered) line, or null when it is not a prediction event. */
function toEvent(parsed: unknown): LogStreamEvent | null {
  if (!isObject(parsed) || !isObject(parsed.data)) return null;
  const at = parsed.timestamp;
  if (typeof at !== 'number' || !Number.isFinite(at) || at <= 0) return null;
  const model = identifier(parsed.data.modelIdentifier);
  if (model === null) return null;
  if (parsed.data.type === INPUT_TYPE) return { type: 'input', at, modelIdentifier: model };
  if (parsed.data.type !== OUTPUT_TYPE) return null;
  const stats = isObject(parsed.data.stats) ? parsed.data.stats : {};
  return {
    type: 'output',
    at,
    modelIdentifier: model,
    tokensPerSecond: figure(stats.tokensPerSecond),
    timeToFirstTokenSec: figure(stats.timeToFirstTokenSec),
    promptTokens: count(stats.promptTokensCount),
    predictedTokens: count(stats.predictedTokensCount),
  };
}

function parseFiltered(json: string): LogStreamEvent | null {
  try {
    return toEvent(JSON.parse(json, keepAllowedKeys));
  } catch {
    return null; // not JSON, or cut short
  }
}

/**
 * One whole stdout line -> its event, or null for anything else (other event types, human
 * format, a line cut short). The text is gone before this returns.
 */
export function parseLogStreamLine(line: string): LogStreamEvent | null {
  const text = line.trim();
  // Cheap refusals first: only an object line naming a prediction event is worth parsing.
  if (!text.startsWith('{') || !text.includes('"llm.prediction.')) return null;
  return parseFiltered(text);
}

/** `{"timestamp":N,"data":{"type":"llm.prediction.X","input|output":"` — the start of a prediction line. */
const OVERSIZED_HEAD =
  /^\s*\{"timestamp":(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?),"data":\{"type":"(llm\.prediction\.(?:input|output))","(?:input|output)":"/;

/**
 * A line too long to hold (a long prompt or answer), from its first and last characters. The
 * schema's key order is fixed (the SDK re-parses every message with zod, protocol-2 §1), so the
 * text is the key right after `type`, and what follows it in the tail is `,"modelPath":…` (input)
 * or `,"stats":…` / `,"modelIdentifier":…` (output). Inside a JSON string every `"` is escaped,
 * so `,"` can only be the line's own structure, never part of the text: the markers cannot be
 * forged by what the user typed.
 */
export function parseOversizedLogStreamLine(head: string, tail: string): LogStreamEvent | null {
  const start = OVERSIZED_HEAD.exec(head);
  if (!start) return null;
  const [, timestamp, type] = start;
  const markers = type === INPUT_TYPE ? [',"modelPath":', ',"modelIdentifier":'] : [',"stats":', ',"modelIdentifier":'];
  for (const marker of markers) {
    const at = tail.lastIndexOf(marker);
    if (at >= 0) return parseFiltered(`{"timestamp":${timestamp},"data":{"type":"${type}"${tail.slice(at)}`);
  }
  return null;
}

/** A line as the splitter hands it over: whole, or (too long to hold) its head and tail. */
export type SplitLine = { text: string } | { head: string; tail: string };

/**
 * Splits a decoded stream at `\n` (a `\r` before it is dropped), however the chunks were cut,
 * holding at most `maxChars` of an unfinished line: past that, only its first `headChars` and its
 * last `tailChars` are kept, so a 100 MB line costs no more memory than a 256 KB one.
 */
export class BoundedLineSplitter {
  private line = '';
  private head: string | null = null;
  private tail = '';

  constructor(
    private readonly maxChars: number,
    private readonly headChars: number,
    private readonly tailChars: number,
  ) {}

  /** The characters held for the unfinished line (bounded by maxChars, or head plus tail). */
  heldChars(): number {
    return this.head === null ? this.line.length : this.head.length + this.tail.length;
  }

  push(chunk: string): SplitLine[] {
    const lines: SplitLine[] = [];
    let from = 0;
    for (let end = chunk.indexOf('\n'); end >= 0; end = chunk.indexOf('\n', from)) {
      this.append(chunk.slice(from, end));
      lines.push(this.take());
      from = end + 1;
    }
    this.append(chunk.slice(from));
    return lines;
  }

  /** The last line, if the stream ended without a newline. */
  end(): SplitLine[] {
    return this.heldChars() > 0 ? [this.take()] : [];
  }

  private append(part: string): void {
    if (!part) return;
    if (this.head === null && this.line.length + part.length <= this.maxChars) {
      this.line += part;
      return;
    }
    if (this.head === null) {
      this.head = (this.line + part.slice(0, this.headChars)).slice(0, this.headChars);
      this.tail = this.line;
      this.line = '';
    }
    this.tail = lastChars(this.tail, part, this.tailChars);
  }

  private take(): SplitLine {
    const taken: SplitLine =
      this.head === null
        ? { text: withoutCarriageReturn(this.line) }
        : { head: this.head, tail: withoutCarriageReturn(this.tail) };
    this.line = '';
    this.head = null;
    this.tail = '';
    return taken;
  }
}

/** The last `n` characters of `a + b`, without building `a + b` when `b` alone is huge. */
function lastChars(a: string, b: string, n: number): string {
  if (n <= 0) return '';
  if (b.length >= n) return b.slice(-n);
  return a.slice(-(n - b.length)) + b;
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** What a stderr line of `lms log stream` means to the app. */
export type LogStreamStderrKind =
  /** `Waking up LM Studio service...`: LM Studio was not running and lms is starting it. */
  | 'waking'
  /** `Streaming logs from LM Studio`: subscribed. */
  | 'banner'
  /** `…WebSocket error: Error: WebSocket connection closed`: LM Studio quit or dropped the socket. */
  | 'socket-closed'
  /** `error: unknown option '--source'`: lms before LM Studio 0.3.26. */
  | 'unsupported'
  /** An `Error: ` line. */
  | 'error'
  | 'other';

/** Classifies one stderr line (as `LogStreamReader.stderr` hands it over). */
export function classifyLogStreamStderr(line: string): LogStreamStderrKind {
  if (/^Waking up LM Studio service/.test(line)) return 'waking';
  if (/^Streaming logs from LM Studio\b/.test(line)) return 'banner';
  if (/WebSocket connection closed/.test(line)) return 'socket-closed';
  // commander's `error: unknown option '--source'`; older parsers' "unknown argument(s)" naming it.
  if (/\bunknown (?:option|arguments?)\b/i.test(line) && /--source|--filter/.test(line)) return 'unsupported';
  if (/^Error: /.test(line)) return 'error';
  return 'other';
}

export interface LogStreamReader {
  /** Decoded stdout -> the events of the lines it completed. */
  stdout(chunk: string): LogStreamEvent[];
  /** Decoded stderr -> the lines it completed, cleaned (no escape codes), empty ones dropped. */
  stderr(chunk: string): string[];
  /** The stream ended: the events and lines of what was left without a newline. */
  end(): { events: LogStreamEvent[]; stderrLines: string[] };
  /** Characters held for unfinished lines (bounded whatever the child prints). */
  heldChars(): number;
}

/** A reader for one `lms log stream` child: a bounded splitter per stream. */
export function createLogStreamReader(): LogStreamReader {
  const out = new BoundedLineSplitter(MAX_LINE_CHARS, HEAD_CHARS, TAIL_CHARS);
  const err = new BoundedLineSplitter(MAX_STDERR_LINE_CHARS, MAX_STDERR_LINE_CHARS, 0);
  const events = (lines: SplitLine[]): LogStreamEvent[] => {
    const parsed: LogStreamEvent[] = [];
    for (const line of lines) {
      const event = 'text' in line ? parseLogStreamLine(line.text) : parseOversizedLogStreamLine(line.head, line.tail);
      if (event) parsed.push(event);
    }
    return parsed;
  };
  const stderrLines = (lines: SplitLine[]): string[] =>
    lines.map((line) => cleanLine('text' in line ? line.text : line.head)).filter(Boolean);
  return {
    stdout: (chunk) => events(out.push(chunk)),
    stderr: (chunk) => stderrLines(err.push(chunk)),
    end: () => ({ events: events(out.end()), stderrLines: stderrLines(err.end()) }),
    heldChars: () => out.heldChars() + err.heldChars(),
  };
}
