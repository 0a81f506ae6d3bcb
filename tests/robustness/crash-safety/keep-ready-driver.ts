/**
 * One process running the real keeper (models/keep-ready.ts) over a fake model service, for the
 * crash-safety suite of keep-ready.json; bundled and started like settings-driver.ts
 * (settings-process.ts), and speaking its lines.
 *
 *   node keep-ready-driver.mjs <config folder> <load time in ms>
 *
 * settings.json in the folder keeps one model loaded. Waits for `load`, reads the settings,
 * prints `loaded`, waits for `go`, then starts the keeper: it claims the load in keep-ready.json
 * (under that file's lock), prints `loading` when the model service is asked to load, and once
 * the load is done and the claim released it prints `done` and `saved` and exits.
 */
import { createInterface } from 'node:readline';
import type { HealthMonitor, ModelService } from '../../../electron/core/interfaces';
import { createKeepReady } from '../../../electron/core/models/keep-ready';
import { nodeFileSystem, systemClock } from '../../../electron/core/node-ports';
import { createSettingsStore } from '../../../electron/core/settings/store';
import type { LoadedInstance, ModelsSnapshot, ServerStatus } from '../../../electron/shared/contract';

const [configDir, loadMsText] = process.argv.slice(2);
if (!configDir || !loadMsText) throw new Error('usage: keep-ready-driver.mjs <config folder> <load time in ms>');
const loadMs = Number(loadMsText);
const quiet = {
  debug() {},
  info() {},
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: (message: string) => process.stderr.write(`${message}\n`),
};

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
async function waitFor(word: string): Promise<void> {
  for (;;) {
    const next = await lines.next();
    if (next.done) process.exit(1);
    if (next.value === word) return;
  }
}

const settings = createSettingsStore({ fs: nodeFileSystem, configDir, logger: quiet });
await waitFor('load');
await settings.load();
const [kept] = settings.get().keepLoaded;
if (!kept) throw new Error('settings.json keeps no model');
process.stdout.write('loaded\n');
await waitFor('go');
input.close();
process.stdin.destroy();
const wallClock = () => (performance.timeOrigin + performance.now()).toFixed(3);
process.stdout.write(`saving ${wallClock()}\n`);

/** LM Studio as this process sees it: online, the kept model loaded once the load is done. */
let loaded = false;
const instance: LoadedInstance = {
  identifier: kept.modelKey,
  modelKey: kept.modelKey,
  contextLength: 4096,
  ttlMs: null,
  lastUsedTime: null,
  activity: null,
  sizeBytes: null,
};
const snapshot = (): ModelsSnapshot => ({
  models: [],
  loaded: loaded ? [instance] : [],
  stale: false,
  updatedAt: 1,
  source: 'v1',
});
const models = {
  snapshot,
  httpGeneration: () => 'v1',
  refresh: async () => snapshot(),
  loading: () => [],
  onChange: () => () => {},
  onLoadingChange: () => () => {},
  async load() {
    process.stdout.write('loading\n');
    await new Promise((resolve) => setTimeout(resolve, loadMs));
    loaded = true;
    return { identifier: kept.modelKey };
  },
} as unknown as ModelService;
const monitor: Pick<HealthMonitor, 'current' | 'onChange'> = {
  current: () => ({ state: 'online' }) as ServerStatus,
  onChange: () => () => {},
};

const keeper = createKeepReady({
  models,
  monitor,
  settings,
  fs: nodeFileSystem,
  configDir,
  clock: systemClock,
  logger: quiet,
  notify() {},
});
// `ready` is published only after the claim is released (the keeper stays `loading` until then).
keeper.onChange((states) => {
  if (states[0]?.state !== 'ready') return;
  process.stdout.write(`done ${wallClock()}\nsaved\n`);
  process.exit(0);
});
keeper.start();
