import { createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { cleanUpAfterEach, request, runLms, simulator, spawnLms, tryConnect } from './helpers';

cleanUpAfterEach();

describe('fake lms: when LM Studio goes away mid-command', () => {
  it('ends a running get with an Error line and exit 1 when the app quits', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 1_000_000_000 });
    const run = spawnLms(sim, ['get', '--yes', 'mistralai/magistral-small']);
    await vi.waitFor(() => expect(run.stdout()).toContain(' | '), { timeout: 5000 });
    await sim.quitApp();
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toBe('Error: LM Studio quit while the download was running.\n');
    expect(sim.state.downloads()[0]?.status).toBe('failed');
  });

  it('exits 1 (no orphan) when the simulator closes under a running command', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 1_000_000_000 });
    const run = spawnLms(sim, ['get', '--yes', 'mistralai/magistral-small']);
    await vi.waitFor(() => expect(run.stdout()).toContain(' | '), { timeout: 5000 });
    await sim.close();
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/^Error: /);
  });
});

describe('fake lms: more commands', () => {
  it('moves the server to another port with server start --port, warning about CORS', async () => {
    const sim = await simulator({ serverRunning: false });
    const other = await freePort();
    const start = await runLms(sim, ['server', 'start', '--port', String(other), '--cors']);
    expect(start).toMatchObject({
      code: 0,
      stderr: `W CORS is enabled. This means any website you visit can use the LM Studio server.\nSuccess! Server is now running on port ${other}\n`,
    });
    expect(sim.port).toBe(other);
    expect((await runLms(sim, ['server', 'status', '--json'])).stdout).toBe(`{"running":true,"port":${other}}\n`);
    expect((await request(sim, 'GET', '/lmstudio-greeting')).status).toBe(200);
  });

  it('fails server start when another program holds the port', async () => {
    const sim = await simulator({ foreign: true });
    const start = await runLms(sim, ['server', 'start']);
    expect(start).toMatchObject({
      code: 1,
      stderr: 'Error: Failed to verify the server is running. Please try to use another port.\n',
    });
    expect(await tryConnect(sim.port)).toBe('connected');
  }, 15_000);

  it('prints status, tables and the estimate', async () => {
    const sim = await simulator({ loaded: ['google/gemma-3-12b'] });
    expect((await runLms(sim, ['status'])).stdout).toBe(
      `Server: ON (port: ${sim.port})\n\nLoaded Models\n  · google/gemma-3-12b - 8.15 GB\n`,
    );
    const ls = await runLms(sim, ['ls']);
    expect(ls.stdout).toContain('You have 5 models, taking up');
    expect(ls.stdout).toMatch(/\nLLM +PARAMS +ARCH +SIZE +DEVICE\n/);
    expect(ls.stdout).toMatch(/\nEMBEDDING +PARAMS +ARCH +SIZE +DEVICE\ntext-embedding-nomic-embed-text-v1\.5 /);
    expect((await runLms(sim, ['ps'])).stdout).toMatch(
      /^\nIDENTIFIER +MODEL +STATUS .*\ngoogle\/gemma-3-12b +google\/gemma-3-12b +IDLE /,
    );
    const estimate = await runLms(sim, ['load', '--yes', 'openai/gpt-oss-20b', '--estimate-only']);
    expect(estimate.code).toBe(0);
    expect(estimate.stderr).toMatch(/^Model: openai\/gpt-oss-20b\nEstimated GPU Memory: {3}[\d.]+ GiB\n/);
    expect(sim.state.loaded()).toHaveLength(1);

    await sim.stopServer();
    expect((await runLms(sim, ['status'])).stdout).toBe(
      'Server:  OFF \n\n(i) To start the server, run the following command:\n\n    lms server start\n',
    );
    expect((await runLms(sim, ['ps'])).stderr).toBe('');
  });

  it('lists only what was asked for with ls filters, and [] from ps with nothing loaded', async () => {
    const sim = await simulator();
    const embeddings = JSON.parse((await runLms(sim, ['ls', '--embedding', '--json'])).stdout) as Array<{
      modelKey: string;
      type: string;
    }>;
    expect(embeddings).toEqual([expect.objectContaining({ type: 'embedding' })]);
    expect(embeddings[0]).not.toHaveProperty('vision');
    expect((await runLms(sim, ['ps', '--json'])).stdout).toBe('[]\n');
    expect((await runLms(sim, ['ps'])).stderr).toBe(
      'No models are currently loaded. To load a model, run: lms load <model path>\n',
    );
  });

  it('resolves a bare name through the staff picks', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 20_000_000_000 });
    const run = await runLms(sim, ['get', '--yes', 'gemma-3-4b']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('↓ To download: model google/gemma-3-4b - 3.34 GB');
    expect(sim.state.models().map((m) => m.key)).toContain('google/gemma-3-4b');
    expect(await runLms(sim, ['get', '--yes', 'zzzz'])).toMatchObject({
      code: 1,
      stderr: 'Error: No models found with the specified search criteria.\n',
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
