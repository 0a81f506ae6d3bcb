/**
 * The JSON shapes LM Studio answers with, built from the simulator's state. Key order follows
 * real captures where the protocol file has one (it is not a contract, but faithful is kinder to
 * anyone reading a diff of recorded output).
 */
import type { InstanceStatus } from './control-protocol';
import type { Download, Instance } from './state';
import type { SimGeneration, SimModel } from './types';

/** The model's path under the models folder (`lms ls` reports it; 0.3.x matched and loaded by it). */
export function modelPath(model: SimModel): string {
  if (model.path) return model.path;
  const name = model.key.split('/').pop() ?? model.key;
  return `${model.publisher}/${name}-${model.format.toUpperCase()}/${name}-${model.quantization ?? 'model'}.${model.format === 'gguf' ? 'gguf' : 'safetensors'}`;
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible
// ---------------------------------------------------------------------------------------------

/** `GET /v1/models`: with JIT on every downloaded model (and custom identifiers), else only what is loaded. */
export function openAiModelList(models: SimModel[], instances: Instance[], jit: boolean) {
  const ids = jit ? models.map((m) => m.key) : [];
  for (const instance of instances) if (!ids.includes(instance.identifier)) ids.push(instance.identifier);
  return { data: ids.map((id) => ({ id, object: 'model', owned_by: 'organization_owner' })), object: 'list' };
}

/** The 404 body for an unknown `model` in an inference request (LM Studio 0.3.5 capture). */
export function modelNotFoundBody(requested: string, available: string[]) {
  return {
    error: {
      message: `Model "${requested}" not found. Please specify a valid model.\n\nYour models:\n\n${available.join('\n')}`,
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    },
  };
}

export const NO_MODELS_LOADED_BODY = {
  error: {
    message: "No models loaded. Please load a model in the developer page or use the 'lms load' command.",
  },
};

// ---------------------------------------------------------------------------------------------
// Native REST v0
// ---------------------------------------------------------------------------------------------

export function v0Model(model: SimModel, instances: Instance[]) {
  const loaded = instances.find((i) => i.modelKey === model.key);
  return {
    id: model.key,
    object: 'model',
    type: model.type === 'embedding' ? 'embeddings' : model.vision ? 'vlm' : 'llm',
    publisher: model.publisher,
    arch: model.architecture ?? null,
    compatibility_type: model.format,
    quantization: model.quantization,
    state: loaded ? 'loaded' : 'not-loaded',
    max_context_length: model.maxContextLength,
    ...(loaded ? { loaded_context_length: loaded.contextLength } : {}),
    ...(model.type === 'llm' ? { capabilities: model.toolUse ? ['tool_use'] : [] } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Native REST v1 (0.4+)
// ---------------------------------------------------------------------------------------------

export function v1Model(model: SimModel, instances: Instance[]) {
  const isLlm = model.type === 'llm';
  return {
    type: model.type,
    publisher: model.publisher,
    key: model.key,
    display_name: model.displayName,
    ...(isLlm && model.architecture ? { architecture: model.architecture } : {}),
    quantization: model.quantization ? { name: model.quantization, bits_per_weight: model.bitsPerWeight ?? 4 } : null,
    size_bytes: model.sizeBytes,
    params_string: model.paramsString,
    loaded_instances: instances
      .filter((i) => i.modelKey === model.key)
      .map((i) => ({ id: i.identifier, config: v1LoadConfig(model, i.contextLength) })),
    max_context_length: model.maxContextLength,
    format: model.format,
    ...(isLlm
      ? {
          capabilities: {
            vision: model.vision ?? false,
            trained_for_tool_use: model.toolUse ?? false,
            ...(model.reasoning
              ? {
                  reasoning: {
                    allowed_options: model.reasoning.allowedOptions,
                    default: model.reasoning.defaultOption,
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}

export function v1LoadConfig(model: SimModel, contextLength: number) {
  if (model.type === 'embedding') return { context_length: contextLength };
  return {
    context_length: contextLength,
    eval_batch_size: 512,
    parallel: 4,
    flash_attention: true,
    offload_kv_cache_to_gpu: true,
  };
}

/** A v1 error body: `{"error":{"type","message","param?"}}`. */
export function v1Error(type: string, message: string, param?: string) {
  return { error: { type, message, ...(param ? { param } : {}) } };
}

/** `GET /api/v1/models/download/status/:job_id`. A download the sim cancelled reads `failed` here. */
export function v1DownloadStatus(d: Download) {
  const downloading = d.status === 'downloading';
  const remaining = d.totalBytes - d.downloadedBytes;
  return {
    job_id: d.id,
    status: d.status === 'cancelled' ? 'failed' : d.status,
    ...(downloading ? { bytes_per_second: d.bytesPerSecond } : {}),
    ...(downloading && d.bytesPerSecond > 0
      ? { estimated_completion: new Date(Date.now() + (remaining / d.bytesPerSecond) * 1000).toISOString() }
      : {}),
    ...(d.completedAt !== null ? { completed_at: new Date(d.completedAt).toISOString() } : {}),
    total_size_bytes: d.totalBytes,
    downloaded_bytes: d.downloadedBytes,
    started_at: new Date(d.startedAt).toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// `lms ls --json` / `lms ps --json` (lmstudio-js ModelInfo / ModelInstanceInfo)
// ---------------------------------------------------------------------------------------------

function lmsModelBase(model: SimModel, generation: SimGeneration) {
  const path = modelPath(model);
  return {
    type: model.type,
    modelKey: model.key,
    format: model.format === 'mlx' ? 'safetensors' : 'gguf',
    displayName: model.displayName,
    publisher: model.publisher,
    path,
    sizeBytes: model.sizeBytes,
    indexedModelIdentifier: path,
    ...(generation === '0.4' ? { deviceIdentifier: null } : {}),
    ...(model.paramsString ? { paramsString: model.paramsString } : {}),
    ...(model.architecture ? { architecture: model.architecture } : {}),
    ...(model.quantization ? { quantization: { name: model.quantization, bits: model.bitsPerWeight ?? 4 } } : {}),
  };
}

function llmFlags(model: SimModel) {
  return model.type === 'llm' ? { vision: model.vision ?? false, trainedForToolUse: model.toolUse ?? false } : {};
}

export function lmsModelInfo(model: SimModel, generation: SimGeneration) {
  return { ...lmsModelBase(model, generation), ...llmFlags(model), maxContextLength: model.maxContextLength };
}

/** One `lms ps --json` entry, in the key order of a real capture. */
export function lmsInstanceInfo(
  model: SimModel,
  instance: Pick<Instance, 'identifier' | 'ttlMs' | 'lastUsedTime' | 'contextLength' | 'parallel'> & {
    status: InstanceStatus;
    queued: number;
  },
  generation: SimGeneration,
) {
  return {
    ...lmsModelBase(model, generation),
    identifier: instance.identifier,
    ttlMs: instance.ttlMs,
    lastUsedTime: instance.lastUsedTime,
    ...llmFlags(model),
    maxContextLength: model.maxContextLength,
    contextLength: instance.contextLength,
    status: instance.status,
    queued: instance.queued,
    parallel: instance.parallel,
  };
}
