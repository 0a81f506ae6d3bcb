/**
 * Secrets the tests hand to LM Studio Tray, made distinctive so that a scan of everything a test
 * run printed and wrote (scripts/test.ts) finds any copy of them: a leak is a canary where it
 * should never be. A test that gives the app an API token or a web-mode token uses one of these.
 *
 * The prompt canary is scanned for the same way: prompt text must be nowhere.
 *
 * Web-mode tokens made at random during the run are noted in the run's ledger by whoever reads
 * them from the `Open …?token=` line (`noteSecret`), so the scan looks for them too.
 */
import { appendFileSync } from 'node:fs';

/** LM Studio's API token (`sk-lm-…:…`), as in settings, `LM_API_TOKEN` or the simulator. */
export const CANARY_API_TOKEN = 'sk-lm-CaNaRy7a:ApiTokenMustNeverBeLogged4d91';
/** A second API token: the one a test types into the page when the first is refused. */
export const CANARY_API_TOKEN_TYPED = 'sk-lm-CaNaRy7b:TypedTokenMustNeverBeLogged2e6f';
/** Web mode's access token given with `--token` or `LMSTUDIO_TRAY_TOKEN`. */
export const CANARY_WEB_TOKEN = 'canary-web-token-OnlyInTheOpenLine-5c1d8e';

/**
 * A prompt: the tests that drive inference (a chat request through the simulator) send it, and
 * `lms log stream` then carries it whole. Prompt and answer text is never kept, logged or sent
 * to the page (issue 10): a copy anywhere the scan looks is a leak like a token's. Plain ASCII
 * without quotes, so it reads the same in JSON, in a URL and on the console.
 */
export const CANARY_PROMPT = 'Canary prompt 9f2c: describe the quokka lighthouse of Vellmoor Bay, never to be logged';

/** The tokens alone (the log file's redaction is asked to remove these). */
export const CANARY_TOKENS: ReadonlyArray<{ label: string; value: string }> = [
  { label: 'the API token canary', value: CANARY_API_TOKEN },
  { label: 'the typed API token canary', value: CANARY_API_TOKEN_TYPED },
  { label: 'the web token canary', value: CANARY_WEB_TOKEN },
];

export const CANARIES: ReadonlyArray<{ label: string; value: string }> = [
  ...CANARY_TOKENS,
  { label: 'the prompt canary', value: CANARY_PROMPT },
];

/**
 * Found in any copy of this module (a test runner's cache of compiled sources holds one): such a
 * copy holds the canaries by design and is not a leak.
 */
export const CANARIES_MODULE_MARKER = 'lmstudio-tray: the canaries module';

/** Names the file where a test run collects the web tokens made at random (set by scripts/test.ts). */
export const SECRET_LEDGER_VARIABLE = 'LMSTRAY_SECRET_LEDGER';

/** Adds a secret made during the run to the ledger, when the run keeps one (`npm test` does). */
export function noteSecret(value: string): void {
  const ledger = process.env[SECRET_LEDGER_VARIABLE];
  if (ledger) appendFileSync(ledger, `${value}\n`);
}
