/**
 * One process running the real outage history (outages.json), for the crash-safety suites;
 * bundled and started like journal-driver.ts (settings-process.ts), and speaking its lines.
 *
 *   node outages-driver.mjs <config folder> <JSON array of {open|close: baseUrl, at: epoch ms}>
 *
 * Waits for `load`, reads the history (which cleans up after a killed predecessor), prints
 * `loaded`, waits for `go`, then records each step as the health monitor would (a server leaving
 * online, or coming back). After each step it reads outages.json back and prints `lost <n>
 * <baseUrl>` when the outage it has just opened is not open there, or the one it has just closed
 * is still open.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createOutageHistory, OUTAGES_FILE_NAME } from '../../../electron/core/diagnostics/outages';
import type { OutageEntry } from '../../../electron/core/interfaces';
import { nodeFileSystem } from '../../../electron/core/node-ports';
import type { ServerStatus } from '../../../electron/shared/contract';
import type { OutageWork } from './settings-process';

const [configDir, workJson] = process.argv.slice(2);
if (!configDir || !workJson) throw new Error('usage: outages-driver.mjs <config folder> <steps JSON>');
const steps = JSON.parse(workJson) as OutageWork;
// The history logs instead of rejecting: a failed save must show here as an error.
const quiet = {
  debug() {},
  info() {},
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: (message: string) => process.stderr.write(`${message}\n`),
};
const history = createOutageHistory({ fs: nodeFileSystem, configDir, logger: quiet, now: () => Date.now() });

const status = (state: ServerStatus['state'], baseUrl: string, since: number) =>
  ({ state, baseUrl, since }) as ServerStatus;

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
async function waitFor(word: string): Promise<void> {
  for (;;) {
    const next = await lines.next();
    if (next.done) process.exit(1);
    if (next.value === word) return;
  }
}

await waitFor('load');
await history.list(0);
process.stdout.write('loaded\n');
await waitFor('go');
// Nothing more to read: an open stdin would keep the process alive after its saves.
input.close();
process.stdin.destroy();
const wallClock = () => (performance.timeOrigin + performance.now()).toFixed(3);
process.stdout.write(`saving ${wallClock()}\n`);

for (const [index, step] of steps.entries()) {
  const baseUrl = 'open' in step ? step.open : step.close;
  if ('open' in step) await history.record(status('offline', baseUrl, step.at), status('online', baseUrl, 0));
  else await history.record(status('online', baseUrl, step.at), status('offline', baseUrl, 0));
  const onDisk = JSON.parse(readFileSync(path.join(configDir, OUTAGES_FILE_NAME), 'utf8')) as {
    outages: OutageEntry[];
  };
  const open = onDisk.outages.some((entry) => entry.baseUrl === baseUrl && entry.to === null);
  if (open !== 'open' in step) process.stdout.write(`lost ${index} ${baseUrl}\n`);
}
process.stdout.write(`done ${wallClock()}\nsaved\n`);
