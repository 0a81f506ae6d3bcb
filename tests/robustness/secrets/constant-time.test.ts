/**
 * Secrets are compared in constant time: every comparison of a token, cookie or secret in the
 * app's code is either `secretsEqual` (SHA-256 of both sides, then `timingSafeEqual`) or a check
 * for absence (`null`, `undefined`, `''`), or one of the few listed below with the reason it
 * leaks nothing. A new `token === given` fails here and has to be written with `secretsEqual`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCredential, sessionCookieName, sessionCookieValue } from '../../../electron/web/auth';
import { filesUnder } from './scan';

const SOURCE_ROOT = path.resolve('electron');

/** `path:line text` of comparisons that involve a secret but reveal nothing about it. */
const HARMLESS = new Map<string, string>([
  // Settings before and after a save, both the app's own values: nothing an attacker times.
  ['core/app.ts: previous.apiToken !== next.apiToken', 'change detection between two saved values'],
  ['web/auth.ts: cookies.length === 0', 'counts cookies, compares no secret'],
  ["core/settings/store.ts: field === 'apiToken'", 'compares a field name, not its value'],
]);

const NAMES_A_SECRET = /[tT]oken|[cC]ookie|[sS]ecret/;
const COMPARISON = /([\w.]+(?:\(\))?)\s*([!=]==?)\s*([\w.'"`]+(?:\(\))?)/g;
const ABSENCE = new Set(['null', 'undefined', "''", '""', '``']);

function comparisonsOfSecrets(): string[] {
  const found: string[] = [];
  for (const file of filesUnder([SOURCE_ROOT], (f) => !/\.(ts|mts|mjs)$/.test(f) || f.endsWith('.d.ts'))) {
    const relative = path.relative(SOURCE_ROOT, file);
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      for (const [, left = '', operator, right = ''] of line.matchAll(COMPARISON)) {
        if (!NAMES_A_SECRET.test(left) && !NAMES_A_SECRET.test(right)) continue;
        if (ABSENCE.has(left) || ABSENCE.has(right)) continue;
        found.push(`${relative}: ${left} ${operator} ${right}`);
      }
    }
  }
  return found;
}

describe('comparing secrets', () => {
  it('happens only through secretsEqual, bar the listed harmless comparisons', () => {
    const comparisons = comparisonsOfSecrets();
    expect(comparisons.filter((comparison) => !HARMLESS.has(comparison))).toEqual([]);
    // The list stays true: an entry whose code is gone goes too.
    expect([...HARMLESS.keys()].filter((entry) => !comparisons.includes(entry))).toEqual([]);
  });

  it('checks every cookie a request carries, not stopping at the first match', () => {
    const session = { token: 'the-real-token-0123456789', port: 4321 };
    const name = sessionCookieName(session.port);
    const good = `${name}=${sessionCookieValue(session.token, session.port)}`;
    const bad = `${name}=forged`;
    expect(checkCredential(null, `${good}; ${bad}`, session)).toEqual({ kind: 'cookie', valid: true });
    expect(checkCredential(null, `${bad}; ${good}`, session)).toEqual({ kind: 'cookie', valid: true });
    expect(checkCredential(null, `${bad}; ${bad}`, session)).toEqual({ kind: 'cookie', valid: false });
  });
});
