/**
 * Every route the core calls on LM Studio, with a recorded good answer (protocol §1, §2, §5), how
 * the client is made to call it, and what a result the contract accepts looks like. The bad
 * answers (cases.ts) are derived from these samples, so a new route or a new field in a sample
 * grows the suite by itself: add a line here, nothing else.
 *
 * `server` is the LM Studio around the route: the other routes answer as that version does, which
 * is what makes the client reach this one (`/v1/chat/completions` is only tried by a server
 * without `/api/v1` and `/v1/responses`).
 */

import type { LmStudioClient } from '../../../electron/core/interfaces';
import type { LoadedInstance, ModelEntry } from '../../../electron/shared/contract';
import type { Behaviour, SeenRequest } from './hostile-server';

/** The LM Studio versions whose routes surround the one under test. */
export type ServerProfile =
  /** 0.4: every route. */
  | '0.4'
  /** 0.3.29+: no `/api/v1` (the HTTP-200 "Unexpected endpoint" answer). */
  | '0.3'
  /** Before 0.3.29: no `/api/v1`, no `/v1/responses`. */
  | '0.3.28'
  /** An OpenAI-compatible server behind a proxy: `/api/*` is a plain 404. */
  | 'openai-only';

/** What a route that the server lacks makes the call do. */
export type WhenMissing = { outcome: 'succeeds' } | { outcome: 'fails'; code: string; message: RegExp };

export interface Route {
  name: string;
  method: 'GET' | 'POST';
  /** Matches the request path. */
  pattern: RegExp;
  /** The recorded good answer (HTTP 200). */
  good: Record<string, unknown>;
  server: ServerProfile;
  /** The greeting is judged as a GreetingResult, never thrown; the others as a value or a CoreError. */
  kind: 'greeting' | 'api';
  /** Makes the client call the route (and whatever it calls first). */
  call(client: LmStudioClient, timeoutMs: number): Promise<unknown>;
  /** Problems with a result the call resolved with; empty when the contract accepts it. */
  check(result: unknown): string[];
  /** The outcome when this route answers a plain 404 (not there). */
  whenMissing?: WhenMissing;
  /** The message of a 404 with an error body, when the route is about one thing (model, instance, job). */
  notFound?: RegExp;
}

export const MODEL_KEY = 'qwen/qwen3-4b';
export const JOB_ID = 'job_493c7c9ded';

/** A 0.4 model list: an LLM with every field, loaded, and an embedding model (which omits some). */
export const V1_MODELS = {
  models: [
    {
      type: 'llm',
      publisher: 'qwen',
      key: MODEL_KEY,
      display_name: 'Qwen3 4B',
      architecture: 'qwen3',
      quantization: { name: 'Q4_K_M', bits_per_weight: 4 },
      size_bytes: 2_497_280_000,
      params_string: '4B',
      loaded_instances: [{ id: MODEL_KEY, config: { context_length: 8192, eval_batch_size: 512 } }],
      max_context_length: 32768,
      format: 'gguf',
      capabilities: {
        vision: false,
        trained_for_tool_use: true,
        reasoning: { allowed_options: ['on', 'off'], default: 'on' },
      },
      description: 'A small reasoning model.',
      variants: ['qwen/qwen3-4b@q4_k_m'],
      selected_variant: 'qwen/qwen3-4b@q4_k_m',
    },
    {
      type: 'embedding',
      publisher: 'nomic-ai',
      key: 'text-embedding-nomic-embed-text-v1.5',
      display_name: 'Nomic Embed Text v1.5',
      quantization: null,
      size_bytes: 84_106_624,
      params_string: null,
      loaded_instances: [],
      max_context_length: 2048,
      format: 'gguf',
    },
  ],
};

const V0_MODELS = {
  object: 'list',
  data: [
    {
      id: MODEL_KEY,
      object: 'model',
      type: 'llm',
      publisher: 'qwen',
      arch: 'qwen3',
      compatibility_type: 'gguf',
      quantization: 'Q4_K_M',
      state: 'loaded',
      max_context_length: 32768,
      loaded_context_length: 8192,
      capabilities: ['tool_use'],
    },
  ],
};

const OPENAI_MODELS = { data: [{ id: MODEL_KEY, object: 'model', owned_by: 'organization_owner' }], object: 'list' };

/** Problems with a ModelListing, field by field against the contract's types. */
function checkListing(result: unknown): string[] {
  const problems: string[] = [];
  const listing = result as { generation: unknown; models: unknown; loaded: unknown };
  if (!['v1', 'v0', 'openai'].includes(listing.generation as string)) problems.push('generation');
  if (!Array.isArray(listing.models)) return [...problems, 'models is not a list'];
  for (const model of listing.models as ModelEntry[]) problems.push(...checkModel(model));
  if (listing.loaded !== null) {
    if (!Array.isArray(listing.loaded)) problems.push('loaded is neither null nor a list');
    else for (const instance of listing.loaded as LoadedInstance[]) problems.push(...checkInstance(instance));
  }
  return problems;
}

function checkModel(model: ModelEntry): string[] {
  const problems: string[] = [];
  if (!isText(model.key)) problems.push('model key');
  if (!isText(model.displayName)) problems.push(`${model.key}: displayName`);
  if (!['llm', 'vlm', 'embedding'].includes(model.type)) problems.push(`${model.key}: type`);
  for (const field of ['publisher', 'format', 'quantization', 'paramsString'] as const) {
    if (model[field] !== null && !isText(model[field])) problems.push(`${model.key}: ${field}`);
  }
  for (const field of ['sizeBytes', 'maxContextLength'] as const) {
    if (!isCountOrNull(model[field])) problems.push(`${model.key}: ${field} = ${model[field]}`);
  }
  for (const field of ['vision', 'toolUse', 'reasoning'] as const) {
    if (typeof model[field] !== 'boolean') problems.push(`${model.key}: ${field}`);
  }
  if (!Array.isArray(model.loadedInstances)) problems.push(`${model.key}: loadedInstances`);
  else for (const instance of model.loadedInstances) problems.push(...checkInstance(instance));
  return problems;
}

function checkInstance(instance: LoadedInstance): string[] {
  const problems: string[] = [];
  if (!isText(instance.identifier)) problems.push('instance identifier');
  if (!isText(instance.modelKey)) problems.push('instance modelKey');
  for (const field of ['contextLength', 'sizeBytes', 'ttlMs', 'lastUsedTime'] as const) {
    if (!isCountOrNull(instance[field])) problems.push(`instance ${field} = ${instance[field]}`);
  }
  return problems;
}

function checkLoad(result: unknown): string[] {
  const { identifier, via } = result as { identifier: unknown; via: unknown };
  const problems: string[] = [];
  if (!isText(identifier)) problems.push(`identifier = ${String(identifier)}`);
  if (via !== 'rest' && via !== 'responses') problems.push(`via = ${String(via)}`);
  return problems;
}

function checkDownloadJob(result: unknown): string[] {
  const job = result as Record<string, unknown>;
  const problems: string[] = [];
  if (job.jobId !== null && !isText(job.jobId)) problems.push('jobId');
  if (!['downloading', 'paused', 'completed', 'failed', 'already_downloaded'].includes(job.status as string)) {
    problems.push(`status = ${String(job.status)}`);
  }
  for (const field of ['totalBytes', 'downloadedBytes', 'bytesPerSecond', 'etaSeconds']) {
    if (!isCountOrNull(job[field])) problems.push(`${field} = ${String(job[field])}`);
  }
  return problems;
}

const isText = (value: unknown) => typeof value === 'string' && value.trim() !== '';
/** A count the popup can show: a finite, non-negative number no larger than a double holds exactly. */
const isCountOrNull = (value: unknown) =>
  value === null || (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER);

const listModels = (client: LmStudioClient) => client.listModels();
const missingRestApi = (what: string): WhenMissing => ({
  outcome: 'fails',
  code: 'unavailable',
  message: new RegExp(`cannot ${what} over HTTP`),
});

export const ROUTES: readonly Route[] = [
  {
    name: 'greeting',
    method: 'GET',
    pattern: /^\/lmstudio-greeting$/,
    good: { lmstudio: true },
    server: '0.4',
    kind: 'greeting',
    call: (client, timeoutMs) => client.greet({ timeoutMs }),
    check: (result) => ((result as { kind: string }).kind === 'lmstudio' ? [] : ['not recognised']),
  },
  {
    name: 'models (/api/v1)',
    method: 'GET',
    pattern: /^\/api\/v1\/models$/,
    good: V1_MODELS,
    server: '0.4',
    kind: 'api',
    call: listModels,
    check: checkListing,
    whenMissing: { outcome: 'succeeds' }, // /api/v0 answers instead
  },
  {
    name: 'models (/api/v0)',
    method: 'GET',
    pattern: /^\/api\/v0\/models$/,
    good: V0_MODELS,
    server: '0.3',
    kind: 'api',
    call: listModels,
    check: checkListing,
    whenMissing: { outcome: 'succeeds' }, // /v1/models answers instead
  },
  {
    name: 'models (/v1/models)',
    method: 'GET',
    pattern: /^\/v1\/models$/,
    good: OPENAI_MODELS,
    server: 'openai-only',
    kind: 'api',
    call: listModels,
    check: checkListing,
    whenMissing: { outcome: 'fails', code: 'server-error', message: /offers none of LM Studio’s model lists/ },
  },
  {
    name: 'load (/api/v1/models/load)',
    method: 'POST',
    pattern: /^\/api\/v1\/models\/load$/,
    good: { type: 'llm', instance_id: MODEL_KEY, load_time_seconds: 3.2, status: 'loaded' },
    server: '0.4',
    kind: 'api',
    call: (client) => client.loadModel(MODEL_KEY, {}),
    check: checkLoad,
    whenMissing: { outcome: 'succeeds' }, // /v1/responses loads instead
    notFound: /^LM Studio has no model called qwen\/qwen3-4b\.$/,
  },
  {
    name: 'load (/v1/responses)',
    method: 'POST',
    pattern: /^\/v1\/responses$/,
    good: {
      id: 'resp_7f3a',
      object: 'response',
      created_at: 1_759_505_603,
      status: 'incomplete',
      model: MODEL_KEY,
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi' }] }],
      usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
    },
    server: '0.3',
    kind: 'api',
    call: (client) => client.loadModel(MODEL_KEY, {}),
    check: checkLoad,
    whenMissing: { outcome: 'succeeds' }, // a chat completion loads instead
    notFound: /^LM Studio has no model called qwen\/qwen3-4b\.$/,
  },
  {
    name: 'load (/v1/chat/completions)',
    method: 'POST',
    pattern: /^\/v1\/chat\/completions$/,
    good: {
      id: 'chatcmpl-8ne2',
      object: 'chat.completion',
      created: 1_759_505_603,
      model: MODEL_KEY,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
    },
    server: '0.3.28',
    kind: 'api',
    call: (client) => client.loadModel(MODEL_KEY, {}),
    check: checkLoad,
    whenMissing: { outcome: 'fails', code: 'unavailable', message: /cannot load models over HTTP/ },
    notFound: /^LM Studio has no model called qwen\/qwen3-4b\.$/,
  },
  {
    name: 'unload (/api/v1/models/unload)',
    method: 'POST',
    pattern: /^\/api\/v1\/models\/unload$/,
    good: { instance_id: MODEL_KEY },
    server: '0.4',
    kind: 'api',
    call: (client) => client.unloadModel(MODEL_KEY),
    check: (result) => (result === undefined ? [] : ['unload resolved with a value']),
    whenMissing: missingRestApi('unload models'),
    notFound: /^No model called qwen\/qwen3-4b is loaded in LM Studio\.$/,
  },
  {
    name: 'download (/api/v1/models/download)',
    method: 'POST',
    pattern: /^\/api\/v1\/models\/download$/,
    good: {
      job_id: JOB_ID,
      status: 'downloading',
      total_size_bytes: 2_279_145_003,
      started_at: '2025-10-03T15:33:23.496Z',
    },
    server: '0.4',
    kind: 'api',
    call: (client) => client.startDownload(MODEL_KEY),
    check: checkDownloadJob,
    whenMissing: missingRestApi('download models'),
    notFound: /^LM Studio found no model called qwen\/qwen3-4b to download\.$/,
  },
  {
    name: 'download status (/api/v1/models/download/status/:job)',
    method: 'GET',
    pattern: /^\/api\/v1\/models\/download\/status\/[^/]+$/,
    good: {
      job_id: JOB_ID,
      status: 'downloading',
      bytes_per_second: 52_428_800,
      estimated_completion: '2099-10-03T15:34:10.000Z',
      total_size_bytes: 2_279_145_003,
      downloaded_bytes: 1_048_576_000,
      started_at: '2025-10-03T15:33:23.496Z',
    },
    server: '0.4',
    kind: 'api',
    call: (client) => client.downloadStatus(JOB_ID),
    check: checkDownloadJob,
    whenMissing: missingRestApi('report downloads'),
    notFound: /^LM Studio has no download job job_493c7c9ded\.$/,
  },
];

/** LM Studio 0.3's answer to a route it does not have (HTTP 200, protocol §1). */
function unexpectedEndpoint(request: SeenRequest): Behaviour {
  const body = JSON.stringify({ error: `Unexpected endpoint or method. (${request.method} ${request.path})` });
  return { kind: 'answer', status: 200, body };
}

/** How a good server of `profile` answers `request`. */
export function goodAnswer(profile: ServerProfile, request: SeenRequest): Behaviour {
  const path = request.path;
  if (profile === 'openai-only' && path.startsWith('/api/')) {
    return {
      kind: 'answer',
      status: 404,
      body: `Cannot ${request.method} ${path}`,
      headers: { 'content-type': 'text/html' },
    };
  }
  if (profile !== '0.4' && path.startsWith('/api/v1/')) return unexpectedEndpoint(request);
  if (profile === '0.3.28' && path === '/v1/responses') return unexpectedEndpoint(request);
  const route = ROUTES.find((candidate) => candidate.method === request.method && candidate.pattern.test(path));
  return route ? { kind: 'answer', status: 200, body: JSON.stringify(route.good) } : unexpectedEndpoint(request);
}

/** Whether `request` is for `route`. */
export function isFor(route: Route, request: SeenRequest): boolean {
  return route.method === request.method && route.pattern.test(request.path);
}
