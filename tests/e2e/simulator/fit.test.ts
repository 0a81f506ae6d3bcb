import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, request, runLms, simulator } from './helpers';

cleanUpAfterEach();

const PASSES = '\nEstimate: This model may be loaded based on your resource guardrails settings.\n';
/** qwen/qwen3-4b also matches qwen/qwen3-4b-2507 (fuzzy, protocol §3 `lms load`): the exact key wins, after a warning. */
const TWO_MATCH = 'W 2 models match the provided model key on the same device. Loading the first one.\n';
const FAILS = '\nEstimate: This model will fail to load based on your resource guardrails settings.\n';
/** lmstudio-protocol-2.md §5, the 0.3.27+ refusal, for qwen/qwen3-4b at its default 4,096 tokens. */
const REFUSAL_4B =
  'Model loading was stopped due to insufficient system resources. Under the current settings, this model requires approximately 2.58 GB of memory, and continuing to load it would likely overload your system and cause it to freeze. If you think this is incorrect, you can adjust the model loading guardrails in settings.';

function readSettings(homeDir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(homeDir, '.lmstudio', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

describe('fake lms: load --estimate-only (protocol-2 §2)', () => {
  it('prints the estimate on stderr only, exit 0, without loading', async () => {
    const sim = await simulator();
    const run = await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y']);
    expect(run).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `${TWO_MATCH}Model: qwen/qwen3-4b\nEstimated GPU Memory:   2.40 GiB\nEstimated Total Memory: 2.40 GiB\n${PASSES}`,
    });
    expect(sim.state.loaded()).toEqual([]);
  });

  it('grows with the context length and splits by --gpu, printing both options', async () => {
    const sim = await simulator();
    const longer = await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y', '-c', '40960', '--gpu', '0.5']);
    expect(longer.stderr).toBe(
      `${TWO_MATCH}Model: qwen/qwen3-4b\nContext Length: 40,960\nGPU Offload: 50%\nEstimated GPU Memory:   1.53 GiB\nEstimated Total Memory: 3.05 GiB\n${PASSES}`,
    );
    const longest = await runLms(sim, [
      'load',
      '--estimate-only',
      'qwen/qwen3-4b',
      '-y',
      '-c',
      '131072',
      '--gpu',
      'max',
    ]);
    expect(longest.stderr).toContain(
      'GPU Offload: 100%\nEstimated GPU Memory:   4.65 GiB\nEstimated Total Memory: 4.65 GiB\n',
    );
    const off = await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y', '--gpu', 'off']);
    expect(off.stderr).toContain('GPU Offload: 0%\nEstimated GPU Memory:   0 Bytes\n');
  });

  it('puts on the GPU what fits in its VRAM when --gpu is not given', async () => {
    const sim = await simulator();
    const run = await runLms(sim, ['load', '--estimate-only', 'openai/gpt-oss-20b', '-y']);
    expect(run.stderr).toContain('Estimated GPU Memory:   8.00 GiB\nEstimated Total Memory: 11.63 GiB\n');
    sim.configure({ gpu: null });
    expect((await runLms(sim, ['load', '--estimate-only', 'openai/gpt-oss-20b', '-y'])).stderr).toContain(
      'Estimated GPU Memory:   0 Bytes\n',
    );
  });

  it('says "will fail" above the guardrail threshold, still exit 0, and LOW confidence when told', async () => {
    const sim = await simulator();
    sim.configure({ guardrailThresholdBytes: 3_000_000_000, estimateConfidence: 'low' });
    const small = await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y']);
    expect(small).toMatchObject({
      code: 0,
      stderr: `${TWO_MATCH}Model: qwen/qwen3-4b\nEstimated GPU Memory:   2.40 GiB\nEstimated Total Memory: 2.40 GiB\nConfidence: LOW\n${PASSES}`,
    });
    const big = await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y', '-c', '40960']);
    expect(big.code).toBe(0);
    expect(big.stderr.endsWith(`Confidence: LOW\n${FAILS}`)).toBe(true);
  });

  it('prints base-1000 GB and the model path on the older builds, by knob or on generation 0.3', async () => {
    const sim = await simulator();
    sim.configure({ estimateUnits: 'GB', estimateModelLine: 'path' });
    const expected = `${TWO_MATCH}Model: lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf\nEstimated GPU Memory:   2.58 GB\nEstimated Total Memory: 2.58 GB\n${PASSES}`;
    expect((await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y'])).stderr).toBe(expected);
    const old = await simulator({ generation: '0.3' });
    const path = 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf';
    expect((await runLms(old, ['load', '--estimate-only', '--exact', path, '-y'])).stderr).toBe(
      expected.slice(TWO_MATCH.length),
    );
  });

  it('wakes LM Studio when it is down, like load', async () => {
    const sim = await simulator({ appRunning: false });
    const run = await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y']);
    expect(run.code).toBe(0);
    expect(run.stderr.startsWith(`Waking up LM Studio service...\n${TWO_MATCH}Model: qwen/qwen3-4b\n`)).toBe(true);
    expect(sim.state.wakeCount()).toBe(1);
  });

  it('prints an empty stdout line first without -y', async () => {
    const sim = await simulator();
    const run = await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b-2507']);
    expect(run).toMatchObject({ code: 0, stdout: '\n' });
    expect(run.stderr).toMatch(/^Model: qwen\/qwen3-4b-2507\n/);
  });

  it('cannot estimate an unknown or not yet downloaded model: the not-found block, exit 1', async () => {
    const sim = await simulator();
    for (const key of ['nobody/nothing', 'qwen/qwen3-8b']) {
      const run = await runLms(sim, ['load', '--estimate-only', key, '-y']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^Error: Cannot find a model matching the provided model key ".+"\.\n/);
      expect(run.stderr).not.toContain('Estimate');
    }
  });

  it('takes the exact path with --exact and refuses anything else', async () => {
    const sim = await simulator();
    const path = 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf';
    const exact = await runLms(sim, ['load', '--estimate-only', '--exact', path, '-y']);
    expect(exact).toMatchObject({ code: 0 });
    expect(exact.stderr).toMatch(/^Model: qwen\/qwen3-4b\n/);
    const wrong = await runLms(sim, ['load', '--estimate-only', '--exact', 'qwen/qwen3-4b', '-y']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^Error: Model not found\n\n {2}No model found with path being exactly "qwen\/qwen3-4b"\.\n/,
    );
  });

  it('is an unknown option to an lms older than LM Studio 0.3.27, before waking anything', async () => {
    const sim = await simulator({ appRunning: false });
    sim.configure({ estimateOnlySupported: false });
    expect(await runLms(sim, ['load', '--estimate-only', 'qwen/qwen3-4b', '-y'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "error: unknown option '--estimate-only'\n",
    });
    expect(sim.state.wakeCount()).toBe(0);
  });
});

describe('guardrails (protocol-2 §5)', () => {
  it('lets every default model load by default (high: 80 % of 32 GiB RAM + 8 GiB VRAM)', async () => {
    const sim = await simulator();
    const run = await runLms(sim, ['load', '--estimate-only', 'openai/gpt-oss-20b', '-y', '-c', '131072']);
    expect(run.stderr.endsWith(PASSES)).toBe(true);
    expect(readSettings(sim.homeDir).modelLoadingGuardrails).toEqual({
      mode: 'high',
      customThresholdBytes: 4 * 1024 ** 3,
      alwaysAllowLoadAnyway: false,
    });
  });

  it('refuses an lms load above the threshold with the stack of an uncaught error, exit 1', async () => {
    const sim = await simulator();
    sim.configure({ guardrailThresholdBytes: 1_000_000_000 });
    const run = await runLms(sim, ['load', '-y', 'qwen/qwen3-4b']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^${escapeRegExp(TWO_MATCH)}Error: ${escapeRegExp(REFUSAL_4B)}\\n(?: {4}at .+\\n)+$`),
    );
    expect(sim.state.loaded()).toEqual([]);
  });

  it('refuses a REST load and a JIT load above the threshold', async () => {
    const sim = await simulator();
    sim.configure({
      guardrails: { mode: 'custom', customThresholdBytes: 1_000_000_000, alwaysAllowLoadAnyway: false },
    });
    expect(readSettings(sim.homeDir).modelLoadingGuardrails).toMatchObject({
      mode: 'custom',
      customThresholdBytes: 1e9,
    });
    const rest = await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'qwen/qwen3-4b' } });
    expect(rest.status).toBe(500);
    expect(rest.json).toEqual({ error: { type: 'internal_error', code: 'model_load_failed', message: REFUSAL_4B } });
    const jit = await request(sim, 'POST', '/v1/chat/completions', {
      body: { model: 'qwen/qwen3-4b', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(jit.status).toBe(500);
    expect(jit.json).toEqual({ error: { message: REFUSAL_4B } });
    // The embedding model is small enough.
    const small = await request(sim, 'POST', '/api/v1/models/load', {
      body: { model: 'text-embedding-nomic-embed-text-v1.5' },
    });
    expect(small.status).toBe(200);
  });

  it('loads anything with the guardrails off', async () => {
    const sim = await simulator({ loadDurationMs: 10 });
    sim.configure({ ramBytes: 1024 ** 3, gpu: null });
    expect((await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'qwen/qwen3-4b' } })).status).toBe(500);
    sim.configure({ guardrails: { mode: 'off', customThresholdBytes: 0, alwaysAllowLoadAnyway: true } });
    expect(readSettings(sim.homeDir).modelLoadingGuardrails).toEqual({
      mode: 'off',
      customThresholdBytes: 0,
      alwaysAllowLoadAnyway: true,
    });
    expect((await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'qwen/qwen3-4b' } })).status).toBe(200);
  });
});

describe('settings.json and the models folder (protocol-2 §3)', () => {
  it('names a real models folder under the simulator home as downloadsFolder', async () => {
    const sim = await simulator();
    expect(readSettings(sim.homeDir).downloadsFolder).toBe(sim.modelsDir);
    expect(sim.modelsDir).toBe(join(sim.homeDir, 'models'));
    expect(existsSync(sim.modelsDir)).toBe(true);
  });

  it('leaves downloadsFolder out when asked, so the folder is <home>/models', async () => {
    const sim = await simulator({ downloadsFolderInSettings: false });
    expect(readSettings(sim.homeDir)).not.toHaveProperty('downloadsFolder');
    expect(sim.modelsDir).toBe(join(sim.homeDir, '.lmstudio', 'models'));
    expect(existsSync(sim.modelsDir)).toBe(true);
  });
});

describe('fake lms: runtime survey (protocol-2 §4)', () => {
  it('prints the survey as pretty JSON with lowercase enums, waking LM Studio', async () => {
    const sim = await simulator({ appRunning: false });
    const run = await runLms(sim, ['runtime', 'survey', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('Waking up LM Studio service...\n');
    const survey = JSON.parse(run.stdout);
    expect(run.stdout).toBe(`${JSON.stringify(survey, null, 2)}\n`);
    expect(survey).toMatchObject({
      status: 'ok',
      engines: [
        {
          engine: 'llama.cpp',
          compatibility: { status: 'compatible' },
          hardwareSurvey: {
            gpuSurveyResult: {
              result: { code: 'success' },
              gpuInfo: [
                {
                  name: 'NVIDIA GeForce RTX 4060',
                  totalMemoryCapacityBytes: 8 * 1024 ** 3,
                  dedicatedMemoryCapacityBytes: 8 * 1024 ** 3,
                  integrationType: 'discrete',
                  detectionPlatform: 'CUDA',
                },
              ],
            },
          },
          memoryInfo: { ramCapacity: 32 * 1024 ** 3, vramCapacity: 8 * 1024 ** 3, totalMemory: 40 * 1024 ** 3 },
        },
      ],
    });
    expect(sim.state.wakeCount()).toBe(1);
  });

  it('capitalises the enums like builds before 2026-03, and reports no GPU', async () => {
    const sim = await simulator();
    sim.configure({ surveyEnumCase: 'capitalised', gpu: null, ramBytes: 16 * 1024 ** 3 });
    const survey = JSON.parse((await runLms(sim, ['runtime', 'survey', '--json'])).stdout);
    expect(survey).toMatchObject({
      status: 'OK',
      engines: [
        {
          compatibility: { status: 'Compatible' },
          hardwareSurvey: { gpuSurveyResult: { result: { code: 'NoDevicesFound' }, gpuInfo: [] } },
          memoryInfo: { ramCapacity: 16 * 1024 ** 3, vramCapacity: 0, totalMemory: 16 * 1024 ** 3 },
        },
      ],
    });
  });

  it('prints the GPU table, CPU and RAM without --json', async () => {
    const sim = await simulator();
    const run = await runLms(sim, ['runtime', 'survey']);
    expect(run.stdout).toBe(
      'Survey by llama.cpp-linux-x86_64-nvidia-cuda12-avx2 (1.52.1)\n\n' +
        'GPU/ACCELERATORS                           VRAM\n' +
        'NVIDIA GeForce RTX 4060 (CUDA, Discrete)    8.00 GiB\n\n' +
        'CPU: x86_64 (AVX, AVX2)\nRAM: 32.00 GiB\n',
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
