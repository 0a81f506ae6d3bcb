/**
 * One process running the real settings store, for the crash-safety suites. It is bundled to
 * plain JavaScript once per run (settings-process.ts), so each of the hundreds of runs starts
 * as fast as Node itself.
 *
 *   node settings-driver.mjs <config folder> <JSON array of patches>
 *
 * Waits for `load` on stdin (so it can be started ahead, while the suite still checks the last
 * run), loads the store (which cleans up after a killed predecessor), prints `loaded`, waits for
 * `go`, then saves each patch in turn. After each save it reads settings.json back and
 * prints `lost <n>` when a field it has just saved is not there (another process undid it).
 * Prints `saving <time>` when it starts, `done <time>` and `saved` when every patch is saved.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { nodeFileSystem } from '../../../electron/core/node-ports';
import { createSettingsStore, SETTINGS_FILE_NAME } from '../../../electron/core/settings/store';
import type { SettingsPatch } from '../../../electron/shared/contract';

const [configDir, patchesJson] = process.argv.slice(2);
if (!configDir || !patchesJson) throw new Error('usage: settings-driver.mjs <config folder> <patches JSON>');
const patches = JSON.parse(patchesJson) as SettingsPatch[];
const quiet = { debug() {}, info() {}, warn() {}, error: (message: string) => process.stderr.write(`${message}\n`) };
const store = createSettingsStore({ fs: nodeFileSystem, configDir, logger: quiet });

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
await store.load();
process.stdout.write('loaded\n');
await waitFor('go');
// Nothing more to read: an open stdin would keep the process alive after its saves.
input.close();
process.stdin.destroy();
// The wall-clock time the saves start and end: the suite aims its kills between the two.
const wallClock = () => (performance.timeOrigin + performance.now()).toFixed(3);
process.stdout.write(`saving ${wallClock()}\n`);

for (const [index, patch] of patches.entries()) {
  await store.update(patch);
  const onDisk = JSON.parse(readFileSync(path.join(configDir, SETTINGS_FILE_NAME), 'utf8')) as Record<string, unknown>;
  for (const [field, value] of Object.entries(patch)) {
    if (JSON.stringify(onDisk[field]) !== JSON.stringify(value)) process.stdout.write(`lost ${index} ${field}\n`);
  }
}
process.stdout.write(`done ${wallClock()}\nsaved\n`);
