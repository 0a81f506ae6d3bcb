/**
 * The runner against the simulator's fake `lms` (e2e/simulator): real child processes, the
 * output bytes of the protocol notes, and LM Studio state shared with the fake HTTP server.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../../../../e2e/simulator/index';
import type { LmsGetEvent, ProcessRegistry } from '../../../../../electron/core/interfaces';
import { createLmsCli } from '../../../../../electron/core/lmstudio/lms/cli';
import { spawnWithoutShell, systemClock } from '../../../../../electron/core/node-ports';
import type { Logger } from '../../../../../electron/core/ports';
import { createProcessRegistry } from '../../../../../electron/core/processes';

const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
let sim: Simulator;
let registry: ProcessRegistry;

function lms(timeoutMs?: number) {
  return createLmsCli({
    path: sim.lmsPath,
    spawn: spawnWithoutShell,
    registry,
    clock: systemClock,
    logger,
    platform: process.platform,
    timeoutMs,
  });
}

function startGet(model: string) {
  const events: LmsGetEvent[] = [];
  const process = lms().get(model, (event) => events.push(event));
  return { events, process };
}

const downloadOf = (model: string) => sim.state.downloads().find((download) => download.model === model);

beforeEach(async () => {
  registry = createProcessRegistry({ clock: systemClock, logger });
});
afterEach(async () => {
  await registry.endAll(500);
  await sim?.close();
});

describe('createLmsCli against the simulator', () => {
  it('reads status, version, models and loaded instances', async () => {
    sim = await startSimulator({ loaded: ['qwen/qwen3-4b'] });
    const cli = lms();
    expect(await cli.serverStatus()).toEqual({ running: true, port: sim.port });
    expect(await cli.daemonStatus()).toMatchObject({ running: true });
    expect(await cli.version()).toEqual(expect.any(String));
    const models = await cli.ls();
    expect(models.map((model) => model.key)).toEqual(sim.state.models().map((model) => model.key));
    expect(models.find((model) => model.key === 'text-embedding-nomic-embed-text-v1.5')?.type).toBe('embedding');
    expect(await cli.ps()).toEqual([
      expect.objectContaining({ identifier: 'qwen/qwen3-4b', modelKey: 'qwen/qwen3-4b' }),
    ]);
  });

  it('status and version commands never wake a quit LM Studio', async () => {
    sim = await startSimulator();
    await sim.quitApp();
    const cli = lms();
    expect(await cli.serverStatus()).toEqual({ running: false, port: sim.port });
    expect(await cli.daemonStatus()).toEqual({ running: false, pid: null });
    expect(await cli.version()).toEqual(expect.any(String));
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('ls wakes a quit LM Studio, as lms does', async () => {
    sim = await startSimulator();
    await sim.quitApp();
    expect((await lms().ls()).length).toBeGreaterThan(0);
    expect(sim.state.wakeCount()).toBe(1);
  });

  it('stops and starts the server', async () => {
    sim = await startSimulator();
    const cli = lms();
    await cli.serverStop();
    expect(await cli.serverStatus()).toMatchObject({ running: false });
    await cli.serverStop(); // already stopped: nothing to do
    await cli.serverStart();
    expect(await cli.serverStatus()).toEqual({ running: true, port: sim.port });
  });

  it('loads with progress and the identifier, then unloads', async () => {
    sim = await startSimulator({ loaded: [] });
    const cli = lms();
    const progress: Array<number | null> = [];
    const { identifier } = await cli.load('google/gemma-3-12b', { contextLength: 8192 }, (p) => progress.push(p));
    expect(identifier).toBe('google/gemma-3-12b');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a! - b!));
    expect(progress.every((p) => p !== null && p >= 0 && p <= 1)).toBe(true);
    expect(sim.state.loaded()).toEqual([expect.objectContaining({ identifier, contextLength: 8192 })]);
    expect(sim.state.lmsInvocations().at(-1)).toEqual([
      'load',
      '--yes',
      '--context-length',
      '8192',
      'google/gemma-3-12b',
    ]);

    await cli.unload(identifier);
    expect(sim.state.loaded()).toEqual([]);
    await expect(cli.unload(identifier)).rejects.toMatchObject({ code: 'not-found' });
  });

  it("reports a failing load with lms's message", async () => {
    sim = await startSimulator({ loaded: [] });
    sim.configure({ failNextLoad: '*' });
    await expect(lms().load('qwen/qwen3-4b', {}, () => {})).rejects.toMatchObject({ code: 'lms-failed' });
    expect(sim.state.loaded()).toEqual([]);
  });

  it('unloads everything and counts', async () => {
    sim = await startSimulator({ loaded: ['qwen/qwen3-4b', 'google/gemma-3-12b'] });
    expect(await lms().unloadAll()).toBe(2);
    expect(await lms().unloadAll()).toBe(0);
  });

  it('downloads with progress to completion', async () => {
    sim = await startSimulator();
    const { events, process } = startGet('microsoft/phi-4-mini-reasoning');
    expect(await process.done).toEqual({ kind: 'completed' });
    expect(events.some((event) => event.type === 'progress' && event.downloadedBytes! > 0)).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'completed' });
    expect(downloadOf('microsoft/phi-4-mini-reasoning')?.status).toBe('completed');
    expect(sim.state.models().some((model) => model.key === 'microsoft/phi-4-mini-reasoning')).toBe(true);
  });

  it('reports a model that is already downloaded', async () => {
    sim = await startSimulator();
    expect(await startGet('qwen/qwen3-4b').process.done).toMatchObject({ kind: 'already-downloaded' });
  });

  it("reports a failing download with lms's message", async () => {
    sim = await startSimulator();
    sim.configure({ failNextDownload: '*' });
    const outcome = await startGet('qwen/qwen3-8b').process.done;
    expect(outcome).toMatchObject({ kind: 'failed', exitCode: 1 });
    expect(outcome.kind === 'failed' && outcome.message.length).toBeGreaterThan(0);
  });

  it('cancel: SIGINT then N really cancels the download inside LM Studio', async () => {
    sim = await startSimulator({ downloadBytesPerSecond: 200_000_000 });
    const { events, process } = startGet('mistralai/magistral-small');
    await vi.waitFor(() => expect(events.some((event) => event.type === 'progress')).toBe(true), { timeout: 10_000 });
    await process.cancel();
    expect(await process.done).toEqual({ kind: 'cancelled' });
    expect(events.map((event) => event.type)).toContain('prompt');
    await vi.waitFor(() => expect(downloadOf('mistralai/magistral-small')?.status).toBe('cancelled'));
  });

  it('detach: SIGINT then Y leaves the download running inside LM Studio', async () => {
    sim = await startSimulator({ downloadBytesPerSecond: 200_000_000 });
    const { events, process } = startGet('mistralai/magistral-small');
    await vi.waitFor(() => expect(events.some((event) => event.type === 'progress')).toBe(true), { timeout: 10_000 });
    await process.detach();
    expect(await process.done).toEqual({ kind: 'continuing' });
    const before = downloadOf('mistralai/magistral-small')!;
    expect(before.status).toBe('downloading');
    await vi.waitFor(() =>
      expect(downloadOf('mistralai/magistral-small')!.downloadedBytes).toBeGreaterThan(before.downloadedBytes),
    );
    expect(registry.running()).toEqual([]);
  });

  it('a hung lms is killed and reported', async () => {
    sim = await startSimulator();
    sim.configure({ lmsHangs: true });
    const cli = lms(500);
    await expect(cli.ps()).rejects.toMatchObject({
      code: 'lms-failed',
      message: expect.stringMatching(/did not answer within/),
    });
    expect(registry.running()).toEqual([]);
  });
});
