/**
 * The whole core (supervisor, manager, real `lms` runner, monitor) against the LM Studio
 * simulator and its fake `lms`: downloads that finish by themselves, and LM Studio never woken
 * while a download waits for it. The schedule is shortened; the rules are the ones in use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SimulatorOptions, startSimulator } from '../../../../e2e/simulator/index';
import { createTrayCore } from '../../../../electron/core/app';
import { createDownloadManager } from '../../../../electron/core/downloads/manager';
import { createDownloadSupervisor } from '../../../../electron/core/downloads/supervisor';
import type { DownloadJournal, JournalEntry, TrayCore } from '../../../../electron/core/interfaces';
import { createLmStudioClient } from '../../../../electron/core/lmstudio/client';
import { createLmsCli } from '../../../../electron/core/lmstudio/lms/cli';
import { nodeFileSystem, spawnWithoutShell, systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import { createProcessRegistry } from '../../../../electron/core/processes';
import type { AppEvent, AppNotification, DownloadState, ServerStatus } from '../../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const WAIT = { timeout: 15_000, interval: 25 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function harness(simOptions: SimulatorOptions = {}) {
  const sim = await startSimulator(simOptions);
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'core-supervisor-'));
  const notifications: AppNotification[] = [];
  const core: TrayCore = createTrayCore(
    {
      clock: systemClock,
      spawn: spawnWithoutShell,
      fs: nodeFileSystem,
      notifier: { show: (n) => notifications.push(n) },
      logger: silent,
      environment: { platform: process.platform, homedir: sim.homeDir, env: { PATH: process.env.PATH } },
      configDir,
      overrides: { pollIntervalMs: 500 },
      transport: 'web',
      appVersion: '0.0.0-test',
      which: async () => null,
    },
    { health: { confirmDelayMs: 50 }, downloads: { retryDelaysMs: [300], waitCheckMs: 300 } },
  );
  const events: AppEvent[] = [];
  core.onEvent((event) => events.push(event));
  cleanups.push(async () => {
    await core.shutdown({ cancelDownloads: true });
    await sim.close();
    await rm(configDir, { recursive: true, force: true });
  });
  await core.start();
  const start = async (model: string, loadWhenDone?: boolean): Promise<DownloadState> => {
    const result = await core.invoke('downloads:start', { model, loadWhenDone });
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  };
  const row = (id: string) => core.snapshot().downloads.find((d) => d.id === id);
  /** Every status the row showed in `downloads:changed`, repeats folded. */
  const statuses = (id: string) =>
    events
      .flatMap((e) => (e.name === 'downloads:changed' ? e.payload.filter((d) => d.id === id) : []))
      .map((d) => d.status)
      .filter((status, i, all) => status !== all[i - 1]);
  return { sim, core, notifications, start, row, statuses };
}

describe('download supervisor with the simulator', () => {
  it('a download that fails part-way is retried by itself and completes; only the outcome notifies', async () => {
    const h = await harness({ downloadBytesPerSecond: 1_000_000_000 });
    h.sim.configure({ failNextDownload: 'google/gemma-3-4b' });
    const started = await h.start('google/gemma-3-4b', true);
    await vi.waitFor(() => expect(h.row(started.id)?.status).toBe('completed'), WAIT);
    expect(h.row(started.id)).toMatchObject({ attempt: 2, failureKind: null, message: null, loadWhenDone: true });
    expect(h.statuses(started.id)).toContain('retrying');
    expect(h.sim.state.downloads().map((d) => d.status)).toEqual(['failed', 'completed']);
    expect(h.notifications.map((n) => n.kind)).toEqual(['downloadFinished']);
  });

  it('a download cut off by LM Studio quitting waits without waking it, and completes once it is back', async () => {
    const h = await harness({ downloadBytesPerSecond: 300_000_000 });
    const started = await h.start('mistralai/magistral-small');
    await vi.waitFor(() => expect(h.row(started.id)?.downloadedBytes ?? 0).toBeGreaterThan(0), WAIT);
    const wakes = h.sim.state.wakeCount();
    await h.sim.quitApp();
    await vi.waitFor(() => expect(h.row(started.id)?.status).toBe('waiting'), WAIT);
    expect(h.row(started.id)).toMatchObject({ failureKind: 'interrupted', attempt: 2 });
    // Several checks later, still waiting, and LM Studio still not woken.
    const invocations = h.sim.state.lmsInvocations().length;
    await vi.waitFor(() => expect(h.sim.state.lmsInvocations().length).toBeGreaterThan(invocations + 3), WAIT);
    expect(h.row(started.id)?.status).toBe('waiting');
    expect(h.sim.state.wakeCount()).toBe(wakes);

    h.sim.configure({ downloadBytesPerSecond: 3_000_000_000 }); // the second attempt need not take long
    await h.sim.launchApp();
    await vi.waitFor(() => expect(h.row(started.id)?.status).toBe('completed'), WAIT);
    expect(h.sim.state.wakeCount()).toBe(wakes);
    expect(h.notifications.filter((n) => n.kind.startsWith('download')).map((n) => n.kind)).toEqual([
      'downloadFinished',
    ]);
  }, 30_000);
});

describe('download supervisor with the simulator: quitting the app mid-download', () => {
  /** One run of the app's download stack (real lms runner and client), sharing `journal` with the next. */
  function appRun(sim: Awaited<ReturnType<typeof startSimulator>>, journal: DownloadJournal) {
    const registry = createProcessRegistry({ clock: systemClock, logger: silent });
    const lms = createLmsCli({
      path: sim.lmsPath,
      spawn: spawnWithoutShell,
      registry,
      clock: systemClock,
      logger: silent,
      platform: process.platform,
    });
    const client = createLmStudioClient({ baseUrl: sim.baseUrl, token: () => null });
    const manager = createDownloadManager({
      client: () => client,
      lms: () => lms,
      clock: systemClock,
      logger: silent,
      platform: process.platform,
      giveUpAfterMs: Number.POSITIVE_INFINITY,
    });
    const supervisor = createDownloadSupervisor({
      manager,
      lms: () => lms,
      status: () => ({ state: 'online' }) as ServerStatus,
      disk: null,
      checkDiskSpace: () => true,
      journal,
      retryDownloads: () => true,
      clock: systemClock,
      logger: silent,
    });
    cleanups.push(async () => {
      await supervisor.shutdown('cancel');
      await registry.endAll();
    });
    return supervisor;
  }

  it('picks the download up at the next start and re-attaches to the job LM Studio kept running', async () => {
    const sim = await startSimulator({ downloadBytesPerSecond: 400_000_000 });
    cleanups.push(() => sim.close());
    const entries = new Map<string, JournalEntry>();
    const journal: DownloadJournal = {
      read: async () => [...entries.values()],
      put: async (entry) => void entries.set(entry.id, entry),
      remove: async (id) => void entries.delete(id),
    };

    const first = appRun(sim, journal);
    const started = await first.start('mistralai/magistral-small', { loadWhenDone: true });
    await vi.waitFor(() => expect(first.list()[0]?.downloadedBytes ?? 0).toBeGreaterThan(0), WAIT);
    await first.shutdown('leave-running');
    expect([...entries.values()]).toMatchObject([{ id: started.id, model: 'mistralai/magistral-small' }]);
    expect(sim.state.downloads().map((d) => d.status)).toEqual(['downloading']);

    const second = appRun(sim, journal);
    sim.configure({ downloadBytesPerSecond: 3_000_000_000 });
    await second.restore();
    expect(second.list()[0]).toMatchObject({ id: started.id, attempt: 2, loadWhenDone: true });
    await vi.waitFor(() => expect(second.list()[0]?.status).toBe('completed'), WAIT);
    expect(second.list()[0]?.attached).toBe(true);
    // One download inside LM Studio, followed twice: never started over.
    expect(sim.state.downloads().map((d) => d.status)).toEqual(['completed']);
    expect(entries.size).toBe(0);
  });
});
