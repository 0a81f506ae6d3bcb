import { describe, expect, it, vi } from 'vitest';
import type { Simulator } from '../../../e2e/simulator/index';
import { INPUT_ONLY_WARNING, WEBSOCKET_CLOSED_WARNING } from '../../../e2e/simulator/lms/log';
import { cleanUpAfterEach, type LmsRun, request, runLms, simulator, spawnLms } from './helpers';

cleanUpAfterEach();

const BANNER = 'Streaming logs from LM Studio\n\n';
const ACTIVITY_ARGS = ['log', 'stream', '--source', 'model', '--filter', 'input,output', '--json'];
const CLOSED_LINE = `W ${WEBSOCKET_CLOSED_WARNING}\n`;

/** Starts `lms log stream` and waits for its banner (it is subscribed by then). */
async function startStream(sim: Simulator, args = ACTIVITY_ARGS): Promise<LmsRun> {
  const run = spawnLms(sim, args);
  await vi.waitFor(() => expect(run.stderr()).toContain(BANNER), { timeout: 5000 });
  return run;
}

function lines(run: LmsRun): string[] {
  return run.stdout().split('\n').filter(Boolean);
}

function events(run: LmsRun): Array<{ timestamp: number; data: Record<string, unknown> }> {
  return lines(run).map((line) => JSON.parse(line));
}

function chat(sim: Simulator, model: string, content: string, extra: Record<string, unknown> = {}) {
  return request(sim, 'POST', '/v1/chat/completions', {
    body: { model, messages: [{ role: 'user', content }], ...extra },
  });
}

describe('fake lms: log stream', () => {
  it('prints the banner on stderr, then one input and one output line per request, keys in schema order', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    const run = await startStream(sim);
    expect(run.stderr()).toBe(BANNER);
    const answer = await chat(sim, 'qwen/qwen3-4b', 'Reply with exactly the word: pong');
    expect(answer.status).toBe(200);
    await vi.waitFor(() => expect(lines(run)).toHaveLength(2));
    const [input, output] = lines(run);
    expect(input).toMatch(
      /^\{"timestamp":\d{13},"data":\{"type":"llm\.prediction\.input","input":"<\|im_start\|>user\\nReply with exactly the word: pong<\|im_end\|>\\n<\|im_start\|>assistant\\n","modelPath":"lmstudio-community\/Qwen3-4B-GGUF\/Qwen3-4B-Q4_K_M\.gguf","modelIdentifier":"qwen\/qwen3-4b"\}\}$/,
    );
    // A GGUF model: no numGpuLayers (the llama.cpp capture).
    expect(output).toMatch(
      /^\{"timestamp":\d{13},"data":\{"type":"llm\.prediction\.output","output":"Hello from the LM Studio simulator\.","stats":\{"stopReason":"eosFound","tokensPerSecond":[\d.]+,"timeToFirstTokenSec":0\.05,"totalTimeSec":[\d.]+,"promptTokensCount":\d+,"predictedTokensCount":6,"totalTokensCount":\d+\},"modelIdentifier":"qwen\/qwen3-4b"\}\}$/,
    );
    const stats = events(run)[1]?.data.stats as {
      tokensPerSecond: number;
      promptTokensCount: number;
      totalTokensCount: number;
    };
    expect(stats.tokensPerSecond).toBeCloseTo(60, 5);
    expect(stats.totalTokensCount).toBe(stats.promptTokensCount + 6);
    // The HTTP answer carries the same text and counts.
    expect(answer.json).toMatchObject({
      choices: [{ finish_reason: 'stop', message: { content: 'Hello from the LM Studio simulator.' } }],
      usage: { prompt_tokens: stats.promptTokensCount, completion_tokens: 6 },
    });
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('streams a JIT load through /v1/responses, with the model templated its own way', async () => {
    const sim = await simulator();
    const run = await startStream(sim);
    const answer = await request(sim, 'POST', '/v1/responses', {
      body: { model: 'google/gemma-3-12b', input: 'ping', max_output_tokens: 1 },
    });
    expect(answer.json).toMatchObject({ usage: { output_tokens: 1 } });
    await vi.waitFor(() => expect(events(run)).toHaveLength(2));
    const [input, output] = events(run);
    expect(input?.data).toMatchObject({
      input: '<bos><start_of_turn>user\nping<end_of_turn>\n<start_of_turn>model\n',
      modelIdentifier: 'google/gemma-3-12b',
    });
    expect(output?.data).toMatchObject({
      output: 'Hello',
      stats: { stopReason: 'maxPredictedTokensReached', predictedTokensCount: 1 },
    });
  });

  it('answers /api/v0/chat/completions with the same stats, in its own shape', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ generationMs: 200 });
    const run = await startStream(sim);
    const answer = await request(sim, 'POST', '/api/v0/chat/completions', {
      body: { model: 'qwen/qwen3-4b', messages: [{ role: 'user', content: 'hi' }] },
    });
    await vi.waitFor(() => expect(events(run)).toHaveLength(2));
    const stats = events(run)[1]?.data.stats as { tokensPerSecond: number; promptTokensCount: number };
    expect(stats.tokensPerSecond).toBeCloseTo(30, 5); // 6 tokens in 200 ms
    expect(answer.json).toMatchObject({
      object: 'chat.completion',
      usage: { prompt_tokens: stats.promptTokensCount, completion_tokens: 6 },
      stats: {
        tokens_per_second: stats.tokensPerSecond,
        time_to_first_token: 0.05,
        generation_time: 0.2,
        stop_reason: 'eosFound',
      },
      model_info: { arch: 'qwen3', quant: 'Q4_K_M', format: 'gguf', context_length: 4096 },
      runtime: { name: 'llama.cpp-linux-x86_64-nvidia-cuda12-avx2', version: '1.52.1', supported_formats: ['gguf'] },
    });
  });

  it('lets concurrent requests finish out of order (no request id)', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ tokensPerSecond: 10 });
    const run = await startStream(sim);
    const long = chat(sim, 'qwen/qwen3-4b', 'a long answer, please');
    await vi.waitFor(() => expect(events(run)).toHaveLength(1));
    const short = chat(sim, 'qwen/qwen3-4b', 'one word', { max_tokens: 1 });
    await Promise.all([long, short]);
    await vi.waitFor(() => expect(events(run)).toHaveLength(4));
    const predicted = (e: { data: Record<string, unknown> }) =>
      (e.data.stats as { predictedTokensCount?: number } | undefined)?.predictedTokensCount;
    expect(events(run).map((e) => [e.data.type, predicted(e)])).toEqual([
      ['llm.prediction.input', undefined],
      ['llm.prediction.input', undefined],
      ['llm.prediction.output', 1],
      ['llm.prediction.output', 6],
    ]);
  });

  it('runs `parallel` (4) requests at once and queues the rest; lms ps counts them all', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ generationMs: 60_000 });
    const run = await startStream(sim);
    const answers = Array.from({ length: 5 }, (_, i) => chat(sim, 'qwen/qwen3-4b', `request ${i}`).catch(() => 'cut'));
    await vi.waitFor(async () => {
      const ps = JSON.parse((await runLms(sim, ['ps', '--json'])).stdout) as Array<Record<string, unknown>>;
      expect(ps[0]).toMatchObject({ status: 'generating', queued: 5, lastUsedTime: expect.any(Number) });
    });
    expect(events(run)).toHaveLength(4);
    expect(sim.evict('qwen/qwen3-4b')).toBe(true);
    expect(await Promise.all(answers)).toEqual(['cut', 'cut', 'cut', 'cut', 'cut']);
    // The four running ones report what they generated; the queued one never started.
    await vi.waitFor(() => expect(events(run)).toHaveLength(8));
    expect(events(run).filter((e) => e.data.type === 'llm.prediction.output')).toHaveLength(4);
  });

  it('ends with exit 0 on SIGINT and on SIGTERM', async () => {
    const sim = await simulator();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const run = await startStream(sim);
      run.child.kill(signal);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(run.stderr()).toBe(BANNER);
    }
  });

  it('prints the closed-socket warning and exits 0 when LM Studio quits or crashes', async () => {
    const sim = await simulator();
    const quit = await startStream(sim);
    await sim.quitApp();
    expect(await quit.exited).toEqual({ code: 0, signal: null });
    expect(quit.stderr()).toBe(`${BANNER}${CLOSED_LINE}`);

    await sim.launchApp();
    const crash = await startStream(sim);
    await sim.crash();
    expect((await crash.exited).code).toBe(0);
    expect(crash.stderr()).toBe(`${BANNER}${CLOSED_LINE}`);
  });

  it('wakes LM Studio when it is down (counted), or fails with lms error and exit 1', async () => {
    const sim = await simulator({ appRunning: false });
    const run = await startStream(sim);
    expect(run.stderr()).toBe(`Waking up LM Studio service...\n${BANNER}`);
    expect(sim.state.wakes()).toEqual([{ argv: ACTIVITY_ARGS, at: expect.any(Number) }]);
    run.child.kill('SIGINT');
    await run.exited;

    await sim.quitApp();
    sim.configure({ diskCapacityBytes: 1 }); // a full disk: LM Studio will not start
    expect(await runLms(sim, ACTIVITY_ARGS)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Waking up LM Studio service...\nError: Failed to start or connect to local LM Studio API server.\n',
    });
  });

  it('refuses flag combinations as lms does (after connecting), and a bad source before', async () => {
    const sim = await simulator();
    const refusals: Array<[string[], string]> = [
      [['-s', 'server', '--stats'], 'Error: --stats can only be used with --source model\n'],
      [['--source', 'runtime', '--filter', 'input'], 'Error: --filter can only be used with --source model\n'],
      [['--filter', ' '], 'Error: --filter cannot be empty\n'],
      [['--filter', 'input,tokens'], "Error: --filter values must be 'input', 'output', or 'input,output'\n"],
      [
        ['-s', 'models'],
        "error: option '-s, --source <source>' argument 'models' is invalid. Allowed choices are model, server, runtime.\n",
      ],
    ];
    for (const [flags, stderr] of refusals) {
      expect(await runLms(sim, ['log', 'stream', ...flags])).toMatchObject({ code: 1, stdout: '', stderr });
    }
    await sim.quitApp();
    const woke = await runLms(sim, ['log', 'stream', '-s', 'server', '--stats']);
    expect(woke.stderr).toBe('Waking up LM Studio service...\nError: --stats can only be used with --source model\n');
    expect(sim.state.wakeCount()).toBe(1);
  });

  it('shows the human format with --stats, and only server lines (none here) with -s server', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    const human = await startStream(sim, ['log', 'stream', '--stats']);
    const server = await startStream(sim, ['log', 'stream', '-s', 'server']);
    await chat(sim, 'qwen/qwen3-4b', 'hi');
    await vi.waitFor(() => expect(human.stdout()).toContain('totalTokensCount: '));
    expect(human.stdout()).toMatch(
      /^timestamp: .+\ntype: llm\.prediction\.input\nmodelIdentifier: qwen\/qwen3-4b\nmodelPath: .+\ninput:\n<\|im_start\|>user\nhi<\|im_end\|>\n<\|im_start\|>assistant\n\n\n\ntimestamp: .+\ntype: llm\.prediction\.output\nmodelIdentifier: qwen\/qwen3-4b\noutput:\nHello from the LM Studio simulator\.\nstopReason: eosFound\ntokensPerSecond: [\d.]+\ntimeToFirstTokenSec: 0\.05\ntotalTimeSec: [\d.]+\npromptTokensCount: \d+\npredictedTokensCount: 6\ntotalTokensCount: \d+\n\n\n$/,
    );
    expect(server.stdout()).toBe('');
  });

  it('reports a request cut short: the client leaving (userStopped) or its model unloading (modelUnloaded)', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ generationMs: 60_000 });
    const run = await startStream(sim);
    const left = new AbortController();
    const gone = fetch(`${sim.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      signal: left.signal,
      body: JSON.stringify({ model: 'qwen/qwen3-4b', messages: [{ role: 'user', content: 'x' }] }),
    }).catch((error: Error) => error.name);
    await vi.waitFor(() => expect(events(run)).toHaveLength(1));
    left.abort();
    expect(await gone).toBe('AbortError');
    await vi.waitFor(() => expect(events(run)).toHaveLength(2));
    expect(events(run)[1]?.data.stats).toMatchObject({ stopReason: 'userStopped', predictedTokensCount: 0 });

    const cut = chat(sim, 'qwen/qwen3-4b', 'y').catch((error: Error) => error.message);
    await vi.waitFor(() => expect(events(run)).toHaveLength(3));
    expect(sim.evict('qwen/qwen3-4b')).toBe(true);
    expect(await cut).toBe('fetch failed');
    await vi.waitFor(() => expect(events(run)).toHaveLength(4));
    expect(events(run)[3]?.data.stats).toMatchObject({ stopReason: 'modelUnloaded' });
  });

  it('hangInference: the input comes, the answer never does, the instance keeps generating', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ hangInference: true, timeToFirstTokenMs: 0 });
    const run = await startStream(sim);
    const hung = new AbortController();
    const pending = fetch(`${sim.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      signal: hung.signal,
      body: JSON.stringify({ model: 'qwen/qwen3-4b', messages: [] }),
    }).catch((error: Error) => error.name);
    await vi.waitFor(() => expect(events(run)).toHaveLength(1));
    await vi.waitFor(async () => {
      const ps = JSON.parse((await runLms(sim, ['ps', '--json'])).stdout) as Array<Record<string, unknown>>;
      expect(ps[0]).toMatchObject({ status: 'generating', queued: 1 });
    });
    hung.abort();
    expect(await pending).toBe('AbortError');
    // Stuck even after the client left: no output, still generating.
    const ps = JSON.parse((await runLms(sim, ['ps', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(ps[0]).toMatchObject({ status: 'generating', queued: 1 });
    expect(events(run)).toHaveLength(1);
  });

  it('shows processingPrompt while the prompt is processed, in the table too', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ timeToFirstTokenMs: 60_000 });
    const run = await startStream(sim);
    void chat(sim, 'qwen/qwen3-4b', 'z').catch(() => undefined);
    await vi.waitFor(() => expect(events(run)).toHaveLength(1));
    expect((await runLms(sim, ['ps'])).stdout).toMatch(/\nqwen\/qwen3-4b +qwen\/qwen3-4b +PROCESSINGPROMPT /);
  });
});

describe('fake lms: log stream of older builds', () => {
  it('no-source (before 0.3.26): --source is an unknown option; --json streams inputs only', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ logStreamBuild: 'no-source' });
    expect(await runLms(sim, ACTIVITY_ARGS)).toMatchObject({ code: 1, stderr: "error: unknown option '--source'\n" });
    const run = await startStream(sim, ['log', 'stream', '--json']);
    await chat(sim, 'qwen/qwen3-4b', 'hi');
    await vi.waitFor(() => expect(events(run)).toHaveLength(1));
    expect(events(run)[0]?.data.type).toBe('llm.prediction.input');
    // No signal handler: the signal ends it.
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGINT' });
  });

  it('input-default (0.3.26 to early 0.4): without --filter inputs only, after a warning; --filter gets both', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    sim.configure({ logStreamBuild: 'input-default' });
    const bare = await startStream(sim, ['log', 'stream', '--json']);
    expect(bare.stderr()).toBe(`W ${INPUT_ONLY_WARNING}\n${BANNER}`);
    const filtered = await startStream(sim);
    expect(filtered.stderr()).toBe(BANNER);
    await chat(sim, 'qwen/qwen3-4b', 'hi');
    await vi.waitFor(() => expect(events(filtered)).toHaveLength(2));
    expect(events(bare).map((e) => e.data.type)).toEqual(['llm.prediction.input']);
  });

  it('early-exit (late 2025): prints the banner and exits 0 at once', async () => {
    const sim = await simulator();
    sim.configure({ logStreamBuild: 'early-exit' });
    expect(await runLms(sim, ACTIVITY_ARGS)).toMatchObject({ code: 0, stdout: '', stderr: BANNER });
  });

  it('no-signal-handlers (0.3.26 to 0.3.33): -s runtime is not a choice yet, a signal kills it', async () => {
    const sim = await simulator();
    sim.configure({ logStreamBuild: 'no-signal-handlers' });
    expect((await runLms(sim, ['log', 'stream', '-s', 'runtime'])).stderr).toBe(
      "error: option '-s, --source <source>' argument 'runtime' is invalid. Allowed choices are model, server.\n",
    );
    const run = await startStream(sim);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });
});

describe('fake lms: daemon status, plain', () => {
  it("prints LM Studio's version and pid on stdout, llmster's when headless, and never wakes it", async () => {
    const sim = await simulator();
    expect(await runLms(sim, ['daemon', 'status'])).toMatchObject({
      code: 0,
      stdout: `LM Studio v0.4.2 is running (PID: ${process.pid})\n`,
      stderr: '',
    });
    sim.configure({ headless: true, lmStudioVersion: '0.4.9' });
    expect((await runLms(sim, ['daemon', 'status'])).stdout).toBe(`llmster v0.4.9 is running (PID: ${process.pid})\n`);
    expect(JSON.parse((await runLms(sim, ['daemon', 'status', '--json'])).stdout)).toEqual({
      status: 'running',
      pid: process.pid,
      isDaemon: true,
    });
    await sim.quitApp();
    expect(await runLms(sim, ['daemon', 'status'])).toMatchObject({
      code: 0,
      stdout: 'LM Studio is not running\n',
      stderr: '',
    });
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('defaults to a 0.3 version for a 0.3 simulator', async () => {
    const sim = await simulator({ generation: '0.3' });
    expect((await runLms(sim, ['daemon', 'status'])).stdout).toBe(
      `LM Studio v0.3.31 is running (PID: ${process.pid})\n`,
    );
  });
});
