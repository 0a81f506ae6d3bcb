import { describe, expect, it, vi } from 'vitest';
import { DISK_FULL_LAUNCH_ERROR, type Simulator } from '../../../e2e/simulator/index';
import { cleanUpAfterEach, request, runLms, simulator, spawnLms, tryConnect } from './helpers';

cleanUpAfterEach();

const MAGISTRAL = 'mistralai/magistral-small';
const MAGISTRAL_BYTES = 14_333_911_424;
const QWEN3_8B_BYTES = 5_027_783_488;
/** The percentages of the download bar's redraws, in order. */
function percentages(stdout: string): number[] {
  return [...stdout.matchAll(/\] (\d+\.\d{2})%/g)].map((m) => Number(m[1]));
}

async function daemonRunning(sim: Simulator): Promise<boolean> {
  const { stdout } = await runLms(sim, ['daemon', 'status', '--json']);
  return (JSON.parse(stdout) as { status: string }).status === 'running';
}

describe('a download LM Studio restarts after a quit', () => {
  it('keeps the partial file when LM Studio quits; lms get after launch goes on from it and completes', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 2_000_000_000 });
    const run = spawnLms(sim, ['get', '--yes', MAGISTRAL]);
    await vi.waitFor(() => expect(sim.state.downloads()[0]?.downloadedBytes).toBeGreaterThan(3_000_000_000), {
      timeout: 10_000,
    });
    const freeBefore = sim.diskFree();
    await sim.quitApp();
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toBe('Error: LM Studio quit while the download was running.\n');
    const kept = sim.state.partialDownloads()[MAGISTRAL] ?? 0;
    expect(kept).toBeGreaterThan(3_000_000_000);
    expect(sim.diskFree()).toBeLessThanOrEqual(freeBefore);

    await sim.launchApp();
    sim.configure({ downloadBytesPerSecond: 20_000_000_000 });
    const again = await runLms(sim, ['get', '--yes', MAGISTRAL]);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('Finalizing download...\nDownload completed.\n');
    expect(percentages(again.stdout)[0]).toBeGreaterThanOrEqual(Math.floor((kept / MAGISTRAL_BYTES) * 100));
    expect(sim.state.models().map((m) => m.key)).toContain(MAGISTRAL);
    expect(sim.state.partialDownloads()).toEqual({});
  });

  it('starts from zero instead when told to, dropping the partial file', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 2_000_000_000 });
    const started = await request(sim, 'POST', '/api/v1/models/download', { body: { model: MAGISTRAL } });
    expect(started.status).toBe(200);
    await vi.waitFor(() => expect(sim.state.downloads()[0]?.downloadedBytes).toBeGreaterThan(1_000_000_000), {
      timeout: 10_000,
    });
    await sim.crash();
    expect(sim.state.partialDownloads()[MAGISTRAL]).toBeGreaterThan(1_000_000_000);
    await sim.launchApp();
    sim.configure({ restartDownloadsFromZero: true, stallDownloads: true });
    const restarted = await request(sim, 'POST', '/api/v1/models/download', { body: { model: MAGISTRAL } });
    const { job_id } = restarted.json as { job_id: string };
    const status = await request(sim, 'GET', `/api/v1/models/download/status/${job_id}`);
    expect(status.json).toMatchObject({ status: 'downloading', downloaded_bytes: 0 });
    expect(sim.state.partialDownloads()).toEqual({});
  });

  it('forgets REST job ids across a quit: the old id is not found, a new job goes on from the partial file', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 2_000_000_000 });
    const started = await request(sim, 'POST', '/api/v1/models/download', { body: { model: MAGISTRAL } });
    const oldId = (started.json as { job_id: string }).job_id;
    await vi.waitFor(() => expect(sim.state.downloads()[0]?.downloadedBytes).toBeGreaterThan(1_000_000_000), {
      timeout: 10_000,
    });
    await sim.quitApp();
    const kept = sim.state.partialDownloads()[MAGISTRAL] ?? 0;
    await sim.launchApp();
    const old = await request(sim, 'GET', `/api/v1/models/download/status/${oldId}`);
    expect(old.status).toBe(404);
    expect(old.json).toMatchObject({ error: { type: 'job_not_found' } });

    sim.configure({ stallDownloads: true });
    const restarted = await request(sim, 'POST', '/api/v1/models/download', { body: { model: MAGISTRAL } });
    const newId = (restarted.json as { job_id: string }).job_id;
    expect(newId).not.toBe(oldId);
    const status = await request(sim, 'GET', `/api/v1/models/download/status/${newId}`);
    expect(status.json).toMatchObject({
      status: 'downloading',
      downloaded_bytes: kept,
      total_size_bytes: MAGISTRAL_BYTES,
    });
  });

  it('follows a job that already runs (started over REST) with "This download is already in progress."', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 8_000_000_000 });
    await request(sim, 'POST', '/api/v1/models/download', { body: { model: MAGISTRAL } });
    const run = await runLms(sim, ['get', '--yes', MAGISTRAL]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('This download is already in progress.');
    expect(sim.state.downloads()).toHaveLength(1);
  });

  it('keeps the partial file of a download that failed part-way, and a retry goes on from it', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 20_000_000_000 });
    sim.configure({ failNextDownload: 'qwen/qwen3-8b', failNextDownloadAs: 'timeout' });
    const failed = await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b']);
    expect(failed).toMatchObject({ code: 1, stderr: 'Error: Download failed: Timed-out. Please try to resume.\n' });
    const kept = sim.state.partialDownloads()['qwen/qwen3-8b'] ?? 0;
    expect(kept).toBe(Math.floor(QWEN3_8B_BYTES * 0.2));
    const retried = await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b']);
    expect(retried.code).toBe(0);
    expect(percentages(retried.stdout)[0]).toBeGreaterThanOrEqual(20);
  });
});

describe('download failures (failNextDownloadAs)', () => {
  it('fails part-way with LM Studio transfer errors', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 20_000_000_000 });
    sim.configure({ failNextDownload: '*', failNextDownloadAs: 'connection-reset' });
    expect(await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b'])).toMatchObject({
      code: 1,
      stderr: 'Error: Download failed: read ECONNRESET\n',
    });
    sim.configure({ failNextDownload: '*', failNextDownloadAs: 'checksum' });
    expect(await runLms(sim, ['get', '--yes', 'google/gemma-3-4b'])).toMatchObject({
      code: 1,
      stderr:
        'Finalizing download...\nError: Download failed: Checksum failed - You can try to resume the download within LM Studio.\n',
    });
    expect(sim.state.downloads().map((d) => d.error)).toEqual([
      'Download failed: read ECONNRESET',
      'Download failed: Checksum failed - You can try to resume the download within LM Studio.',
    ]);
  });

  it('fails at once with not found or a missing variant, over lms and REST', async () => {
    const sim = await simulator();
    sim.configure({ failNextDownload: 'qwen/qwen3-8b', failNextDownloadAs: 'not-found' });
    expect(await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b'])).toMatchObject({
      code: 1,
      stderr:
        'Error: Failed to resolve the download plan: the model "qwen/qwen3-8b" was not found in the LM Studio Hub.\n',
    });
    sim.configure({ failNextDownload: 'qwen/qwen3-8b', failNextDownloadAs: 'no-variant' });
    expect(await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b'])).toMatchObject({
      code: 1,
      stderr: 'Error: Cannot find variant Q4_K_M.\n',
    });
    sim.configure({ failNextDownload: '*', failNextDownloadAs: 'not-found' });
    const rest = await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'qwen/qwen3-8b' } });
    expect(rest.status).toBe(404);
    expect(sim.state.downloads()).toEqual([]);
  });
});

describe('the simulated disk', () => {
  it('shares its space with the models; downloads use it as they go', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 20_000_000_000 });
    const modelBytes = sim.state.models().reduce((sum, m) => sum + m.sizeBytes, 0);
    sim.configure({ diskCapacityBytes: modelBytes + 10_000_000_000 });
    expect(sim.diskSpace()).toEqual({ freeBytes: 10_000_000_000, totalBytes: modelBytes + 10_000_000_000 });
    expect((await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b'])).code).toBe(0);
    expect(sim.diskFree()).toBe(10_000_000_000 - QWEN3_8B_BYTES);
    expect(sim.deleteModel('qwen/qwen3-8b')).toBe(true);
    expect(sim.diskFree()).toBe(10_000_000_000);

    sim.configure({ downloadBytesPerSecond: 2_000_000_000 });
    await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'google/gemma-3-4b' } });
    await vi.waitFor(() => expect(sim.state.downloads()[1]?.downloadedBytes).toBeGreaterThan(500_000_000), {
      timeout: 5000,
    });
    sim.configure({ stallDownloads: true });
    const written = sim.state.downloads()[1]?.downloadedBytes ?? 0;
    expect(written).toBeLessThan(3_341_081_120);
    expect(sim.diskFree()).toBe(10_000_000_000 - written);
  });

  it('kills LM Studio when a download fills it; LM Studio will not start until space is freed', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 20_000_000_000 });
    const modelBytes = sim.state.models().reduce((sum, m) => sum + m.sizeBytes, 0);
    sim.configure({ diskCapacityBytes: modelBytes + 1_000_000_000 });
    const run = await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b']);
    expect(run).toMatchObject({
      code: 1,
      stderr: 'Error: LM Studio stopped unexpectedly while the download was running.\n',
    });
    expect(sim.diskFree()).toBe(0);
    expect(sim.state.partialDownloads()).toEqual({ 'qwen/qwen3-8b': 1_000_000_000 });
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
    expect(await daemonRunning(sim)).toBe(false);

    await expect(sim.launchApp()).rejects.toThrow(DISK_FULL_LAUNCH_ERROR);
    const woken = await runLms(sim, ['ls']);
    expect(woken).toMatchObject({
      code: 1,
      stderr: 'Waking up LM Studio service...\nError: Failed to start or connect to local LM Studio API server.\n',
    });
    expect(await daemonRunning(sim)).toBe(false);

    expect(sim.discardPartialDownloads()).toBe(1_000_000_000);
    await sim.launchApp();
    expect(await daemonRunning(sim)).toBe(true);
    expect(await tryConnect(sim.port)).toBe('connected');
  });

  it('kills LM Studio under a REST download too, and may let it start while full', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 20_000_000_000 });
    const modelBytes = sim.state.models().reduce((sum, m) => sum + m.sizeBytes, 0);
    sim.configure({ diskCapacityBytes: modelBytes + 1_000_000_000, launchFailsWhenDiskFull: false });
    await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'qwen/qwen3-8b' } });
    await vi.waitFor(async () => expect(await daemonRunning(sim)).toBe(false), { timeout: 5000 });
    expect(sim.diskFree()).toBe(0);
    await sim.launchApp();
    expect(await daemonRunning(sim)).toBe(true);
  });
});

describe('evict', () => {
  it('unloads an instance as TTL or JIT eviction would, without lms or REST', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b', 'google/gemma-3-12b'] });
    const requestsBefore = sim.state.requests().length;
    expect(sim.evict('qwen/qwen3-4b')).toBe(true);
    expect(sim.evict('qwen/qwen3-4b')).toBe(false);
    expect(sim.state.loaded().map((i) => i.identifier)).toEqual(['google/gemma-3-12b']);
    expect(sim.state.requests()).toHaveLength(requestsBefore);
    expect(sim.state.lmsInvocations()).toEqual([]);
  });
});
