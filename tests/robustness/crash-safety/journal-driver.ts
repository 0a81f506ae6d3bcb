/**
 * One process running the real download journal (downloads.json), for the crash-safety suites;
 * bundled and started like settings-driver.ts (settings-process.ts), and speaking its lines.
 *
 *   node journal-driver.mjs <config folder> <JSON array of {put: entry} | {remove: id}>
 *
 * Waits for `load`, reads the journal (which cleans up after a killed predecessor), prints
 * `loaded`, waits for `go`, then takes each step in turn. After each step it reads downloads.json
 * back and prints `lost <n> <id>` when the entry it has just recorded is missing or different,
 * or the one it has just forgotten is still there.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import { createDownloadJournal, DOWNLOADS_FILE_NAME } from '../../../electron/core/downloads/journal';
import { nodeFileSystem } from '../../../electron/core/node-ports';
import type { JournalWork } from './settings-process';

const [configDir, workJson] = process.argv.slice(2);
if (!configDir || !workJson) throw new Error('usage: journal-driver.mjs <config folder> <steps JSON>');
const steps = JSON.parse(workJson) as JournalWork;
// The journal logs instead of rejecting: a failed save must show here as an error.
const quiet = {
  debug() {},
  info() {},
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: (message: string) => process.stderr.write(`${message}\n`),
};
const journal = createDownloadJournal({ fs: nodeFileSystem, configDir, logger: quiet });

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
await journal.read();
process.stdout.write('loaded\n');
await waitFor('go');
// Nothing more to read: an open stdin would keep the process alive after its saves.
input.close();
process.stdin.destroy();
const wallClock = () => (performance.timeOrigin + performance.now()).toFixed(3);
process.stdout.write(`saving ${wallClock()}\n`);

for (const [index, step] of steps.entries()) {
  if ('put' in step) await journal.put(step.put);
  else await journal.remove(step.remove);
  const onDisk = JSON.parse(readFileSync(path.join(configDir, DOWNLOADS_FILE_NAME), 'utf8')) as {
    downloads: Array<{ id: string }>;
  };
  const id = 'put' in step ? step.put.id : step.remove;
  const found = onDisk.downloads.find((entry) => entry.id === id);
  const kept = 'put' in step ? isDeepStrictEqual(found, step.put) : found === undefined;
  if (!kept) process.stdout.write(`lost ${index} ${id}\n`);
}
process.stdout.write(`done ${wallClock()}\nsaved\n`);
