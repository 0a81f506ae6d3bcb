/**
 * Why a download attempt failed, as the supervisor acts on it: a pure reading of what the attempt
 * left behind (lms's words and exit code, or what LM Studio's REST API said about the job).
 *
 * The words come from lmstudio-protocol.md §3 (`lms get`: `Error: Cannot find variant X.`, the
 * waking failures, SIGINT), -2 §4 (ENOSPC when the disk fills) and the client's own messages for
 * REST answers. Anything not recognised is `unknown`, which the supervisor retries a few times only:
 * guessing `network` for it would retry a permanent failure for an hour.
 */
import type { DownloadFailureKind } from '../../shared/contract';

export interface FailedAttempt {
  /** The row's message: lms's `Error:` line, the runner's or the client's words. */
  message: string;
  /** `lms get`'s exit code (null: it never ran, or a signal ended it); absent for REST. */
  exitCode?: number | null;
  /** LM Studio's REST API reported the job `failed`, or no longer knew its id (`lost`). */
  job?: 'failed' | 'lost';
}

/** In order: the first match wins (a missing variant may mention "not found" too). */
const WORDS: ReadonlyArray<[DownloadFailureKind, RegExp]> = [
  // ENOSPC, in Node's words and LM Studio's (lmstudio-bug-tracker#232).
  ['not-enough-disk', /\bENOSPC\b|no space left on device|not enough (?:free )?disk space|disk (?:is )?full/i],
  // `Error: Cannot find variant X.` (lms get with `--yes` and a missing `@quant`).
  ['no-variant', /\bcannot find variant\b|\bno such variant\b|\bvariant [^ ]+ (?:was )?not found\b/i],
  [
    'not-found',
    // lms: "Model not found" blocks, the search path's "No models found ...", the Hub's plan
    // failure; the client: `LM Studio found no model called X to download.`, v1 `model_not_found`.
    /\bmodel(?: "[^"]*")? not found\b|\bno models? found\b|\bfound no model called\b|\bmodel_not_found\b|\bwas not found in the LM Studio Hub\b|\b404\b.*\bhugging ?face\b/i,
  ],
  [
    'interrupted',
    // LM Studio went away under lms (quit, crash, its WebSocket closed), waking it failed, or
    // the client's connection to it dropped.
    /\bLM Studio (?:quit|stopped|closed|exited|crashed)\b|\bWebSocket connection closed\b|\bdisappeared from LM Studio\b|\bdaemon is not running\b|Failed to start or connect to local LM Studio|\bconnection to LM Studio dropped\b|\bLM Studio is not responding\b|\bdoes not appear to be running\b|\blms get was stopped by SIG[A-Z]+\b/i,
  ],
  [
    'network',
    /\b(?:ECONNRESET|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ECONNABORTED|EPIPE)\b|\bsocket hang up\b|\bfetch failed\b|\bnetwork (?:error|is unreachable)\b|\bconnection (?:to [^.]* )?(?:was )?(?:lost|reset|refused|timed out)\b|\btimed out\b|\bgetaddrinfo\b/i,
  ],
];

/** The message the lms runner gives an `lms get` that exited non-zero without an `Error:` line. */
const EXITED_WITHOUT_WORDS =
  /^lms get (?:exited with code -?\d+|stopped(?: with exit code -?\d+)? without saying why)/i;

/** What kind of failure `attempt` was. */
export function classifyDownloadFailure(attempt: FailedAttempt): DownloadFailureKind {
  const message = attempt.message.trim();
  for (const [kind, pattern] of WORDS) if (pattern.test(message)) return kind;
  if (attempt.job) return attempt.job === 'lost' ? 'interrupted' : 'lm-studio';
  // lms prints `Error: ...` for everything it knows about; an exit without a word is a crash or
  // a kill (an uncaught exception prints its stack, whose `Error:` line was read above).
  if (EXITED_WITHOUT_WORDS.test(message)) return 'interrupted';
  return 'unknown';
}
