/**
 * `npm test`'s runner (scripts/test.ts) with stand-in steps: it stops at the first failing step
 * with that step's code, gives every step a TMPDIR of the run's own, and fails the run when a
 * secret is anywhere but web mode's Open line, naming where without printing it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTests, type Step, type TestRunResult } from '../../scripts/test';
import { SECRET_LEDGER_VARIABLE } from '../robustness/secrets/canaries';

/**
 * This suite's own secret, not the real canaries: the runs below leave it in files on purpose,
 * and the scan of the real `npm test` run around them must not count those.
 */
const SECRET = 'runner-test-secret-5e0c1b9a77';
const CANARIES = [{ label: 'the test secret', value: SECRET }];

let reportDir: string;
let output: string;
const results: TestRunResult[] = [];

beforeEach(() => {
  reportDir = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-test-run-report-'));
  output = '';
});
afterEach(() => {
  // A run with a leak keeps its files (canaries in them): never leave them for the outer scan.
  for (const result of results.splice(0)) rmSync(result.runDir, { recursive: true, force: true });
  rmSync(reportDir, { recursive: true, force: true });
});

/** A step that runs this JavaScript in Node. */
function node(name: string, script: string): Step {
  return { name, command: process.execPath, args: ['-e', script] };
}

async function run(steps: Step[]): Promise<TestRunResult> {
  const result = await runTests({
    steps,
    canaries: CANARIES,
    cwd: process.cwd(),
    scannedFolders: [],
    reportDir,
    write: (_stream, chunk) => {
      output += chunk.toString();
    },
  });
  results.push(result);
  return result;
}

const WRITE_TO_TMP = (text: string) =>
  `require('node:fs').writeFileSync(require('node:path').join(require('node:os').tmpdir(), 'left.txt'), ${JSON.stringify(text)})`;

describe("npm test's runner", () => {
  it('runs every step with a TMPDIR of its own, scans, records the secrets count and cleans up', async () => {
    const result = await run([
      node('first', `console.log('tmp=' + require('node:os').tmpdir()); ${WRITE_TO_TMP('nothing secret')}`),
      node('second', `console.log('Open http://127.0.0.1:9/?token=made-at-random-0123456789')`),
    ]);
    expect(result).toMatchObject({ exitCode: 0, leaks: [] });
    expect(output).toContain(`tmp=${path.join(result.runDir, 'tmp')}`);
    expect(output).toContain('Open http://127.0.0.1:9/?token=made-at-random-0123456789');
    // The secret and the token from the Open line, in the output and the one file written.
    expect(result.cases).toBe(2 * 2);
    expect(output).toContain('Secret scan: 2 secrets × 2 places');
    expect(existsSync(result.runDir)).toBe(false);
    const record = JSON.parse(readFileSync(path.join(reportDir, 'secrets.jsonl'), 'utf8'));
    expect(record).toEqual({ family: 'secrets', cases: 4, leakedSecrets: 0 });
    expect(readFileSync(path.join(reportDir, 'summary.md'), 'utf8')).toContain('| secrets | 4 | 0 | 0 | 0 | 0 | 0 |');
  });

  it('fails on a secret in the output or a file, naming the place but never the value', async () => {
    const fromLedger = 'noted-by-a-test-0123456789';
    const result = await run([
      node('logs', `console.error('DEBUG sending Authorization: Bearer ${SECRET}')`),
      node(
        'open-line',
        `console.log('Open http://127.0.0.1:9/?token=random-in-a-file-01234'); ${WRITE_TO_TMP('random-in-a-file-01234')}`,
      ),
      node(
        'ledger',
        `require('node:fs').appendFileSync(process.env.${SECRET_LEDGER_VARIABLE}, '${fromLedger}\\n'); require('node:fs').writeFileSync(require('node:os').tmpdir() + '/b.txt', '${fromLedger}')`,
      ),
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.leaks.map((leak) => [leak.label, path.basename(leak.place)])).toEqual([
      ['the test secret', 'the console output:1'],
      // The ledger's first, then the Open lines'.
      ['web token #1 made during the run', 'b.txt'],
      ['web token #2 made during the run', 'left.txt'],
    ]);
    const report = output.slice(output.indexOf('Secret scan'));
    expect(report).toContain('LEAK: the test secret in the console output:1');
    expect(report).not.toContain(SECRET);
    expect(report).not.toContain(fromLedger);
    expect(existsSync(result.runDir)).toBe(true);
    expect(existsSync(path.join(reportDir, 'secrets.jsonl'))).toBe(false);
  });

  it('finds a secret in a file a test wrote and removed again before the end', async () => {
    const script = `const fs = require('node:fs'), path = require('node:path');
      const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'short-lived-'));
      fs.writeFileSync(path.join(dir, 'debug.log'), 'DEBUG Authorization: Bearer ${SECRET}');
      setTimeout(() => fs.rmSync(dir, { recursive: true }), 2000);`;
    const result = await run([node('short-lived', script)]);
    expect(result.exitCode).toBe(1);
    expect(result.leaks.map((leak) => [leak.label, path.basename(leak.place)])).toEqual([
      ['the test secret', 'debug.log'],
    ]);
  });

  it("stops at the first failing step with that step's code, as && did", async () => {
    const result = await run([node('fails', 'process.exit(3)'), node('never', "console.log('second step ran')")]);
    expect(result.exitCode).toBe(3);
    expect(output).not.toContain('second step ran');
    expect(existsSync(path.join(reportDir, 'secrets.jsonl'))).toBe(false);
  });
});
