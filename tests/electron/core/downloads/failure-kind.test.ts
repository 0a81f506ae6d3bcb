import { describe, expect, it } from 'vitest';
import { classifyDownloadFailure, type FailedAttempt } from '../../../../electron/core/downloads/failure-kind';
import type { DownloadFailureKind } from '../../../../electron/shared/contract';

/**
 * Messages as they reach a failed row: lms's `Error:` line without its prefix (the runner strips
 * it), the runner's own words, the client's words for REST answers. Sources: lmstudio-protocol.md
 * §3 `lms get` / auto-start, lmstudio-protocol-2.md (ENOSPC), the simulator's `lms get`.
 */
const TABLE: Array<[string, FailedAttempt, DownloadFailureKind]> = [
  // lms get @quant with --yes: `Error: Cannot find variant X.`, exit 1.
  ['a missing variant', { message: 'Cannot find variant q9_x.', exitCode: 1 }, 'no-variant'],
  ['a missing variant, lower case', { message: 'cannot find variant Q4_K_M.', exitCode: 1 }, 'no-variant'],
  // "Model not found" blocks and the search path's refusal.
  ['a Model not found block', { message: 'Model not found', exitCode: 1 }, 'not-found'],
  ['a quoted model not found', { message: 'Model "qwen/nope" not found.', exitCode: 1 }, 'not-found'],
  ['no staff pick', { message: 'No models found with the specified search criteria.', exitCode: 1 }, 'not-found'],
  [
    'an unknown Hub artifact',
    {
      message: 'Failed to resolve the download plan: the model "acme/nope" was not found in the LM Studio Hub.',
      exitCode: 1,
    },
    'not-found',
  ],
  [
    'REST: the client on model_not_found',
    { message: 'LM Studio found no model called openai/nope to download.' },
    'not-found',
  ],
  // ENOSPC (lmstudio-bug-tracker#232, quoted in lmstudio-protocol-2.md).
  [
    'ENOSPC',
    { message: 'Uncaught Exception: Error: ENOSPC: no space left on device, write', exitCode: 1 },
    'not-enough-disk',
  ],
  ['ENOSPC in words', { message: 'no space left on device', exitCode: 1 }, 'not-enough-disk'],
  // LM Studio went away under lms get, or could not be woken.
  ['LM Studio quit', { message: 'LM Studio quit while the download was running.', exitCode: 1 }, 'interrupted'],
  [
    'LM Studio crashed',
    { message: 'LM Studio stopped unexpectedly while the download was running.', exitCode: 1 },
    'interrupted',
  ],
  ['the job vanished', { message: 'The download disappeared from LM Studio.', exitCode: 1 }, 'interrupted'],
  ['the WebSocket closed', { message: 'WebSocket connection closed', exitCode: 1 }, 'interrupted'],
  [
    'waking found no installation',
    { message: 'LM Studio daemon is not running and no valid installation could be found or installed.', exitCode: 1 },
    'interrupted',
  ],
  [
    'waking failed',
    { message: 'Failed to start or connect to local LM Studio API server.', exitCode: 1 },
    'interrupted',
  ],
  ['killed by a signal', { message: 'lms get was stopped by SIGKILL.', exitCode: null }, 'interrupted'],
  ['an exit without a word', { message: 'lms get exited with code 1.', exitCode: 1 }, 'interrupted'],
  [
    'the manager: an exit without a word',
    {
      message: 'lms get stopped with exit code 137 without saying why. Try again, or download it in LM Studio.',
      exitCode: 137,
    },
    'interrupted',
  ],
  // Network errors, in Node's and LM Studio's words.
  [
    'the connection to the repository was lost',
    { message: 'Failed to download: (simulated) the connection to the model repository was lost.', exitCode: 1 },
    'network',
  ],
  ['ECONNRESET', { message: 'read ECONNRESET', exitCode: 1 }, 'network'],
  ['ETIMEDOUT', { message: 'connect ETIMEDOUT 18.164.174.42:443', exitCode: 1 }, 'network'],
  ['DNS', { message: 'getaddrinfo ENOTFOUND huggingface.co', exitCode: 1 }, 'network'],
  ['fetch failed', { message: 'fetch failed', exitCode: 1 }, 'network'],
  ['socket hang up', { message: 'socket hang up', exitCode: 1 }, 'network'],
  // REST: the job's status, and a job LM Studio no longer knows.
  [
    'REST job failed',
    { message: 'LM Studio reports that the download of qwen/qwen3-4b failed.', job: 'failed' },
    'lm-studio',
  ],
  [
    'REST job lost',
    {
      message:
        'LM Studio no longer knows the download of qwen/qwen3-4b (it may have restarted). Retry to start it again.',
      job: 'lost',
    },
    'interrupted',
  ],
  [
    'REST: the connection dropped',
    {
      message:
        'The connection to LM Studio dropped before it answered (it may have stopped or restarted). Try again once it is back.',
    },
    'interrupted',
  ],
  // Words we do not know: retried a few times only.
  ['an unknown error', { message: 'Something odd happened in the downloader.', exitCode: 1 }, 'unknown'],
  ['an empty message', { message: '', exitCode: 1 }, 'unknown'],
  [
    'lms could not run',
    { message: "Could not run LM Studio's `lms` at /x/lms (EACCES). Check the path in Settings.", exitCode: null },
    'unknown',
  ],
];

describe('classifyDownloadFailure', () => {
  it.each(TABLE)('%s', (_name, attempt, kind) => {
    expect(classifyDownloadFailure(attempt)).toBe(kind);
  });

  it('reads the words before the REST status: a failed job that says ENOSPC is a disk failure', () => {
    expect(classifyDownloadFailure({ message: 'ENOSPC: no space left on device', job: 'failed' })).toBe(
      'not-enough-disk',
    );
  });
});
