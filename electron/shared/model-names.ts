/**
 * What may name a model where the name reaches `lms`'s command line or LM Studio's API.
 *
 * A positive rule (what is allowed) rather than a list of bad characters: path segments
 * (`../../etc/passwd`), look-alike letters (Cyrillic `а`), bidi controls and `%2F` all fail the
 * same test. The popup refuses with these messages before sending, and the core checks again
 * before spawning, so both say the same thing. No Node APIs: the renderer imports this.
 *
 * The checks split on `/`, `@` and `:` and test each part with a flat character class, so no
 * pattern here has a nested quantifier.
 */

/** A part: ASCII letters, digits, `.`, `_`, `-`; never `.` or `..` (a path), never a leading `-` (an option). */
const PART_CHARACTERS = /^[A-Za-z0-9._-]+$/;
/** Model keys and instance identifiers as LM Studio reports them: parts joined by `/`, with `@variant` or `:N`. */
const KEY_CHARACTERS = /^[A-Za-z0-9._/:@+-]+$/;

export const MAX_MODEL_NAME_LENGTH = 200;
export const MAX_URL_LENGTH = 2048;
/** The only host `lms get` takes URLs from; https only, no port, no user info. */
export const HUGGING_FACE_URL_PREFIX = 'https://huggingface.co/';

export const DOWNLOAD_HINT =
  'Enter a catalog key such as qwen/qwen3-4b (optionally with @quantization), or a https://huggingface.co/owner/repo URL.';
export const MODEL_KEY_HINT = 'A model key is letters, digits and . _ - / : @ + only, such as qwen/qwen3-4b.';
export const IDENTIFIER_HINT = 'A model identifier is letters, digits and . _ - / : @ + only, such as qwen/qwen3-4b:2.';

function isPart(part: string): boolean {
  return PART_CHARACTERS.test(part) && !part.startsWith('-') && part !== '.' && part !== '..';
}

/** `[owner/]name[@variant]`, e.g. `qwen/qwen3-4b@q4_k_m`. */
export function isDownloadName(value: string): boolean {
  if (value.length > MAX_MODEL_NAME_LENGTH) return false;
  const [name = '', variant, ...more] = value.split('@');
  if (more.length > 0 || (variant !== undefined && !isPart(variant))) return false;
  const parts = name.split('/');
  return parts.length <= 2 && parts.every(isPart);
}

/** `https://huggingface.co/owner/repo[/more/parts][/]`, each part following the same rule. */
export function isHuggingFaceUrl(value: string): boolean {
  if (value.length > MAX_URL_LENGTH || !value.startsWith(HUGGING_FACE_URL_PREFIX)) return false;
  const parts = value.slice(HUGGING_FACE_URL_PREFIX.length).split('/');
  if (parts.length > 2 && parts.at(-1) === '') parts.pop(); // a trailing slash, as pasted from a browser
  return parts.length >= 2 && parts.every(isPart);
}

/**
 * A model key as LM Studio lists it (`qwen/qwen3-4b`, `owner/repo/file.gguf` on 0.3, `key@q4_k_m`)
 * or a loaded instance's identifier (`gemma-3-1b-it-qat:2`): the wider alphabet LM Studio uses,
 * but never a URL, a path segment (`.`, `..`, empty) or a leading `-`.
 */
export function isModelKey(value: string): boolean {
  if (value.length > MAX_MODEL_NAME_LENGTH || !KEY_CHARACTERS.test(value) || value.startsWith('-')) return false;
  if (value.includes(':/')) return false; // `file:///x` fits the alphabet; no key contains `:/`
  return value.split(/[/@:]/).every((part) => part !== '' && part !== '.' && part !== '..');
}

function codePoint(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `value` is not a name, in words, naming it `what`; a generic sentence when nothing in particular stands out. */
function describeProblem(value: string, what: string, allowed: RegExp): string {
  if (value.length === 0) return `The ${what} is empty.`;
  if (value.startsWith('-')) return `The ${what} must not start with "-" (it would be read as an option).`;
  if (value.includes('\0')) return `The ${what} contains a NUL character.`;
  if (/[\u0000-\u001f\u007f]/.test(value)) return `The ${what} contains a control character such as a line break.`;
  if (/\s/.test(value)) return `The ${what} must not contain spaces.`;
  const foreign = /[^\u0020-\u007e]/u.exec(value)?.[0];
  if (foreign !== undefined) {
    return `The ${what} contains ${codePoint(foreign)}, which is not a plain ASCII letter or digit (look-alike letters and invisible marks are refused).`;
  }
  const odd = [...value].find((character) => !allowed.test(character));
  if (odd !== undefined) return `The ${what} contains "${odd}", which is not allowed.`;
  if (value.length > MAX_MODEL_NAME_LENGTH) return `The ${what} is longer than ${MAX_MODEL_NAME_LENGTH} characters.`;
  const parts = value.split(/[/@:]/);
  if (parts.some((part) => part === '.' || part === '..')) {
    return `The ${what} must not contain "." or ".." between slashes (that is a path, not a model).`;
  }
  if (parts.includes('')) return `The ${what} has an empty part (nothing around a "/", "@" or ":").`;
  // Only download names forbid this (keys LM Studio lists may have such parts, so never get here).
  if (parts.some((part) => part.startsWith('-'))) return `No part of the ${what} may start with "-".`;
  return `The ${what} is not in a form LM Studio accepts.`;
}

const DOWNLOAD_CHARACTER = /[A-Za-z0-9._/@:-]/;
const KEY_CHARACTER = /[A-Za-z0-9._/:@+-]/;

/** Null when `value` may be given to `lms get`, else the message the user sees (popup and core alike). */
export function downloadTargetProblem(value: string): string | null {
  if (isDownloadName(value) || isHuggingFaceUrl(value)) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && value.includes(':/')) {
    // A URL that is not Hugging Face's over https: lms would fetch whatever it names.
    if (value.length > MAX_URL_LENGTH)
      return `The address is longer than ${MAX_URL_LENGTH} characters. ${DOWNLOAD_HINT}`;
    if (!value.startsWith(HUGGING_FACE_URL_PREFIX)) {
      // Spaces or control characters are worth naming too (a pasted command line, a second line).
      const reason = /[\s\u0000-\u001f\u007f]/.test(value)
        ? `${describeProblem(value, 'address', KEY_CHARACTER)} `
        : '';
      return `${reason}Only https://huggingface.co addresses can be downloaded. ${DOWNLOAD_HINT}`;
    }
    const path = value.slice(HUGGING_FACE_URL_PREFIX.length);
    if (path.split('/').filter(Boolean).length < 2) {
      return `A Hugging Face address names the owner and the repository, such as https://huggingface.co/Qwen/Qwen3-4B-GGUF. ${DOWNLOAD_HINT}`;
    }
    return `${describeProblem(path, 'address', DOWNLOAD_CHARACTER)} ${DOWNLOAD_HINT}`;
  }
  if (value.split('/').length > 2 || value.split('@').length > 2) {
    return `A model to download is owner/name or name, with at most one @variant. ${DOWNLOAD_HINT}`;
  }
  return `${describeProblem(value, 'model to download', /[A-Za-z0-9._/@-]/)} ${DOWNLOAD_HINT}`;
}

function keyProblem(value: string, what: string, hint: string): string | null {
  if (isModelKey(value)) return null;
  if (value.includes(':/')) return `The ${what} must be a key, not an address. ${hint}`;
  return `${describeProblem(value, what, KEY_CHARACTER)} ${hint}`;
}

/** Null when `value` is a model key `lms load` and the API may be given, else the message. */
export function modelKeyProblem(value: string): string | null {
  return keyProblem(value, 'model key', MODEL_KEY_HINT);
}

/** Null when `value` is a loaded instance's identifier (for unload), else the message. */
export function identifierProblem(value: string): string | null {
  return keyProblem(value, 'model identifier', IDENTIFIER_HINT);
}

const DOWNLOAD_TARGET_EMPTY = 'Type a model to download, such as qwen/qwen3-4b, or a Hugging Face URL.';

/**
 * What the user typed in "Model to download", checked as the core will check it: the trimmed
 * target, or the message to show (the popup's form and the core's schema both use this).
 */
export function checkDownloadTarget(text: string): { ok: true; value: string } | { ok: false; message: string } {
  const target = text.trim();
  if (target === '') return { ok: false, message: DOWNLOAD_TARGET_EMPTY };
  const problem = downloadTargetProblem(target);
  return problem === null ? { ok: true, value: target } : { ok: false, message: problem };
}
