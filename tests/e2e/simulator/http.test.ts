import { describe, expect, it } from 'vitest';
import { INVALID_API_KEY_BODY } from '../../../e2e/simulator/http-server';
import { cleanUpAfterEach, request, simulator } from './helpers';

cleanUpAfterEach();

describe('simulator HTTP: shapes and quirks', () => {
  it('greets, lists models in every API generation, and says it is Express', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    const greeting = await request(sim, 'GET', '/lmstudio-greeting');
    expect(greeting.text).toBe('{"lmstudio":true}');
    expect(greeting.headers.get('x-powered-by')).toBe('Express');
    expect(greeting.headers.get('content-type')).toBe('application/json; charset=utf-8');

    const openai = await request(sim, 'GET', '/v1/models');
    expect(
      openai.text.startsWith('{"data":[{"id":"qwen/qwen3-4b","object":"model","owned_by":"organization_owner"}'),
    ).toBe(true);
    expect((openai.json as { data: unknown[] }).data).toHaveLength(5);

    const v0 = (await request(sim, 'GET', '/api/v0/models')).json as {
      object: string;
      data: Array<Record<string, unknown>>;
    };
    expect(v0.object).toBe('list');
    expect(v0.data.find((m) => m.id === 'qwen/qwen3-4b')).toMatchObject({
      type: 'llm',
      state: 'loaded',
      quantization: 'Q4_K_M',
      compatibility_type: 'gguf',
      loaded_context_length: 4096,
      capabilities: ['tool_use'],
    });
    expect(v0.data.find((m) => m.id === 'google/gemma-3-12b')).toMatchObject({ type: 'vlm', state: 'not-loaded' });
    expect(v0.data.find((m) => m.id === 'text-embedding-nomic-embed-text-v1.5')?.type).toBe('embeddings');
    expect((await request(sim, 'GET', '/api/v0/models/openai/gpt-oss-20b')).json).toMatchObject({
      id: 'openai/gpt-oss-20b',
    });

    const v1 = (await request(sim, 'GET', '/api/v1/models')).json as { models: Array<Record<string, unknown>> };
    const qwen = v1.models.find((m) => m.key === 'qwen/qwen3-4b');
    expect(qwen).toEqual({
      type: 'llm',
      publisher: 'qwen',
      key: 'qwen/qwen3-4b',
      display_name: 'Qwen3 4B',
      architecture: 'qwen3',
      quantization: { name: 'Q4_K_M', bits_per_weight: 4 },
      size_bytes: 2_497_280_256,
      params_string: '4B',
      loaded_instances: [
        {
          id: 'qwen/qwen3-4b',
          config: {
            context_length: 4096,
            eval_batch_size: 512,
            parallel: 4,
            flash_attention: true,
            offload_kv_cache_to_gpu: true,
          },
        },
      ],
      max_context_length: 40_960,
      format: 'gguf',
      capabilities: {
        vision: false,
        trained_for_tool_use: true,
        reasoning: { allowed_options: ['off', 'on'], default: 'on' },
      },
    });
    const embedding = v1.models.find((m) => m.type === 'embedding');
    expect(embedding).not.toHaveProperty('capabilities');
    expect(embedding).not.toHaveProperty('architecture');
  });

  it('answers unknown routes and methods with HTTP 200 and an error string', async () => {
    const sim = await simulator();
    for (const [method, path] of [
      ['POST', '/chat/completions'],
      ['GET', '/v1/chat/completions'],
      ['OPTIONS', '/v1/models'],
    ] as const) {
      const answer = await request(sim, method, path);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ error: `Unexpected endpoint or method. (${method} ${path})` });
    }
    const malformed = await request(sim, 'POST', '/api/v1/models/load', { body: '{nope' });
    expect(malformed.status).toBe(400);
    expect(typeof (malformed.json as { error: unknown }).error).toBe('string');
  });

  it('has no /api/v1 on generation 0.3', async () => {
    const sim = await simulator({ generation: '0.3' });
    const answer = await request(sim, 'GET', '/api/v1/models');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ error: 'Unexpected endpoint or method. (GET /api/v1/models)' });
    expect((await request(sim, 'GET', '/api/v0/models')).status).toBe(200);
  });

  it.each([401, 403, 200] as const)('requires the token with status %i, but greets without it', async (status) => {
    const sim = await simulator({ token: 'sk-lm-abcdefgh:abcdefghijklmnopqrst', authErrorStatus: status });
    expect((await request(sim, 'GET', '/lmstudio-greeting')).json).toEqual({ lmstudio: true });
    for (const token of [undefined, 'wrong']) {
      const refused = await request(sim, 'GET', '/api/v1/models', { token });
      expect(refused.status).toBe(status);
      expect(refused.json).toEqual(INVALID_API_KEY_BODY);
    }
    const allowed = await request(sim, 'GET', '/api/v1/models', { token: 'sk-lm-abcdefgh:abcdefghijklmnopqrst' });
    expect(allowed.status).toBe(200);
    sim.configure({ token: null });
    expect((await request(sim, 'GET', '/api/v1/models')).status).toBe(200);
  });

  it.each([401, 403, 200] as const)('closes the greeting too with greetingNeedsToken (status %i)', async (status) => {
    const token = 'sk-lm-abcdefgh:abcdefghijklmnopqrst';
    const sim = await simulator({ token, authErrorStatus: status, greetingNeedsToken: true });
    for (const given of [undefined, 'wrong']) {
      const refused = await request(sim, 'GET', '/lmstudio-greeting', { token: given });
      expect(refused.status).toBe(status);
      expect(refused.json).toEqual(INVALID_API_KEY_BODY);
    }
    expect((await request(sim, 'GET', '/lmstudio-greeting', { token })).json).toEqual({ lmstudio: true });
    sim.configure({ greetingNeedsToken: false });
    expect((await request(sim, 'GET', '/lmstudio-greeting')).json).toEqual({ lmstudio: true });
    sim.configure({ greetingNeedsToken: true, token: null });
    expect((await request(sim, 'GET', '/lmstudio-greeting')).json).toEqual({ lmstudio: true });
  });

  it('loads exact keys only over REST, names second instances :2, and unloads', async () => {
    const sim = await simulator();
    const first = await request(sim, 'POST', '/api/v1/models/load', {
      body: { model: 'qwen/qwen3-4b', context_length: 8192, echo_load_config: true },
    });
    expect(first.json).toMatchObject({
      type: 'llm',
      instance_id: 'qwen/qwen3-4b',
      status: 'loaded',
      load_config: { context_length: 8192 },
    });
    const second = await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'qwen/qwen3-4b' } });
    expect((second.json as { instance_id: string }).instance_id).toBe('qwen/qwen3-4b:2');

    const fuzzy = await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'qwen3-4b' } });
    expect(fuzzy.status).toBe(404);
    expect((fuzzy.json as { error: { type: string } }).error.type).toBe('model_not_found');

    expect(
      (await request(sim, 'POST', '/api/v1/models/unload', { body: { instance_id: 'qwen/qwen3-4b:2' } })).json,
    ).toEqual({
      instance_id: 'qwen/qwen3-4b:2',
    });
    expect(sim.state.loaded().map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);
    expect((await request(sim, 'POST', '/api/v1/models/unload', { body: { instance_id: 'nope' } })).status).toBe(404);

    sim.configure({ failNextLoad: 'google/gemma-3-12b' });
    const failed = await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'google/gemma-3-12b' } });
    expect(failed.status).toBe(500);
    expect((failed.json as { error: { type: string } }).error.type).toBe('internal_error');
    expect((await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'google/gemma-3-12b' } })).status).toBe(
      200,
    );
  });

  it('JIT-loads on inference (Auto-Evict), and answers unknown models with the exact 404 body', async () => {
    const sim = await simulator();
    const answer = await request(sim, 'POST', '/v1/responses', {
      body: { model: 'openai/gpt-oss-20b', input: '', max_output_tokens: 1 },
    });
    expect(answer.status).toBe(200);
    expect(sim.state.loaded()).toMatchObject([{ identifier: 'openai/gpt-oss-20b', ttlMs: 3_600_000 }]);
    await request(sim, 'POST', '/v1/chat/completions', {
      body: { model: 'google/gemma-3-12b', messages: [], ttl: 60 },
    });
    expect(sim.state.loaded()).toMatchObject([{ identifier: 'google/gemma-3-12b', ttlMs: 60_000 }]);
    expect(sim.state.loaded()[0]?.lastUsedTime).toEqual(expect.any(Number));

    const unknown = await request(sim, 'POST', '/v1/chat/completions', {
      body: { model: 'local model', messages: [] },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      error: {
        message:
          'Model "local model" not found. Please specify a valid model.\n\nYour models:\n\nqwen/qwen3-4b\nopenai/gpt-oss-20b\ngoogle/gemma-3-12b\ntext-embedding-nomic-embed-text-v1.5\nqwen/qwen3-4b-2507',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    });
  });

  it('lists only loaded models on /v1/models with JIT off, and does not JIT-load', async () => {
    const sim = await simulator({ jit: false });
    expect((await request(sim, 'GET', '/v1/models')).json).toEqual({ data: [], object: 'list' });
    const refused = await request(sim, 'POST', '/v1/responses', { body: { model: 'qwen/qwen3-4b', input: 'hi' } });
    expect(refused.status).toBe(404);
    expect((refused.json as { error: { message: string } }).error.message).toMatch(/^No models loaded\./);
    await request(sim, 'POST', '/api/v1/models/load', { body: { model: 'qwen/qwen3-4b' } });
    expect((await request(sim, 'GET', '/v1/models')).json).toEqual({
      data: [{ id: 'qwen/qwen3-4b', object: 'model', owned_by: 'organization_owner' }],
      object: 'list',
    });
  });

  it('downloads over REST: job, status by path, completion adds the model', async () => {
    const sim = await simulator({ downloadBytesPerSecond: 20_000_000_000 });
    expect((await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'qwen/qwen3-4b' } })).json).toEqual({
      status: 'already_downloaded',
    });
    const started = (await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'qwen/qwen3-8b' } }))
      .json as { job_id: string; status: string; total_size_bytes: number; started_at: string };
    expect(started).toMatchObject({
      job_id: expect.stringMatching(/^job_/),
      status: 'downloading',
      total_size_bytes: 5_027_783_488,
    });
    const again = (await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'qwen/qwen3-8b' } })).json;
    expect(again).toMatchObject({ job_id: started.job_id });
    await expect
      .poll(async () => (await request(sim, 'GET', `/api/v1/models/download/status/${started.job_id}`)).json, {
        timeout: 5000,
      })
      .toMatchObject({
        job_id: started.job_id,
        status: 'completed',
        downloaded_bytes: 5_027_783_488,
        completed_at: expect.any(String),
      });
    expect(sim.state.models().map((m) => m.key)).toContain('qwen/qwen3-8b');
    expect(sim.state.downloads()).toMatchObject([{ id: started.job_id, status: 'completed', via: 'rest' }]);
    expect((await request(sim, 'GET', '/api/v1/models/download/status/job_nope')).status).toBe(404);
    expect((await request(sim, 'POST', '/api/v1/models/download', { body: { model: 'nobody/nothing' } })).status).toBe(
      404,
    );
  });

  it('logs the requests it saw', async () => {
    const sim = await simulator();
    await request(sim, 'GET', '/lmstudio-greeting');
    await request(sim, 'GET', '/api/v1/models');
    expect(sim.state.requests().map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /lmstudio-greeting',
      'GET /api/v1/models',
    ]);
  });
});
