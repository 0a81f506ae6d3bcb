/**
 * `npm test`: typecheck, lint, unit tests and browser journeys, in that order and stopping at the
 * first failure (as `a && b && …` did), then a scan of everything the run printed and wrote for
 * secrets (issue 8 §5). Exits with the failing step's code, 1 on a leak, else 0.
 *
 * How the scan sees everything:
 * - every step's output goes to the console and, as is, to the run's log;
 * - TMPDIR points at a folder of this run (children inherit it: vitest's workers, Playwright,
 *   web mode, the simulator), so every temporary file a test writes lands there: each is read
 *   as it is written (tests remove their folders when they end), and what is left at the end is
 *   read again, with test-results/ and playwright-report/;
 * - the secrets are the tests' canaries (tests/robustness/secrets/canaries.ts) plus every web
 *   token made at random during the run, from the ledger tests write them to and from the Open
 *   lines in the output.
 * The one place a secret may be is web mode's `Open …?token=` line on the console.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from '../tests/robustness/global-setup';
import { CANARIES, SECRET_LEDGER_VARIABLE } from '../tests/robustness/secrets/canaries';
import {
  filesUnder,
  findLeaksInFiles,
  findLeaksInOutput,
  type Leak,
  type Secret,
  webTokensInOpenLines,
} from '../tests/robustness/secrets/scan';
import { watchWrites } from '../tests/robustness/secrets/watch';
import type { FamilyTally } from '../tests/robustness/tally';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Step {
  name: string;
  command: string;
  args: string[];
}

export const NPM_TEST_STEPS: Step[] = ['typecheck', 'lint', 'test:unit', 'test:e2e'].map((script) => ({
  name: script,
  command: 'npm',
  args: ['run', script],
}));

export interface TestRunOptions {
  steps: Step[];
  /** The secrets the tests were given (CANARIES in `npm test`). */
  canaries: readonly Secret[];
  cwd: string;
  /** Folders scanned besides the run's TMPDIR (the journeys' artefacts). */
  scannedFolders: string[];
  /** Where the robustness counts go (reports/robustness); the scan adds its `secrets` record. */
  reportDir: string;
  /** Where the console output goes (the real console in `npm test`). */
  write: (stream: 'stdout' | 'stderr', chunk: Buffer | string) => void;
}

export interface TestRunResult {
  exitCode: number;
  leaks: Leak[];
  /** Secrets × places scanned. */
  cases: number;
  /** Kept (and named in the output) when a leak was found, else removed. */
  runDir: string;
}

export async function runTests(options: TestRunOptions): Promise<TestRunResult> {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'lmstudio-tray-test-run-'));
  const tmp = path.join(runDir, 'tmp');
  mkdirSync(tmp);
  const ledger = path.join(runDir, 'secrets-ledger');
  writeFileSync(ledger, '');
  const logFile = path.join(runDir, 'output.log');
  const log = createWriteStream(logFile);
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, [SECRET_LEDGER_VARIABLE]: ledger };

  // Files the tests write and remove again are read while they exist.
  const secretsSoFar = () => secretsOfTheRun(options.canaries, readFileSync(ledger, 'utf8'), '');
  const watching = watchWrites(tmp, secretsSoFar);

  let exitCode = 0;
  for (const step of options.steps) {
    if (stopping.requested) break;
    exitCode = await runStep(step, options, env, (stream, chunk) => {
      options.write(stream, chunk);
      log.write(chunk);
    });
    if (exitCode !== 0) break;
  }
  await new Promise<void>((resolve) => log.end(resolve));

  const watched = watching.stop();

  const output = readFileSync(logFile, 'utf8');
  const secrets = secretsOfTheRun(options.canaries, readFileSync(ledger, 'utf8'), output);
  const left = filesUnder([tmp, ...options.scannedFolders]);
  const leaks = uniqueLeaks([
    ...findLeaksInOutput(output, secrets, 'the console output'),
    ...watched.leaks,
    ...findLeaksInFiles(left, secrets),
  ]);
  const files = new Set([...watched.filesRead, ...left]).size;
  const cases = secrets.length * (files + 1);

  const say = (text: string) => options.write('stdout', `${text}\n`);
  say(
    `\nSecret scan: ${secrets.length} secrets × ${files + 1} places (the console output, ${watched.filesRead.length} files read as the tests wrote them, ${left.length} left at the end) = ${cases} cases, ${leaks.length} leaked.`,
  );
  for (const leak of leaks) say(`  LEAK: ${leak.label} in ${leak.place}`);
  if (leaks.length > 0) {
    say(`The run's files are kept in ${runDir} for a look.`);
    exitCode ||= 1;
  } else {
    rmSync(runDir, { recursive: true, force: true });
  }
  // Only a green run's figures are recorded, as the suites themselves do.
  if (exitCode === 0) say(`\n${recordSecretsTally(options.reportDir, { family: 'secrets', cases, leakedSecrets: 0 })}`);
  return { exitCode, leaks, cases, runDir };
}

function uniqueLeaks(leaks: Leak[]): Leak[] {
  return [...new Map(leaks.map((leak) => [`${leak.label}\n${leak.place}`, leak])).values()];
}

/** The canaries, plus every web token made during the run (from the ledger and the Open lines). */
function secretsOfTheRun(canaries: readonly Secret[], ledger: string, output: string): Secret[] {
  const known = new Set(canaries.map((secret) => secret.value));
  const made = [...ledger.split('\n'), ...webTokensInOpenLines(output)].filter(
    (token) => token !== '' && !known.has(token),
  );
  return [
    ...canaries,
    ...[...new Set(made)].map((value, index) => ({ label: `web token #${index + 1} made during the run`, value })),
  ];
}

/**
 * Adds the scan's record to the robustness counts (written by vitest's suites earlier in the
 * run) and returns their table, now with the secrets row complete.
 */
function recordSecretsTally(reportDir: string, tally: FamilyTally): string {
  mkdirSync(reportDir, { recursive: true });
  appendFileSync(path.join(reportDir, 'secrets.jsonl'), `${JSON.stringify(tally)}\n`);
  const records = readdirJsonl(reportDir);
  const table = summarize(records);
  writeFileSync(path.join(reportDir, 'summary.md'), `${table}\n`);
  return `Robustness suites, this run (with the secret scan):\n${table}`;
}

function readdirJsonl(dir: string): FamilyTally[] {
  return filesUnder([dir])
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as FamilyTally);
}

function runStep(
  step: Step,
  options: TestRunOptions,
  env: NodeJS.ProcessEnv,
  write: (stream: 'stdout' | 'stderr', chunk: Buffer) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, { cwd: options.cwd, env, stdio: ['inherit', 'pipe', 'pipe'] });
    stopping.current = child;
    child.stdout.on('data', (chunk: Buffer) => write('stdout', chunk));
    child.stderr.on('data', (chunk: Buffer) => write('stderr', chunk));
    child.once('error', (error) => {
      write('stderr', Buffer.from(`Could not run ${step.name}: ${error.message}\n`));
      resolve(1);
    });
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}

/** A signal ends the run after the running step; that step hears it too. */
const stopping: { requested: boolean; current: ChildProcess | null } = { requested: false, current: null };

async function main(): Promise<void> {
  // A terminal's Ctrl-C already reaches the step (one process group): passing SIGINT on would be
  // a second Ctrl-C, which test runners read as "force". SIGTERM and SIGHUP are sent to this
  // process alone (by npm or CI), so they are passed on.
  process.on('SIGINT', () => {
    stopping.requested = true;
  });
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      stopping.requested = true;
      stopping.current?.kill(signal);
    });
  }
  const env = process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: process.env.FORCE_COLOR ?? '1' } : {};
  Object.assign(process.env, env);
  const result = await runTests({
    steps: NPM_TEST_STEPS,
    canaries: CANARIES,
    cwd: PROJECT_ROOT,
    scannedFolders: ['test-results', 'playwright-report'].map((folder) => path.join(PROJECT_ROOT, folder)),
    reportDir: path.join(PROJECT_ROOT, 'reports', 'robustness'),
    write: (stream, chunk) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
  });
  process.exitCode = result.exitCode;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
