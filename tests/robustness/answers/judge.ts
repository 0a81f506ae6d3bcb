/**
 * Running one bad answer against the client and judging what came of it: the outcome the case
 * expects, a result the contract accepts, and a message that is true and fit for the popup.
 */
import { CoreError } from '../../../electron/core/errors';
import type { GreetingResult, LmStudioClient } from '../../../electron/core/interfaces';
import type { BadCase } from './cases';

export type Outcome =
  | { kind: 'value'; value: unknown }
  | { kind: 'failure'; code: string; message: string }
  /** Threw something other than a CoreError (or the greeting threw at all). */
  | { kind: 'crash'; error: unknown }
  /** Did not settle long after the client's own timeout. */
  | { kind: 'hang' };

/** Calls the route; never rejects. */
export async function outcomeOf(
  badCase: BadCase,
  client: LmStudioClient,
  timeoutMs: number,
  hangAfterMs: number,
): Promise<Outcome> {
  let guard: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((resolve) => {
    guard = setTimeout(() => resolve({ kind: 'hang' }), hangAfterMs);
  });
  const call = badCase.route.call(client, timeoutMs).then(
    (value): Outcome => {
      if (badCase.route.kind !== 'greeting') return { kind: 'value', value };
      const greeting = value as GreetingResult;
      if (greeting.kind === 'lmstudio') return { kind: 'value', value };
      return { kind: 'failure', code: greeting.kind, message: 'message' in greeting ? greeting.message : '' };
    },
    (error: unknown): Outcome =>
      error instanceof CoreError && badCase.route.kind === 'api'
        ? { kind: 'failure', code: error.code, message: error.message }
        : { kind: 'crash', error },
  );
  try {
    return await Promise.race([call, hang]);
  } finally {
    clearTimeout(guard);
  }
}

/** What is wrong with the outcome of `badCase`; empty when it is as it should be. */
export function judge(badCase: BadCase, outcome: Outcome, secrets: readonly string[]): string[] {
  const { expected } = badCase;
  switch (outcome.kind) {
    case 'crash':
      return [`crashed: ${outcome.error instanceof Error ? outcome.error.stack : String(outcome.error)}`];
    case 'hang':
      return ['did not settle'];
    case 'value':
      if (expected.outcome === 'fails') return [`succeeded, but should have failed with ${String(expected.code)}`];
      return badCase.route.check(outcome.value);
    case 'failure': {
      const problems = messageProblems(outcome.message, secrets);
      if (expected.outcome === 'succeeds')
        problems.push(`failed (${outcome.code}: ${outcome.message}), but should have succeeded`);
      if (expected.outcome === 'fails') {
        const codes = typeof expected.code === 'string' ? [expected.code] : expected.code;
        if (!codes.includes(outcome.code)) problems.push(`code ${outcome.code}, expected ${codes.join(' or ')}`);
        if (expected.message && !expected.message.test(outcome.message)) {
          problems.push(`message "${outcome.message}" does not match ${expected.message}`);
        }
      }
      return problems;
    }
  }
}

/** GreetingResults without words: the monitor words them itself. */
const WORDLESS = new Set(['', 'timeout', 'refused']);

/**
 * A message fit to show: one line of words, with no stack, no raw page, no stray object, no
 * control characters (which could disguise it), no secret, and of a length a popup can hold.
 */
export function messageProblems(message: string, secrets: readonly string[]): string[] {
  if (WORDLESS.has(message)) return [];
  const problems: string[] = [];
  const found = (what: string) => problems.push(`message has ${what}: "${message.slice(0, 200)}"`);
  if (message.trim() === '') found('no words');
  if (/\[object \w+\]|\bundefined\b|\bNaN\b/.test(message)) found('a value, not words');
  if (/\n|\r/.test(message)) found('more than one line');
  if (/\bat .+:\d+:\d+\)?/.test(message)) found('a stack');
  if (/<\s*(!doctype|html|head|body|pre|div)\b/i.test(message)) found('HTML');
  if (/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(message)) found('control characters');
  if (message.length > 600) found(`${message.length} characters`);
  for (const secret of secrets) if (message.includes(secret)) found('a secret');
  return problems;
}
