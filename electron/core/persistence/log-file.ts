/**
 * This process's log file (ports.ts `LogFile`): `<configDir>/logs/<process>.log`, one per
 * process (`desktop`, `web`) so the two never write the same file (design brief §8).
 *
 * - Appends are buffered: what a turn of the event loop logged is one append, after that turn
 *   (a burst of lines never means a write per line). `flushSync` writes what is left at exit.
 * - Size-capped: past `maxBytes` the file becomes `<name>.1` (and `.1` becomes `.2`, ...), so the
 *   folder never holds more than (1 + `keep`) × `maxBytes`.
 * - The folder is created `0700`, the files `0600`.
 * - Every line goes through `redactLogText`: secrets never reach the disk, nor control characters
 *   (a forged line, a terminal escape) nor a line long enough to fill the file on its own.
 */
import { closeSync, promises as fsp, fstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { LogFile } from '../ports';

export const LOG_FOLDER_NAME = 'logs';
export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;
export const DEFAULT_LOG_KEEP = 2;
/** One line of the file at most this long (a stack trace keeps its lines, each capped). */
export const MAX_LOG_LINE_CHARS = 2_000;
/** One entry (a message and its details) at most this many lines. */
export const MAX_ENTRY_LINES = 60;
/** Lines logged in one turn of the event loop beyond this are dropped (and counted): a loop that logs cannot grow memory. */
const MAX_PENDING_CHARS = 4 * 1024 * 1024;

export interface RotatingLogFile extends LogFile {
  /** The folder of the log files (the desktop opens it). */
  readonly dir: string;
  /** Appends one entry (its lines are redacted and capped here). */
  append(entry: string): void;
  /** A value that must never be written (web mode's token): replaced wherever it appears. */
  addSecret(value: string): void;
  /** Resolves once everything appended so far is on disk (or failed to be). */
  flush(): Promise<void>;
  /** Writes what is still pending, synchronously: for the process's `exit`. */
  flushSync(): void;
}

export interface LogFileOptions {
  /** The config folder; the file goes to its `logs` folder. */
  configDir: string;
  process: 'desktop' | 'web';
  maxBytes?: number;
  /** How many rotated files are kept (`.1` … `.keep`). */
  keep?: number;
  /** Where the file's own failures go (stderr in production: the log cannot log its own failure). */
  onError?: (message: string) => void;
}

export function createLogFile(options: LogFileOptions): RotatingLogFile {
  const dir = path.join(options.configDir, LOG_FOLDER_NAME);
  const file = path.join(dir, `${options.process}.log`);
  const maxBytes = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  const keep = options.keep ?? DEFAULT_LOG_KEEP;
  const onError = options.onError ?? ((message: string) => process.stderr.write(`${message}\n`));
  const secrets = new Set<string>();

  let pending = '';
  let dropped = 0;
  let scheduled = false;
  /** The open file and its size as far as this process knows; null until the first write. */
  let fd: number | null = null;
  let size = 0;
  let failedOnce = false;

  function open(): number {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const opened = openSync(file, 'a+', 0o600);
    size = fstatSync(opened).size;
    // A process killed mid-write can leave its last line cut short: ours start on a line of their own.
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(opened, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) size += writeSync(opened, '\n');
    }
    return opened;
  }

  function rotate(): void {
    if (fd !== null) closeSync(fd);
    fd = null;
    for (let index = keep; index >= 1; index--) {
      const from = index === 1 ? file : `${file}.${index - 1}`;
      try {
        renameSync(from, `${file}.${index}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /**
   * Writes everything logged since the last write in one append. Synchronous on purpose: it is
   * one write to the page cache per turn of the event loop (microseconds), and a line logged
   * right before the process exits is never lost in a write still in flight.
   */
  function writePending(): void {
    scheduled = false;
    if (pending === '' && dropped === 0) return;
    let chunk = pending;
    if (dropped > 0)
      chunk += `${new Date().toISOString()} WARN ${dropped} log lines dropped: the log file could not keep up\n`;
    pending = '';
    dropped = 0;
    try {
      fd ??= open();
      const bytes = Buffer.byteLength(chunk);
      if (size > 0 && size + bytes > maxBytes) {
        rotate();
        fd = open();
      }
      writeSync(fd, chunk);
      size += bytes;
    } catch (error) {
      if (fd !== null) closeSync(fd);
      fd = null;
      if (!failedOnce) onError(`Could not write the log file ${file}: ${(error as Error).message}`);
      failedOnce = true;
    }
  }

  async function readLines(name: string): Promise<string[]> {
    try {
      const text = await fsp.readFile(name, 'utf8');
      return text.split('\n').filter((line) => line !== '');
    } catch {
      return [];
    }
  }

  return {
    path: file,
    dir,
    append(entry) {
      const text = formatEntry(entry, secrets);
      if (pending.length + text.length > MAX_PENDING_CHARS) {
        dropped++;
        return;
      }
      pending += text;
      // Written once this turn of the event loop is over: a burst of lines is one write.
      if (!scheduled) {
        scheduled = true;
        setImmediate(writePending);
      }
    },
    addSecret(value) {
      if (value.length >= 4) secrets.add(value);
    },
    async flush() {
      writePending();
    },
    flushSync: writePending,
    async lastLines(count) {
      writePending();
      const lines: string[] = [];
      for (let index = 0; index <= keep && lines.length < count; index++) {
        const name = index === 0 ? file : `${file}.${index}`;
        lines.unshift(...(await readLines(name)));
      }
      return lines.slice(Math.max(0, lines.length - count));
    },
  };
}

/**
 * An entry as it is written: redacted, control characters gone, each line capped, continuation
 * lines (a stack trace) indented so every entry still starts with its timestamp.
 */
export function formatEntry(entry: string, secrets: Iterable<string> = []): string {
  const lines = redactLogText(entry, secrets)
    .replace(/\r\n?/g, '\n')
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => capLine(stripControl(line)));
  const kept = lines.slice(0, MAX_ENTRY_LINES);
  if (lines.length > kept.length) kept.push(`(${lines.length - kept.length} more lines)`);
  return `${kept.map((line, index) => (index === 0 ? line : `    ${line.trimStart()}`)).join('\n')}\n`;
}

// biome-ignore lint/complexity/useRegexLiterals: the escape character is clearer spelled out
const ESCAPE_SEQUENCE = new RegExp(
  '\\u001b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)?|.)',
  'g',
);
/** C0 (tab included: it becomes a space), DEL and C1 controls; newlines are split on before this. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function stripControl(line: string): string {
  return line.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, ' ');
}

function capLine(line: string): string {
  if (line.length <= MAX_LOG_LINE_CHARS) return line;
  let end = MAX_LOG_LINE_CHARS;
  if (/[\ud800-\udbff]/.test(line[end - 1]!)) end -= 1; // never half of a surrogate pair
  return `${line.slice(0, end)}… (${line.length - end} more characters)`;
}

/**
 * Replaces what must never be written, whoever logged it: the given secrets (as they are and
 * URL-encoded), `Authorization`/`Bearer` values, `token=`/`signin=` query values, LM Studio's
 * API tokens (`sk-lm-…`) and JSON fields named like a token.
 */
export function redactLogText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('(secret)');
  }
  return (
    out
      .replace(/\b(authorization["']?\s*[:=]\s*["']?)(?:bearer\s+|basic\s+)?[^\s"',;]+/gi, '$1(secret)')
      .replace(/\bbearer\s+[^\s"',;]+/gi, 'Bearer (secret)')
      .replace(/([?&](?:token|signin|api[_-]?key|access_token)=)[^&#\s"']+/gi, '$1(secret)')
      // No word boundary: a token glued to a word (`token_sk-lm-…`) is still one.
      .replace(/sk-lm-[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+)?/g, '(secret)')
      .replace(/("(?:api)?[Tt]oken"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"(secret)"')
  );
}
