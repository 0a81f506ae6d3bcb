/**
 * `Keep MODELKEY loaded` in the real core (client, lms runner, monitor, model service, keeper)
 * against the simulator: a kept model comes back after LM Studio evicts it and after LM Studio
 * restarts, is never loaded (nor LM Studio woken) while LM Studio is quit, and stays unloaded
 * after the user's own Unload.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { createTrayCore, ONLINE_SETTLE_MS } from '../../../electron/core/app';
import type { TrayCore } from '../../../electron/core/interfaces';
import { nodeFileSystem, spawnWithoutShell, systemClock } from '../../../electron/core/node-ports';
import type { Logger } from '../../../electron/core/ports';
import type {
  AppEvent,
  AppNotification,
  CommandName,
  CommandResponse,
  KeptModel,
} from '../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const WAIT = { timeout: 15_000, interval: 25 };
const KEY = 'qwen/qwen3-4b';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function harness(kept: KeptModel[]) {
  const sim = await startSimulator();
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'core-keep-'));
  const notifications: AppNotification[] = [];
  await writeFile(path.join(configDir, 'settings.json'), JSON.stringify({ keepLoaded: kept }));
  const core: TrayCore = createTrayCore(
    {
      clock: systemClock,
      spawn: spawnWithoutShell,
      fs: nodeFileSystem,
      notifier: { show: (notification) => notifications.push(notification) },
      logger: silent,
      // HOME is the simulator's: its LM Studio home holds the last port and `.lmstudio/bin/lms`.
      environment: { platform: process.platform, homedir: sim.homeDir, env: { PATH: process.env.PATH } },
      configDir,
      overrides: { pollIntervalMs: 1000 },
      transport: 'web',
      appVersion: '0.0.0-test',
      which: async () => null,
    },
    { health: { confirmDelayMs: 50 }, modelsRefreshMinMs: 500 },
  );
  const events: AppEvent[] = [];
  core.onEvent((event) => events.push(event));
  cleanups.push(async () => {
    await core.shutdown({ cancelDownloads: true });
    await sim.close();
    await rm(configDir, { recursive: true, force: true });
  });
  await core.start();
  const value = async <C extends CommandName>(name: C, payload?: unknown): Promise<CommandResponse<C>> => {
    const result = await core.invoke(name, payload);
    if (!result.ok) throw new Error(`${name} failed: ${result.error.message}`);
    return result.value;
  };
  const loadedKeys = () => sim.state.loaded().map((i) => i.identifier);
  const keptOnDisk = async () =>
    (JSON.parse(await readFile(path.join(configDir, 'settings.json'), 'utf8')) as { keepLoaded: KeptModel[] })
      .keepLoaded;
  const loadRequests = () => sim.state.requests().filter((r) => r.path === '/api/v1/models/load').length;
  const lmsLoads = () => sim.state.lmsInvocations().filter((argv) => argv[0] === 'load').length;
  return { sim, core, events, notifications, value, loadedKeys, keptOnDisk, loadRequests, lmsLoads };
}

/** The keeper never JIT-loads (a TTL and auto-evict would come with it). */
function expectNoJit(sim: Simulator): void {
  const paths = sim.state.requests().map((r) => r.path);
  expect(paths).not.toContain('/v1/responses');
  expect(paths).not.toContain('/v1/chat/completions');
}

describe('keep-ready against the simulator', () => {
  it('loads a kept model at start and again after LM Studio evicts it, over REST with its options', async () => {
    const h = await harness([{ modelKey: KEY, options: { contextLength: 8192 } }]);
    await expect.poll(h.loadedKeys, WAIT).toEqual([KEY]);
    expect(h.sim.state.loaded()[0]?.contextLength).toBe(8192);
    await expect.poll(() => h.core.snapshot().kept.map((k) => k.state), WAIT).toEqual(['ready']);
    expect(h.events.some((e) => e.name === 'kept:changed')).toBe(true);

    expect(h.sim.evict(KEY)).toBe(true);
    await expect.poll(() => h.loadRequests(), WAIT).toBe(2);
    await expect.poll(h.loadedKeys, WAIT).toEqual([KEY]);
    // Never a second instance, never a TTL.
    expect(h.sim.state.loaded()).toEqual([expect.objectContaining({ identifier: KEY, ttlMs: null })]);
    expectNoJit(h.sim);
    expect(h.sim.state.wakeCount()).toBe(0);
    await expect.poll(() => h.core.snapshot().kept[0]?.state, WAIT).toBe('ready');
  });

  it('after LM Studio quits: nothing loaded and nothing woken while it is quit; reloaded once it is back', async () => {
    const h = await harness([{ modelKey: KEY, options: {} }]);
    await expect.poll(h.loadedKeys, WAIT).toEqual([KEY]);
    await expect.poll(() => h.core.snapshot().kept[0]?.state, WAIT).toBe('ready');
    // Let the start's `lms ps` (ONLINE_SETTLE_MS after coming online) run first: a quit between
    // its greeting and its spawn is the model service's millisecond window, not the keeper's.
    await new Promise((resolve) => setTimeout(resolve, ONLINE_SETTLE_MS + 500));
    const loadsBefore = h.loadRequests();
    await h.sim.quitApp();
    await expect.poll(() => h.core.snapshot().status.state, WAIT).toBe('offline');
    await expect.poll(() => h.core.snapshot().kept[0]?.state, WAIT).toBe('waiting');
    // Several polls and model refreshes go by while it is quit.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(h.sim.state.wakes()).toEqual([]);
    expect(h.loadRequests()).toBe(loadsBefore);
    expect(h.lmsLoads()).toBe(0);
    expect(h.loadedKeys()).toEqual([]);

    await h.sim.launchApp();
    await expect.poll(h.loadedKeys, WAIT).toEqual([KEY]);
    expect(h.loadRequests()).toBe(loadsBefore + 1);
    await expect.poll(() => h.core.snapshot().kept[0]?.state, WAIT).toBe('ready');
    expect(h.sim.state.wakeCount()).toBe(0);
    expectNoJit(h.sim);
  });

  it('evicted again right after each of two reloads while LM Studio stays up: the switch turns off, with a notification', async () => {
    const h = await harness([{ modelKey: KEY, options: {} }]);
    await expect.poll(() => h.core.snapshot().kept[0]?.state, WAIT).toBe('ready');
    h.sim.evict(KEY);
    await expect.poll(() => h.loadRequests(), WAIT).toBe(2);
    await expect.poll(() => h.core.snapshot().kept[0]?.state, WAIT).toBe('ready');
    h.sim.evict(KEY);
    await expect.poll(() => h.core.snapshot().kept, WAIT).toEqual([]);
    expect(await h.keptOnDisk()).toEqual([]);
    // The switch is saved off first, then the notification says why: on a loaded machine a poll may fall between.
    await expect
      .poll(() => h.notifications, WAIT)
      .toEqual([expect.objectContaining({ kind: 'keptModel', title: `Stopped keeping ${KEY} loaded` })]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(h.loadRequests()).toBe(2);
    expect(h.loadedKeys()).toEqual([]);
  });

  it("the user's Unload here turns the switch off and the model stays unloaded", async () => {
    const h = await harness([]);
    // Without options, the switch saves the load defaults in force (never their TTL).
    await h.value('settings:update', { loadDefaults: { contextLength: 4096, ttlSeconds: 600 } });
    const kept = await h.value('models:keep', { modelKey: KEY, keep: true });
    expect(kept).toEqual([expect.objectContaining({ modelKey: KEY, options: { contextLength: 4096 } })]);
    await expect.poll(h.loadedKeys, WAIT).toEqual([KEY]);
    expect(h.sim.state.loaded()[0]).toMatchObject({ contextLength: 4096, ttlMs: null });
    expect(await h.keptOnDisk()).toEqual([{ modelKey: KEY, options: { contextLength: 4096 } }]);
    await expect.poll(() => h.core.snapshot().kept[0]?.state, WAIT).toBe('ready');

    expect(await h.value('models:unload', { identifier: KEY })).toEqual({ keepTurnedOff: [KEY] });
    // A few model refreshes later it is still unloaded.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(h.loadedKeys()).toEqual([]);
    expect(h.loadRequests()).toBe(1);
    expect(await h.keptOnDisk()).toEqual([]);
    expect(h.core.snapshot().kept).toEqual([]);
    expect(h.core.snapshot().settings.keepLoaded).toEqual([]);
  });

  it('Unload all turns off every kept model it unloads', async () => {
    const h = await harness([
      { modelKey: KEY, options: {} },
      { modelKey: 'google/gemma-3-12b', options: {} },
    ]);
    await expect.poll(() => h.loadedKeys().sort(), WAIT).toEqual(['google/gemma-3-12b', KEY]);
    const answer = await h.value('models:unload-all');
    expect(answer.unloaded).toBe(2);
    expect(answer.keepTurnedOff.sort()).toEqual(['google/gemma-3-12b', KEY]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(h.loadedKeys()).toEqual([]);
  });
});
