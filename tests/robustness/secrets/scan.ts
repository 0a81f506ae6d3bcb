/**
 * Finds secrets where they must not be: in a run's console output and in every file it left.
 * The one place a secret may appear is web mode's `Open http://…/?token=…` line on the console
 * (the user needs it to open the page); a copy anywhere else, that line in a file included, is a
 * leak. A leak is reported by the secret's label and where it was, never by its value, so the
 * report cannot leak it again.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CANARIES_MODULE_MARKER } from './canaries';

export interface Secret {
  label: string;
  value: string;
}

export interface Leak {
  /** Which secret (its label, not its value). */
  label: string;
  /** `file` or `file:line`. */
  place: string;
}

/** The one line web mode prints with its token, exactly as cli.ts writes it. */
const OPEN_LINE = /^Open https?:\/\/\S+\/\?token=(\S+)$/;
/** An Open line anywhere in a line (quoted in a test's failure output, say): for finding tokens only. */
const OPEN_LINE_ANYWHERE = /Open https?:\/\/\S+\/\?token=([^\s"'`\\]+)/g;
// biome-ignore lint/complexity/useRegexLiterals: the escape character is clearer spelled out
const ANSI_ESCAPES = new RegExp('\\u001b\\[[0-9;]*[A-Za-z]', 'g');

/** How a secret may be written: as is, and URL-encoded (as in the Open line). */
function formsOf(value: string): string[] {
  return [...new Set([value, encodeURIComponent(value)])];
}

/** The tokens of every Open line in the text, decoded. */
export function webTokensInOpenLines(text: string): string[] {
  const tokens = new Set<string>();
  for (const match of stripAnsi(text).matchAll(OPEN_LINE_ANYWHERE)) {
    const encoded = match[1] ?? '';
    try {
      tokens.add(decodeURIComponent(encoded));
    } catch {
      tokens.add(encoded);
    }
  }
  return [...tokens];
}

/** Leaks in console output: every line but an exact Open line counts. */
export function findLeaksInOutput(text: string, secrets: readonly Secret[], place: string): Leak[] {
  const present = secrets.filter((secret) => formsOf(secret.value).some((form) => text.includes(form)));
  if (present.length === 0) return [];
  const leaks: Leak[] = [];
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = stripAnsi(rawLine).replace(/\r$/, '');
    if (OPEN_LINE.test(line)) continue;
    for (const secret of present) {
      if (formsOf(secret.value).some((form) => line.includes(form))) {
        leaks.push({ label: secret.label, place: `${place}:${index + 1}` });
      }
    }
  }
  return leaks;
}

/**
 * Leaks in a file's bytes, whatever the file is (an Open line copied into a file is a leak too).
 * Two kinds of file are not leaks:
 * - a copy of canaries.ts itself (a test runner's cache of compiled test sources);
 * - the `apiToken` field of settings.json (or of the temporary file it is saved through): where
 *   no keychain exists (web mode, Linux without a keyring) the token the user typed is kept
 *   there, as README says. Every other field, and every other file, is scanned.
 */
export function findLeaksInBytes(bytes: Buffer, secrets: readonly Secret[], place: string): Leak[] {
  if (bytes.includes(CANARIES_MODULE_MARKER, 0, 'utf8')) return [];
  const scanned = isSettingsFile(place) ? withoutStoredToken(bytes) : bytes;
  return secrets
    .filter((secret) => formsOf(secret.value).some((form) => scanned.includes(form, 0, 'utf8')))
    .map((secret) => ({ label: secret.label, place }));
}

/** settings.json, or the temporary file the atomic save writes first (`.settings.json.<pid>.<random>.tmp`). */
function isSettingsFile(file: string): boolean {
  return /^\.?settings\.json(\.[\w.]+\.tmp)?$/.test(path.basename(file));
}

/** The file without its `apiToken` string; as it is when it is not a JSON object. */
function withoutStoredToken(bytes: Buffer): Buffer {
  try {
    const settings = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return bytes;
    const { apiToken, ...rest } = settings as Record<string, unknown>;
    return typeof apiToken === 'string' ? Buffer.from(JSON.stringify(rest)) : bytes;
  } catch {
    return bytes;
  }
}

/**
 * Every file under the roots (symbolic links are not followed), minus those `skip` names;
 * missing roots are fine (a run that failed early wrote fewer places).
 */
export function filesUnder(roots: readonly string[], skip: (file: string) => boolean = () => false): string[] {
  const files: string[] = [];
  const visit = (entry: string) => {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(entry);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(entry).sort()) visit(path.join(entry, name));
    } else if (stat.isFile() && !skip(entry)) {
      files.push(entry);
    }
  };
  for (const root of roots) visit(root);
  return files;
}

/** Leaks in the files; a file that vanished since it was listed is skipped. */
export function findLeaksInFiles(files: readonly string[], secrets: readonly Secret[]): Leak[] {
  const leaks: Leak[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    leaks.push(...findLeaksInBytes(bytes, secrets, file));
  }
  return leaks;
}

function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPES, '');
}
