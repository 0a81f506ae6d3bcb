/**
 * The real core (client, lms runner, monitor, services) against the simulator's HTTP server
 * and fake `lms` executable, over loopback and real child processes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_GPU,
  DEFAULT_RAM_BYTES,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../../e2e/simulator/index';
import { modelPath } from '../../../e2e/simulator/shapes';
import { createTrayCore } from '../../../electron/core/app';
import type { TrayCore } from '../../../electron/core/interfaces';
import { nodeFileSystem, spawnWithoutShell, systemClock } from '../../../electron/core/node-ports';
import type { Logger } from '../../../electron/core/ports';
import type { AppEvent, AppNotification, CommandName, CommandResponse } from '../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const WAIT = { timeout: 15_000, interval: 25 };

interface Harness {
  core: TrayCore;
  sim: Simulator;
  events: AppEvent[];
  notifications: AppNotification[];
  invoke: <C extends CommandName>(name: C, payload?: unknown) => ReturnType<TrayCore['invoke']>;
  value: <C extends CommandName>(name: C, payload?: unknown) => Promise<CommandResponse<C>>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** `withoutLms`: HOME is an empty folder, so discovery finds no `lms` and the address is given. */
async function harness(
  simOptions: SimulatorOptions = {},
  { withoutLms = false, stallAfterMs = 60_000, modelsRefreshMinMs = undefined as number | undefined } = {},
): Promise<Harness> {
  const sim = await startSimulator(simOptions);
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'core-app-'));
  const notifications: AppNotification[] = [];
  const core = createTrayCore(
    {
      clock: systemClock,
      spawn: spawnWithoutShell,
      fs: nodeFileSystem,
      notifier: { show: (n) => notifications.push(n) },
      logger: silent,
      // HOME is the simulator's: its LM Studio home holds the last port and `.lmstudio/bin/lms`.
      environment: {
        platform: process.platform,
        homedir: withoutLms ? configDir : sim.homeDir,
        env: { PATH: withoutLms ? '' : process.env.PATH },
      },
      configDir,
      overrides: withoutLms ? { pollIntervalMs: 1000, baseUrl: sim.baseUrl } : { pollIntervalMs: 1000 },
      transport: 'web',
      appVersion: '0.0.0-test',
      which: async () => null,
    },
    { health: { confirmDelayMs: 50 }, downloads: { stallAfterMs }, modelsRefreshMinMs },
  );
  const events: AppEvent[] = [];
  core.onEvent((event) => events.push(event));
  cleanups.push(async () => {
    await core.shutdown({ cancelDownloads: true });
    await sim.close();
    await rm(configDir, { recursive: true, force: true });
  });
  await core.start();
  const invoke = (name: CommandName, payload?: unknown) => core.invoke(name, payload);
  const value = async <C extends CommandName>(name: C, payload?: unknown): Promise<CommandResponse<C>> => {
    const result = await core.invoke(name, payload);
    if (!result.ok) throw new Error(`${name} failed: ${result.error.message}`);
    return result.value;
  };
  return { core, sim, events, notifications, invoke, value };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Fake `lms` processes still running for this simulator (reads `ps`; kills nothing). */
function lmsChildren(sim: Simulator): string[] {
  if (process.platform === 'win32') return [];
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(sim.homeDir));
}

describe('TrayCore with the simulator', () => {
  it('starts online with the models listed and no notification for the state found', async () => {
    const h = await harness({ loaded: ['qwen/qwen3-4b'] });
    expect(h.core.snapshot().status).toMatchObject({ state: 'online', baseUrl: h.sim.baseUrl, remote: false });
    expect(h.core.snapshot().status.lmsPath).toBe(h.sim.lmsPath);
    await vi.waitFor(() => expect(h.core.snapshot().models.models.length).toBeGreaterThan(0), WAIT);
    const snap = await h.value('app:get-snapshot');
    expect(snap.models.loaded.map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);
    expect(snap.app).toEqual({ version: '0.0.0-test', platform: process.platform, transport: 'web', logFile: null });
    expect(snap.settings).not.toHaveProperty('apiToken');
    expect(h.notifications).toEqual([]);
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it('refuses invalid payloads with a clear message and runs nothing', async () => {
    const h = await harness();
    const before = h.sim.state.lmsInvocations().length;
    const dash = await h.invoke('models:load', { modelKey: '--help' });
    expect(dash).toEqual({
      ok: false,
      error: { code: 'invalid-input', message: expect.stringContaining('must not start with "-"') },
    });
    expect((await h.invoke('downloads:start', { model: 'qwen; rm -rf ~' })).ok).toBe(false);
    expect((await h.invoke('downloads:start', { model: '../../etc/passwd' })).ok).toBe(false);
    expect((await h.invoke('downloads:start', {})).ok).toBe(false);
    expect((await h.invoke('downloads:cancel', { id: '../../etc' })).ok).toBe(false);
    expect((await h.invoke('settings:update', { pollIntervalMs: 5 })).ok).toBe(false);
    expect((await h.invoke('settings:update', { unknown: 1 })).ok).toBe(false);
    expect(await h.invoke('nope:nothing' as CommandName)).toEqual({
      ok: false,
      error: { code: 'invalid-input', message: 'Unknown command nope:nothing.' },
    });
    expect(await h.invoke('downloads:cancel', { id: 'dl-missing' })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'That download is no longer in the list.' },
    });
    expect(h.sim.state.lmsInvocations().length).toBe(before);
  });

  it('loads and unloads exactly the model asked for', async () => {
    const h = await harness();
    const loaded = await h.value('models:load', { modelKey: 'qwen/qwen3-4b' });
    expect(loaded.identifier).toBe('qwen/qwen3-4b');
    expect(h.sim.state.loaded().map((i) => i.modelKey)).toEqual(['qwen/qwen3-4b']);
    expect(h.core.snapshot().models.loaded.map((i) => i.modelKey)).toEqual(['qwen/qwen3-4b']);
    expect(h.events.some((e) => e.name === 'loads:changed' && e.payload.length === 1)).toBe(true);

    await h.value('models:unload', { identifier: 'qwen/qwen3-4b' });
    expect(h.sim.state.loaded()).toEqual([]);
    expect(h.core.snapshot().models.loaded).toEqual([]);
    expect(h.core.snapshot().loading).toEqual([]);
  });

  it('downloads with progress events to completion, then lists the model', async () => {
    const h = await harness({ downloadBytesPerSecond: 2_000_000_000 });
    const started = await h.value('downloads:start', { model: 'google/gemma-3-4b' });
    expect(started.via).toBe('lms');
    await vi.waitFor(() => {
      const row = h.core.snapshot().downloads.find((d) => d.id === started.id);
      expect(row?.status).toBe('completed');
    }, WAIT);
    const progress = h.events
      .filter((e): e is Extract<AppEvent, { name: 'downloads:changed' }> => e.name === 'downloads:changed')
      .map((e) => e.payload.find((d) => d.id === started.id)?.percent)
      .filter((p): p is number => typeof p === 'number' && p > 0 && p < 100);
    expect(progress.length).toBeGreaterThan(0);
    await vi.waitFor(
      () => expect(h.core.snapshot().models.models.map((m) => m.key)).toContain('google/gemma-3-4b'),
      WAIT,
    );
    expect(h.notifications.map((n) => n.kind)).toEqual(['downloadFinished']);
  });

  it('shows a download whose bytes stop growing as stalled while lms keeps redrawing, and resumes', async () => {
    const h = await harness({ downloadBytesPerSecond: 200_000_000 }, { stallAfterMs: 1_000 });
    const started = await h.value('downloads:start', { model: 'mistralai/magistral-small' });
    const row = () => h.core.snapshot().downloads.find((d) => d.id === started.id);
    await vi.waitFor(() => expect(row()?.downloadedBytes ?? 0).toBeGreaterThan(0), WAIT);
    h.sim.configure({ stallDownloads: true });
    await vi.waitFor(
      () => expect(row()).toMatchObject({ status: 'stalled', message: expect.stringContaining('No progress') }),
      WAIT,
    );
    h.sim.configure({ stallDownloads: false });
    await vi.waitFor(() => expect(row()).toMatchObject({ status: 'downloading', message: null }), WAIT);
    await h.value('downloads:cancel', { id: started.id });
  });

  it('cancels a running download for real', async () => {
    const h = await harness({ downloadBytesPerSecond: 200_000_000 });
    const started = await h.value('downloads:start', { model: 'mistralai/magistral-small' });
    await vi.waitFor(() => {
      const row = h.core.snapshot().downloads.find((d) => d.id === started.id);
      expect(row?.status).toBe('downloading');
      expect(row?.downloadedBytes ?? 0).toBeGreaterThan(0);
    }, WAIT);
    const cancelled = await h.value('downloads:cancel', { id: started.id });
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    await vi.waitFor(() => expect(h.sim.state.downloads().map((d) => d.status)).toEqual(['cancelled']), WAIT);
    // The activity stream (`lms log stream`) runs as long as LM Studio does; no other lms is left.
    const others = () => lmsChildren(h.sim).filter((line) => !line.includes(' log stream '));
    await vi.waitFor(() => expect(others()).toEqual([]), WAIT);
    expect((await h.invoke('downloads:dismiss', { id: started.id })).ok).toBe(true);
    expect(h.core.snapshot().downloads).toEqual([]);
  });

  it('stops and starts the server, without notifying the stop the user asked for', async () => {
    const h = await harness();
    const stopped = await h.value('server:stop');
    expect(stopped.state).toBe('server-stopped');
    const started = await h.value('server:start');
    expect(started.state).toBe('online');
    expect(h.notifications).toEqual([]);
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it('a stop of an already stopped server does not mute the next real outage', async () => {
    const h = await harness();
    expect((await h.value('server:stop')).state).toBe('server-stopped');
    // A second stop (a stale menu) finds nothing running and changes nothing.
    await h.invoke('server:stop');
    expect((await h.value('server:start')).state).toBe('online');
    await h.sim.crash();
    await vi.waitFor(() => expect(h.notifications.map((n) => n.kind)).toEqual(['serverDown']), WAIT);
  });

  it('notices LM Studio quitting, notifies once, marks the models stale and never wakes it', async () => {
    const h = await harness();
    await vi.waitFor(() => expect(h.core.snapshot().models.models.length).toBeGreaterThan(0), WAIT);
    await h.sim.quitApp();
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('offline'), WAIT);
    expect(h.core.snapshot().models.stale).toBe(true);
    // Shown at once; notified once confirmed.
    await vi.waitFor(() => expect(h.notifications.map((n) => n.kind)).toEqual(['serverDown']), WAIT);
    expect(h.events.filter((e) => e.name === 'notification:show').map((e) => e.payload)).toEqual(h.notifications);
    // The popup opening and a refresh must not wake it either.
    await h.value('app:popup-visibility', { visible: true });
    await h.value('models:refresh');
    await h.value('server:refresh');
    expect(h.sim.state.wakeCount()).toBe(0);

    await h.sim.launchApp();
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('online'), WAIT);
    await vi.waitFor(() => expect(h.core.snapshot().models.stale).toBe(false), WAIT);
    expect(h.notifications.map((n) => n.kind)).toEqual(['serverDown', 'serverUp']);
  });

  it('authentication required: lists, a load, an unload and a download go through lms, waking nothing', async () => {
    const h = await harness({ token: 'secret-token', loaded: ['qwen/qwen3-4b'] });
    expect(h.core.snapshot().status.state).toBe('unauthorized');
    await vi.waitFor(() => expect(h.core.snapshot().models).toMatchObject({ source: 'lms', stale: false }), WAIT);
    expect(h.core.snapshot().models.loaded.map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);

    await h.value('models:load', { modelKey: 'google/gemma-3-12b' });
    expect(h.sim.state.loaded().map((i) => i.modelKey)).toContain('google/gemma-3-12b');
    await h.value('models:unload', { identifier: 'qwen/qwen3-4b' });
    expect(h.sim.state.loaded().map((i) => i.modelKey)).toEqual(['google/gemma-3-12b']);
    expect(h.core.snapshot().models.loaded.map((i) => i.identifier)).toEqual(['google/gemma-3-12b']);

    const started = await h.value('downloads:start', { model: 'google/gemma-3-4b' });
    expect(started.via).toBe('lms');
    await vi.waitFor(
      () => expect(h.core.snapshot().models.models.map((m) => m.key)).toContain('google/gemma-3-4b'),
      WAIT,
    );
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it('says nothing is loaded once LM Studio quits, and reads the truth through lms while the server is stopped', async () => {
    const h = await harness({ loaded: ['qwen/qwen3-4b'] });
    await vi.waitFor(() => expect(h.core.snapshot().models.loaded).toHaveLength(1), WAIT);
    await h.value('server:stop');
    await vi.waitFor(() => expect(h.core.snapshot().models).toMatchObject({ source: 'lms', stale: false }), WAIT);
    expect(h.core.snapshot().models.loaded.map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);
    await h.value('models:unload', { identifier: 'qwen/qwen3-4b' });
    expect(h.core.snapshot().models.loaded).toEqual([]);
    await h.value('models:load', { modelKey: 'google/gemma-3-12b' });
    expect(h.core.snapshot().models.loaded.map((i) => i.identifier)).toEqual(['google/gemma-3-12b']);

    await h.sim.quitApp();
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('offline'), WAIT);
    expect(h.core.snapshot().models).toMatchObject({ stale: true, loaded: [] });
    expect(h.core.snapshot().models.models.length).toBeGreaterThan(0);
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it('"Require Authentication" switched on while online, no other traffic: the model refresh tells; off again: online', async () => {
    const h = await harness({}, { modelsRefreshMinMs: 1_000 });
    expect(h.core.snapshot().status.state).toBe('online');
    h.sim.configure({ token: 'sk-lm-abcdefgh:abcdefghijklmnopqrst' });
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('unauthorized'), WAIT);
    expect(h.core.snapshot().status.detail).toMatch(/^LM Studio now requires an API token/);
    expect(h.notifications.map((n) => n.title)).toEqual(['LM Studio now needs an API token']);
    h.sim.configure({ token: null });
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('online'), WAIT);
    expect(h.notifications.map((n) => n.kind)).toEqual(['serverDown', 'serverUp']);
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it("a user's action answered with a token request changes the status at once", async () => {
    const h = await harness();
    h.sim.configure({ token: 'sk-lm-abcdefgh:abcdefghijklmnopqrst', authErrorStatus: 200 });
    const result = await h.invoke('models:load', { modelKey: 'qwen/qwen3-4b' });
    expect(result.ok).toBe(false);
    expect(h.core.snapshot().status).toMatchObject({
      state: 'unauthorized',
      detail: expect.stringMatching(/^LM Studio now requires an API token/),
    });
  });

  it('without lms: says where it looked when asked to start the server, and downloads over REST', async () => {
    const h = await harness({}, { withoutLms: true });
    expect(h.core.snapshot().status).toMatchObject({ state: 'online', lmsPath: null });
    const start = await h.invoke('server:start');
    expect(start).toMatchObject({ ok: false, error: { code: 'lms-missing' } });
    expect(!start.ok && start.error.message).toContain('was not found');
    const started = await h.value('downloads:start', { model: 'google/gemma-3-4b' });
    expect(started.via).toBe('rest');
    await vi.waitFor(
      () => expect(h.core.snapshot().downloads.find((d) => d.id === started.id)?.status).toBe('completed'),
      WAIT,
    );
    await vi.waitFor(
      () => expect(h.core.snapshot().models.models.map((m) => m.key)).toContain('google/gemma-3-4b'),
      WAIT,
    );
    expect(h.sim.state.lmsInvocations()).toEqual([]);
  });

  it('follows LM Studio to a new port when no address is set', async () => {
    const h = await harness();
    const port = await freePort();
    const lms = (...args: string[]) => promisify(execFile)(h.sim.lmsPath, args, { env: { PATH: process.env.PATH } });
    await lms('server', 'stop');
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('server-stopped'), WAIT);
    await lms('server', 'start', '--port', String(port));
    await vi.waitFor(
      () =>
        expect(h.core.snapshot().status).toMatchObject({ state: 'online', port, baseUrl: `http://127.0.0.1:${port}` }),
      WAIT,
    );
  });

  it('applies a new base URL live', async () => {
    const h = await harness();
    const other = await startSimulator({ models: [h.sim.state.models()[0]!] });
    cleanups.push(() => other.close());
    const view = await h.value('settings:update', { baseUrl: `${other.baseUrl}/v1` });
    expect(view.baseUrl).toBe(`${other.baseUrl}/v1`);
    await vi.waitFor(() => {
      expect(h.core.snapshot().status).toMatchObject({ baseUrl: other.baseUrl, state: 'online' });
      expect(h.core.snapshot().models.models).toHaveLength(1);
    }, WAIT);
    expect(h.events.some((e) => e.name === 'settings:changed')).toBe(true);
    expect(h.notifications).toEqual([]);

    const refused = await h.invoke('settings:update', { baseUrl: 'http://127.0.0.1:1234/some/path' });
    expect(refused.ok).toBe(false);
  });

  it('does not run an lms path that is a folder: it says why and keeps the lms it found', async () => {
    const h = await harness();
    const view = await h.value('settings:update', { lmsPath: h.sim.homeDir });
    expect(view.lmsPath).toBe(h.sim.homeDir);
    const refusal = `The lms path in Settings (${h.sim.homeDir}) is a folder, not the lms program, so it is not used. Using ${h.sim.lmsPath} instead.`;
    expect(view.messages).toContain(refusal);
    await vi.waitFor(() => expect(h.core.snapshot().status.lmsPath).toBe(h.sim.lmsPath), WAIT);

    const cleared = await h.value('settings:update', { lmsPath: null });
    expect(cleared.messages).not.toContain(refusal);
  });

  it('shuts down leaving no lms child, with the download left running in LM Studio', async () => {
    const h = await harness({ downloadBytesPerSecond: 100_000_000 });
    const started = await h.value('downloads:start', { model: 'mistralai/magistral-small' });
    await vi.waitFor(
      () => expect(h.core.snapshot().downloads.find((d) => d.id === started.id)?.status).toBe('downloading'),
      WAIT,
    );
    expect(lmsChildren(h.sim).length).toBeGreaterThan(0);
    await h.core.shutdown({ cancelDownloads: false });
    expect(lmsChildren(h.sim)).toEqual([]);
    expect(h.core.snapshot().downloads[0]).toMatchObject({ status: 'continuing' });
    expect(h.sim.state.downloads()[0]?.status).toBe('downloading');
    expect((await h.invoke('app:get-snapshot')).ok).toBe(false);
  });

  it('models:estimate: exactly the model with the load defaults, cached until the loaded set changes, never waking LM Studio', async () => {
    // 0.3: lms matches `--exact` against model paths, as real lms does (the simulator's 0.4 mode does not).
    const h = await harness({ generation: '0.3' });
    await vi.waitFor(() => expect(h.core.snapshot().models.models.length).toBeGreaterThan(0), WAIT);
    await h.value('settings:update', { loadDefaults: { gpuOffload: 'max' } });
    const estimates = () => h.sim.state.lmsInvocations().filter((argv) => argv.includes('--estimate-only'));

    const answer = await h.value('models:estimate', { modelKey: 'qwen/qwen3-4b', options: { contextLength: 4096 } });
    expect(answer.unavailableReason).toBeNull();
    expect(answer.estimate).toMatchObject({
      modelKey: 'qwen/qwen3-4b',
      options: { gpuOffload: 'max', contextLength: 4096 },
      passesGuardrails: true,
    });
    expect(answer.estimate?.totalBytes).toBeGreaterThan(0);
    expect(answer.memory.ramTotalBytes).toBe(os.totalmem());
    const qwen = h.sim.state.models().find((m) => m.key === 'qwen/qwen3-4b')!;
    expect(estimates()).toEqual([
      ['load', '--estimate-only', '--yes', '--context-length', '4096', '--gpu', 'max', '--exact', modelPath(qwen)],
    ]);

    await h.value('models:estimate', { modelKey: 'qwen/qwen3-4b', options: { contextLength: 4096 } });
    expect(estimates()).toHaveLength(1);
    await h.value('models:load', { modelKey: 'qwen/qwen3-4b' });
    await vi.waitFor(() => expect(h.core.snapshot().models.loaded).toHaveLength(1), WAIT);
    await h.value('models:estimate', { modelKey: 'qwen/qwen3-4b', options: { contextLength: 4096 } });
    expect(estimates()).toHaveLength(2);

    await h.sim.quitApp();
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('offline'), WAIT);
    const closed = await h.value('models:estimate', { modelKey: 'qwen/qwen3-4b', options: { contextLength: 8192 } });
    expect(closed).toMatchObject({
      estimate: null,
      unavailableReason: expect.stringMatching(/^LM Studio is not running/),
    });
    expect(estimates()).toHaveLength(2);
    expect(h.sim.state.wakeCount()).toBe(0);

    await h.value('settings:update', { estimateMemory: false });
    expect((await h.value('models:estimate', { modelKey: 'qwen/qwen3-4b' })).unavailableReason).toBe(
      'Memory estimates are turned off in Settings.',
    );
  });

  it("models:memory: the loaded models' sizes against the survey's total, the survey run once, never waking LM Studio", async () => {
    const h = await harness();
    await vi.waitFor(() => expect(h.core.snapshot().models.models.length).toBeGreaterThan(0), WAIT);
    const surveys = () => h.sim.state.lmsInvocations().filter((argv) => argv[0] === 'runtime' && argv[1] === 'survey');

    expect(await h.value('models:memory')).toMatchObject({
      known: true,
      memory: { modelsBytes: 0, totalBytes: DEFAULT_RAM_BYTES + DEFAULT_GPU.vramBytes, totalFrom: 'runtime-survey' },
    });
    await h.value('models:load', { modelKey: 'qwen/qwen3-4b' });
    await vi.waitFor(() => expect(h.core.snapshot().models.loaded).toHaveLength(1), WAIT);
    const qwen = h.sim.state.models().find((m) => m.key === 'qwen/qwen3-4b')!;
    const answer = await h.value('models:memory');
    expect(answer).toEqual({
      known: true,
      memory: {
        modelsBytes: qwen.sizeBytes,
        totalBytes: DEFAULT_RAM_BYTES + DEFAULT_GPU.vramBytes,
        totalFrom: 'runtime-survey',
        ramTotalBytes: os.totalmem(),
        ramFreeBytes: expect.any(Number),
        vramTotalBytes: DEFAULT_GPU.vramBytes,
      },
    });
    expect(surveys()).toHaveLength(1);

    await h.sim.quitApp();
    await vi.waitFor(() => expect(h.core.snapshot().status.state).toBe('offline'), WAIT);
    await vi.waitFor(() => expect(h.core.snapshot().status.lmStudioClosed).toBe(true), WAIT);
    // Closed: nothing in memory, the OS total (the survey belonged to that session), nothing run.
    expect(await h.value('models:memory')).toMatchObject({
      known: true,
      memory: { modelsBytes: 0, totalBytes: os.totalmem(), totalFrom: 'os' },
    });
    expect(surveys()).toHaveLength(1);
    expect(h.sim.state.wakeCount()).toBe(0);
  });
});
