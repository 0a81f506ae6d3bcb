import { describe, expect, it, vi } from 'vitest';
import { PROGRESS_BAR_STOP, planLine } from '../../../e2e/simulator/format';
import { cleanUpAfterEach, request, runLms, simulator, spawnLms, stripAnsi, tryConnect } from './helpers';

cleanUpAfterEach();

const PROMPT = '\nContinue to download in the background? (Y/N): ';
/** One redraw of the 22-cell download bar once progress text is known (protocol §3 "Download progress"). */
const FRAME_WITH_TEXT =
  /^\x1b\[\?25l\x1b\[s(?:\x1b\[2K)?\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \[[█▏▎▍▌▋▊▉ ]{22}\] \d{1,3}\.\d{2}% \| +[\d.]+ [KMGT]?B \/ +[\d.]+ [KMGT]?B \| +[\d.]+ [KMGT]?B\/s \| ETA \d\d:\d\d {10}\x1b\[u$/;
/** The parsing advice of the protocol file. */
const PROGRESS = /(\d+\.\d{2})%(?: \| +([\d.]+ [KMGT]?B) \/ +([\d.]+ [KMGT]?B) \| +([\d.]+ [KMGT]?B)\/s \| ETA (\S+))?/;

/** Splits bar output into redraws (each starts with hide-cursor). */
function frames(stdout: string): string[] {
  const start = stdout.indexOf('\x1b[?25l');
  return start < 0 ? [] : stdout.slice(start).split(/(?=\x1b\[\?25l)/);
}

describe('fake lms: commands that never wake LM Studio', () => {
  it('reports server, daemon and version without waking the app', async () => {
    const sim = await simulator({ appRunning: false });
    const server = await runLms(sim, ['server', 'status', '--json']);
    expect(server).toMatchObject({ code: 0, stdout: `{"running":false,"port":${sim.port}}\n` });
    expect(server.stderr).toBe('The server is not running.\n');
    expect(await runLms(sim, ['daemon', 'status', '--json'])).toMatchObject({
      code: 0,
      stdout: '{"status":"not-running"}\n',
    });
    expect(await runLms(sim, ['version', '--json'])).toMatchObject({ code: 0, stdout: '{"version":"f13588d"}\n' });
    expect(await runLms(sim, ['server', 'stop'])).toMatchObject({
      code: 1,
      stderr: 'Error: The server is not running.\n',
    });
    expect(sim.state.wakeCount()).toBe(0);
    expect(sim.state.lmsInvocations()).toEqual([
      ['server', 'status', '--json'],
      ['daemon', 'status', '--json'],
      ['version', '--json'],
      ['server', 'stop'],
    ]);
  });

  it('says running with the port and the daemon pid while LM Studio is up', async () => {
    const sim = await simulator();
    expect((await runLms(sim, ['server', 'status', '--json'])).stdout).toBe(`{"running":true,"port":${sim.port}}\n`);
    expect(JSON.parse((await runLms(sim, ['daemon', 'status', '--json'])).stdout)).toEqual({
      status: 'running',
      pid: process.pid,
      isDaemon: false,
    });
  });

  it('hangs until killed when told to', async () => {
    const sim = await simulator();
    sim.configure({ lmsHangs: true });
    const run = spawnLms(sim, ['server', 'status', '--json']);
    await vi.waitFor(() => expect(sim.state.lmsInvocations()).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });
});

describe('fake lms: waking and models', () => {
  it('wakes LM Studio for ls, once, and the app restores its server', async () => {
    const sim = await simulator({ appRunning: false });
    const ls = await runLms(sim, ['ls', '--json']);
    expect(ls.code).toBe(0);
    expect(ls.stderr).toBe('Waking up LM Studio service...\n');
    const models = JSON.parse(ls.stdout) as Array<{ modelKey: string }>;
    expect(models.map((m) => m.modelKey)).toContain('qwen/qwen3-4b-2507');
    expect(ls.stdout.endsWith(']\n') && ls.stdout.indexOf('\n') === ls.stdout.length - 1).toBe(true);
    expect(sim.state.wakeCount()).toBe(1);
    expect(sim.state.wakes()).toEqual([{ argv: ['ls', '--json'], at: expect.any(Number) }]);
    expect(await tryConnect(sim.port)).toBe('connected');
    expect((await runLms(sim, ['ps', '--json'])).stderr).toBe('');
    expect(sim.state.wakeCount()).toBe(1);
  });

  it('forgets a deleted model and unloads its instances, so it can be downloaded again', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    expect(sim.deleteModel('qwen/qwen3-4b')).toBe(true);
    expect(sim.deleteModel('qwen/qwen3-4b')).toBe(false);
    expect(sim.state.models().map((m) => m.key)).not.toContain('qwen/qwen3-4b');
    expect(sim.state.loaded()).toEqual([]);
    expect((await runLms(sim, ['get', 'qwen/qwen3-8b', '--yes'])).code).toBe(0);
    expect(sim.deleteModel('qwen/qwen3-8b')).toBe(true);
    const again = await runLms(sim, ['get', 'qwen/qwen3-8b', '--yes']);
    expect(again.stdout).not.toContain('Satisfied');
    expect(sim.state.models().map((m) => m.key)).toContain('qwen/qwen3-8b');
  });

  it('prints ps --json in the ModelInstanceInfo shape', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b', 'text-embedding-nomic-embed-text-v1.5'] });
    const ps = JSON.parse((await runLms(sim, ['ps', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(ps[0]).toEqual({
      type: 'llm',
      modelKey: 'qwen/qwen3-4b',
      format: 'gguf',
      displayName: 'Qwen3 4B',
      publisher: 'qwen',
      path: 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf',
      sizeBytes: 2_497_280_256,
      indexedModelIdentifier: 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf',
      deviceIdentifier: null,
      paramsString: '4B',
      architecture: 'qwen3',
      quantization: { name: 'Q4_K_M', bits: 4 },
      identifier: 'qwen/qwen3-4b',
      ttlMs: null,
      lastUsedTime: null,
      vision: false,
      trainedForToolUse: true,
      maxContextLength: 40_960,
      contextLength: 4096,
      status: 'idle',
      queued: 0,
      parallel: 4,
    });
    expect(ps[1]).toMatchObject({ type: 'embedding', parallel: null });
    expect(ps[1]).not.toHaveProperty('vision');
  });

  it('stops and starts the server with the exact messages', async () => {
    const sim = await simulator();
    expect(await runLms(sim, ['server', 'stop'])).toMatchObject({
      code: 0,
      stderr: `Stopped the server on port ${sim.port}.\n`,
    });
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
    expect(await runLms(sim, ['server', 'start'])).toMatchObject({
      code: 0,
      stderr: `Success! Server is now running on port ${sim.port}\n`,
    });
    expect((await request(sim, 'GET', '/lmstudio-greeting')).json).toEqual({ lmstudio: true });
  });
});

describe('fake lms: load and unload', () => {
  it('loads with the NN% spinner on stdout and the success lines on stderr', async () => {
    const sim = await simulator();
    const run = await runLms(sim, ['load', '--yes', 'qwen/qwen3-4b', '-c', '8192', '--ttl', '300', '--gpu', 'max']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^(?:\x1b\[\?25l\rLoading qwen\/qwen3-4b \d{1,3}% [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏])+\r\x1b\[K\x1b\[\?25h$/);
    expect(run.stderr).toMatch(
      /^W 2 models match the provided model key on the same device\. Loading the first one\.\nModel loaded successfully in \d+\.\d{2}(?:ms|s)\.\n\(2\.33 GiB\)\nTo use the model in the API\/SDK, use the identifier "qwen\/qwen3-4b"\.\n$/,
    );
    expect(sim.state.loaded()).toEqual([
      {
        identifier: 'qwen/qwen3-4b',
        modelKey: 'qwen/qwen3-4b',
        contextLength: 8192,
        ttlMs: 300_000,
        lastUsedTime: null,
      },
    ]);
  });

  it('matches fuzzily and loads the first match, like lms', async () => {
    const sim = await simulator({
      models: [...(await import('../../../e2e/simulator/defaults')).DEFAULT_MODELS].reverse(),
    });
    const run = await runLms(sim, ['load', '--yes', 'qwen3-4b', '--identifier', 'picked']);
    expect(run.stderr).toContain(
      'W 2 models match the provided model key on the same device. Loading the first one.\n',
    );
    expect(sim.state.loaded()).toMatchObject([{ identifier: 'picked', modelKey: 'qwen/qwen3-4b-2507' }]);
    const missing = await runLms(sim, ['load', '--yes', 'no-such-model']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.startsWith('Error: ')).toBe(true);
  });

  it('cancels a load on SIGINT with "W Load cancelled." and exit 1', async () => {
    const sim = await simulator({ loadDurationMs: 60_000 });
    const run = spawnLms(sim, ['load', '--yes', 'openai/gpt-oss-20b']);
    await vi.waitFor(() => expect(run.stdout()).toContain('Loading openai/gpt-oss-20b'), { timeout: 5000 });
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(1);
    expect(run.stdout().endsWith('\r\x1b[K\x1b[?25h')).toBe(true);
    expect(run.stderr()).toBe('W Load cancelled.\n');
    expect(sim.state.loaded()).toEqual([]);
    sim.configure({ loadDurationMs: 10 });
    expect((await runLms(sim, ['load', '--yes', 'openai/gpt-oss-20b'])).code).toBe(0);
  });

  it('fails a load when told to', async () => {
    const sim = await simulator();
    sim.configure({ failNextLoad: '*' });
    const run = await runLms(sim, ['load', '--yes', 'google/gemma-3-12b']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: Failed to load model "google\/gemma-3-12b"/);
  });

  it('unloads with its exit-code quirks', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b', 'qwen/qwen3-4b', 'google/gemma-3-12b'] });
    expect(sim.state.loaded().map((i) => i.identifier)).toEqual([
      'qwen/qwen3-4b',
      'qwen/qwen3-4b:2',
      'google/gemma-3-12b',
    ]);
    expect((await runLms(sim, ['unload', 'nope'])).code).toBe(0);
    expect(await runLms(sim, ['unload', 'qwen/qwen3-4b:2'])).toMatchObject({
      code: 0,
      stderr: 'Model "qwen/qwen3-4b:2" unloaded.\n',
    });
    expect(await runLms(sim, ['unload', '--all'])).toMatchObject({
      code: 0,
      stderr: 'Unloading "qwen/qwen3-4b"...\nUnloading "google/gemma-3-12b"...\nUnloaded 2 models.\n',
    });
    expect(await runLms(sim, ['unload', '--all'])).toMatchObject({ code: 0, stderr: 'No models to unload.\n' });
    expect((await runLms(sim, ['unload'])).code).toBe(1);
  });
});

describe('fake lms: get', () => {
  it('downloads with the plan, the progress bar and the completion lines', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 8_000_000_000 });
    const run = await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('Finalizing download...\nDownload completed.\n');
    const plan = `${planLine('   ↓ To download: model qwen/qwen3-8b - 5.03 GB')}${planLine(
      '     └─ ↓ To download: Qwen3 8B Q4_K_M [GGUF] - 5.03 GB',
    )}${planLine('Resolution completed. Downloading 5.03 GB...')}`;
    expect(run.stdout).toContain(plan);
    expect(run.stdout.startsWith(planLine('   ⠋ qwen/qwen3-8b - Resolving...'))).toBe(true);
    const bar = run.stdout.slice(run.stdout.indexOf(plan) + plan.length);
    expect(bar).not.toContain('\n');
    expect(bar.endsWith(PROGRESS_BAR_STOP)).toBe(true);
    const redraws = frames(bar.slice(0, -PROGRESS_BAR_STOP.length));
    const withText = redraws.filter((f) => f.includes(' | '));
    expect(withText.length).toBeGreaterThan(0);
    for (const frame of withText) expect(frame).toMatch(FRAME_WITH_TEXT);
    expect(stripAnsi(withText.at(-1)!)).toMatch(/\[█{22}\] 100\.00% \| +5\.03 GB \/ +5\.03 GB \|/);
    expect(sim.state.models().map((m) => m.key)).toContain('qwen/qwen3-8b');
    expect(sim.state.downloads()).toMatchObject([{ model: 'qwen/qwen3-8b', status: 'completed', via: 'lms' }]);
  });

  it('redraws a stalled download with identical progress, byte-exact before the first bytes', async () => {
    const sim = await simulator();
    sim.configure({ stallDownloads: true });
    const run = spawnLms(sim, ['get', '--yes', 'google/gemma-3-4b']);
    await vi.waitFor(() => expect(frames(run.stdout()).length).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    const [first, second] = frames(run.stdout());
    expect(first).toBe('\x1b[?25l\x1b[s\x1b[2K\r⠙ [▏                     ] 0.00%          \x1b[u');
    expect(second).toBe('\x1b[?25l\x1b[s\r⠹ [▏                     ] 0.00%          \x1b[u');

    sim.configure({ stallDownloads: false });
    await vi.waitFor(() => expect(run.stdout()).toContain(' | '), { timeout: 5000 });
    sim.configure({ stallDownloads: true });
    const stalledAt = frames(run.stdout()).length;
    await vi.waitFor(() => expect(frames(run.stdout()).length).toBeGreaterThan(stalledAt + 5), { timeout: 5000 });
    const progress = frames(run.stdout())
      .slice(stalledAt + 2)
      .map((f) => PROGRESS.exec(stripAnsi(f))?.slice(1));
    expect(new Set(progress.map((p) => JSON.stringify(p))).size).toBe(1);
    expect(sim.state.downloads()[0]?.status).toBe('downloading');
  });

  it('asks on SIGINT and cancels on N (after an invalid answer)', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 1_000_000_000 });
    const run = spawnLms(sim, ['get', '--yes', 'mistralai/magistral-small']);
    await vi.waitFor(() => expect(run.stdout()).toContain(' | '), { timeout: 5000 });
    run.child.kill('SIGINT');
    await vi.waitFor(() => expect(run.stderr()).toBe(PROMPT), { timeout: 5000 });
    expect(run.stdout().endsWith('\x1b[u\x1b[?25h')).toBe(true);
    run.child.stdin?.write('maybe\n');
    await vi.waitFor(() =>
      expect(run.stderr()).toBe(`${PROMPT}Invalid selection. Please enter Y/N.\n${PROMPT.slice(1)}`),
    );
    run.child.stdin?.write('n\n');
    expect((await run.exited).code).toBe(1);
    expect(run.stderr().endsWith(`${PROMPT.slice(1)}W Download canceled.\n`)).toBe(true);
    expect(sim.state.downloads()).toMatchObject([{ model: 'mistralai/magistral-small', status: 'cancelled' }]);
  });

  it('asks on SIGINT and leaves the download running on Y', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 1_000_000_000 });
    const run = spawnLms(sim, ['get', '--yes', 'mistralai/magistral-small']);
    await vi.waitFor(() => expect(run.stdout()).toContain(' | '), { timeout: 5000 });
    run.child.kill('SIGINT');
    await vi.waitFor(() => expect(run.stderr()).toBe(PROMPT), { timeout: 5000 });
    run.child.stdin?.write('Y\n');
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toBe(`${PROMPT}Download will continue in the background.\n`);
    expect(sim.state.downloads()[0]?.status).toBe('downloading');
    sim.configure({ downloadBytesPerSecond: 100_000_000_000 });
    await vi.waitFor(() => expect(sim.state.downloads()[0]?.status).toBe('completed'), { timeout: 5000 });
    expect(sim.state.models().map((m) => m.key)).toContain('mistralai/magistral-small');
  });

  it('exits at once on a second SIGINT, the download still running', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 1_000_000_000 });
    const run = spawnLms(sim, ['get', '--yes', 'mistralai/magistral-small']);
    await vi.waitFor(() => expect(run.stdout()).toContain(' | '), { timeout: 5000 });
    run.child.kill('SIGINT');
    await vi.waitFor(() => expect(run.stderr()).toBe(PROMPT), { timeout: 5000 });
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(sim.state.downloads()[0]?.status).toBe('downloading');
  });

  it('attaches to a download already running and follows it to the end', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 4_000_000_000 });
    await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'qwen/qwen3-8b' } });
    const run = await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(planLine('This download is already in progress.'));
    expect(run.stderr).toBe('Finalizing download...\nDownload completed.\n');
    expect(sim.state.downloads()).toHaveLength(1);
  });

  it('says already downloaded, unknown, wrong variant and failed downloads', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 8_000_000_000 });
    const already = await runLms(sim, ['get', '--yes', 'qwen/qwen3-4b']);
    expect(already).toMatchObject({
      code: 0,
      stderr: 'Model already downloaded. To use, run: lms load qwen/qwen3-4b\n',
    });
    expect(already.stdout.endsWith(planLine('   ✓ Satisfied qwen/qwen3-4b'))).toBe(true);

    const unknown = await runLms(sim, ['get', '--yes', 'nobody/nothing']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: .+\n$/);

    expect(await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b@q8_0'])).toMatchObject({
      code: 1,
      stderr: 'Error: Cannot find variant q8_0.\n',
    });

    sim.configure({ failNextDownload: 'qwen/qwen3-8b' });
    const failed = await runLms(sim, ['get', '--yes', 'qwen/qwen3-8b']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^Error: Failed to download: .+\n$/);
    expect(failed.stdout.endsWith(PROGRESS_BAR_STOP)).toBe(true);
    expect(sim.state.downloads()).toMatchObject([{ status: 'failed' }]);

    const url = await runLms(sim, ['get', '--yes', 'https://huggingface.co/lmstudio-community/Qwen3-1.7B-GGUF']);
    expect(url.code).toBe(0);
    expect(sim.state.models().map((m) => m.key)).toContain('qwen3-1.7b');
  });
});

describe('fake lms: LM Studio 0.3.x wording', () => {
  it('loads with the old bar and one-line success, and exits silently when already downloaded', async () => {
    const sim = await simulator({ generation: '0.3' });
    const load = await runLms(sim, ['load', '--yes', 'gemma-3-12b']);
    expect(load.code).toBe(0);
    expect(load.stderr).toMatch(
      /^Loading model "lmstudio-community\/gemma-3-12b-it-GGUF\/gemma-3-12b-it-Q4_K_M\.gguf"\.\.\.\nModel loaded successfully in \d+\.\d{2}(?:ms|s)\. \(8\.15 GB\)\nTo use the model in the API\/SDK, use the identifier "google\/gemma-3-12b"\.\nTo set a custom identifier, use the --identifier <identifier> option\.\n$/,
    );
    expect(load.stdout).toMatch(
      /^(?:\x1b\[\?25l\x1b\[s(?:\x1b\[2K)?\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \[[█▏▎▍▌▋▊▉ ]{50}\] \d+\.\d{2}% {10}\x1b\[u)+\x1b\[2K\x1b\[1G\x1b\[\?25h$/,
    );
    const already = await runLms(sim, ['get', '--yes', 'qwen/qwen3-4b']);
    expect(already).toMatchObject({ code: 0, stderr: '' });
    expect((await runLms(sim, ['version'])).stdout).toBe('lms - LM Studio CLI - v0.0.47\n');
    expect((await runLms(sim, ['version', '--json'])).stdout).toBe('{"version":"0.0.47"}\n');
  });
});

describe('fake lms: usage errors', () => {
  it('refuses unknown commands and options with exit 1', async () => {
    const sim = await simulator();
    expect(await runLms(sim, ['frobnicate'])).toMatchObject({
      code: 1,
      stderr: "error: unknown command 'frobnicate'\n",
    });
    expect(await runLms(sim, ['ls', '--bogus'])).toMatchObject({
      code: 1,
      stderr: "error: unknown option '--bogus'\n",
    });
  });
});
