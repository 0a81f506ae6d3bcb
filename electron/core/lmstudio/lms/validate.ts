/**
 * Guards for every value that reaches `lms`'s command line.
 *
 * Values are passed as argument arrays (never through a shell), so shell syntax cannot run; the
 * guards still refuse it, because such a value is never a real model key and would reach lms's
 * own parsing (commander treats a leading `-` as an option) and its fuzzy matcher.
 */
import { HF_URL_PATTERN, MODEL_KEY_PATTERN } from '../../../shared/contract';
import { CoreError } from '../../errors';

const MAX_URL_LENGTH = 2048;

/** Why a value is unsafe, in words; null when nothing in particular is wrong. */
function describeProblem(value: string, what: string): string | null {
  if (value.length === 0) return `The ${what} is empty.`;
  if (value.startsWith('-')) return `The ${what} must not start with "-" (it would be read as an option).`;
  if (value.includes('\0')) return `The ${what} contains a NUL character.`;
  if (/[\u0000-\u001f\u007f]/.test(value)) return `The ${what} contains a control character such as a line break.`;
  if (/\s/.test(value)) return `The ${what} must not contain spaces.`;
  if (/[;&|`$<>(){}[\]\\'"*?!#~%^=,]/.test(value)) return `The ${what} contains characters that are not allowed.`;
  return null;
}

function refuse(value: string, what: string, fallback: string): never {
  const problem = describeProblem(value, what);
  throw new CoreError('invalid-input', problem ? `${problem} ${fallback}` : fallback);
}

const KEY_HINT = 'A model key is letters, digits and . _ - / : @ + only, such as qwen/qwen3-4b.';

/** Model keys never contain `:/`; URLs do (and `file:///x` fits the model-key alphabet). */
function looksLikeUrl(value: string): boolean {
  return value.includes(':/');
}

function isPlainKey(value: string): boolean {
  return MODEL_KEY_PATTERN.test(value) && !looksLikeUrl(value);
}

/** Throws `invalid-input` unless `value` is a model key such as `qwen/qwen3-4b` (see `MODEL_KEY_PATTERN`). */
export function assertSafeModelKey(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new CoreError('invalid-input', `The model key must be text. ${KEY_HINT}`);
  if (!isPlainKey(value)) refuse(value, 'model key', KEY_HINT);
}

/** Throws `invalid-input` unless `value` is a loaded model's identifier, e.g. `qwen/qwen3-4b` or `gemma-3-1b-it-qat:2`. */
export function assertSafeIdentifier(value: unknown): asserts value is string {
  const hint = 'A model identifier is letters, digits and . _ - / : @ + only, such as qwen/qwen3-4b:2.';
  if (typeof value !== 'string') throw new CoreError('invalid-input', `The model identifier must be text. ${hint}`);
  if (!isPlainKey(value)) refuse(value, 'model identifier', hint);
}

/**
 * Throws `invalid-input` unless `value` is something `lms get` may be given: a catalog key
 * (`qwen/qwen3-4b`, `qwen/qwen3-4b@q4_k_m`) or a `https://huggingface.co/owner/repo[/...]` URL.
 * Any other URL (http, file, another host) is refused: lms would fetch whatever it names.
 */
export function assertSafeDownloadTarget(value: unknown): asserts value is string {
  const hint =
    'Enter a catalog key such as qwen/qwen3-4b (optionally with @quantization), or a https://huggingface.co/owner/repo URL.';
  if (typeof value !== 'string') throw new CoreError('invalid-input', `The model to download must be text. ${hint}`);
  if (looksLikeUrl(value)) {
    // Only Hugging Face over https.
    if (value.length <= MAX_URL_LENGTH && HF_URL_PATTERN.test(value)) return;
    const problem = describeProblem(value, 'address');
    throw new CoreError(
      'invalid-input',
      problem ? `${problem} ${hint}` : `Only https://huggingface.co addresses can be downloaded. ${hint}`,
    );
  }
  if (!isPlainKey(value)) refuse(value, 'model to download', hint);
}
