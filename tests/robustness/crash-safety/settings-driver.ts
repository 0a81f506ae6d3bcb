/**
 * One process running the real settings store, for the crash-safety suites. It is bundled to
 * plain JavaScript once per run (settings-process.ts), so each of the hundreds of runs starts
 * as fast as Node itself.
 *
 *   node settings-driver.mjs <config folder> <JSON array of patches>
 *
 * Loads the store (which cleans up after a killed predecessor), prints `loaded`, waits for `go`
 * on stdin, then saves each patch in turn. After each save it reads settings.json back and
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

await store.load();
process.stdout.write('loaded\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
lines.close();
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
