/**
 * Guards for every value that reaches `lms`'s command line.
 *
 * Values are passed as argument arrays (never through a shell), so shell syntax cannot run; the
 * guards still refuse anything outside the positive rules of `shared/model-names.ts`, because
 * such a value is never a real model and would reach lms's own parsing (commander treats a
 * leading `-` as an option), its fuzzy matcher, or (for `lms get`) a download. The popup applies
 * the same rules first, with the same messages.
 */
import {
  DOWNLOAD_HINT,
  downloadTargetProblem,
  IDENTIFIER_HINT,
  identifierProblem,
  MODEL_KEY_HINT,
  modelKeyProblem,
} from '../../../shared/model-names';
import { CoreError } from '../../errors';

function guard(value: unknown, what: string, hint: string, problem: (value: string) => string | null): void {
  if (typeof value !== 'string') throw new CoreError('invalid-input', `The ${what} must be text. ${hint}`);
  const message = problem(value);
  if (message !== null) throw new CoreError('invalid-input', message);
}

/** Throws `invalid-input` unless `value` is a model key such as `qwen/qwen3-4b`. */
export function assertSafeModelKey(value: unknown): asserts value is string {
  guard(value, 'model key', MODEL_KEY_HINT, modelKeyProblem);
}

/** Throws `invalid-input` unless `value` is a loaded model's identifier, e.g. `qwen/qwen3-4b` or `gemma-3-1b-it-qat:2`. */
export function assertSafeIdentifier(value: unknown): asserts value is string {
  guard(value, 'model identifier', IDENTIFIER_HINT, identifierProblem);
}

/**
 * Throws `invalid-input` unless `value` is something `lms get` may be given: `[owner/]name[@variant]`
 * (`qwen/qwen3-4b`, `qwen/qwen3-4b@q4_k_m`) or a `https://huggingface.co/owner/repo[/...]` URL.
 * Any other URL (http, file, another host) is refused: lms would fetch whatever it names.
 */
export function assertSafeDownloadTarget(value: unknown): asserts value is string {
  guard(value, 'model to download', DOWNLOAD_HINT, downloadTargetProblem);
}
