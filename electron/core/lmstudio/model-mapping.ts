/**
 * Pure mappers from LM Studio's three model-listing shapes (protocol §1, §2) to the contract's
 * ModelEntry / LoadedInstance. They are lenient about extra or missing optional fields (the
 * API grows between versions) and strict about the envelope: a body that is not the expected
 * list is `null`, which the client reports as an unexpected answer.
 */
import type { LoadedInstance, ModelEntry, ModelType } from '../../shared/contract';

type Json = Record<string, unknown>;

/** `GET /api/v1/models` (LM Studio 0.4+): `{models:[...]}` with `loaded_instances`. */
export function mapV1Models(body: unknown): { models: ModelEntry[]; loaded: LoadedInstance[] } | null {
  if (!isObject(body) || !Array.isArray(body.models)) return null;
  const models: ModelEntry[] = [];
  for (const raw of body.models) {
    if (!isObject(raw)) continue;
    const key = text(raw.key);
    if (!key) continue;
    const capabilities = isObject(raw.capabilities) ? raw.capabilities : {};
    const sizeBytes = count(raw.size_bytes);
    const instances = Array.isArray(raw.loaded_instances) ? raw.loaded_instances : [];
    const loadedInstances: LoadedInstance[] = instances.filter(isObject).flatMap((instance) => {
      const identifier = text(instance.id);
      if (!identifier) return [];
      const config = isObject(instance.config) ? instance.config : {};
      return [loadedInstance(identifier, key, count(config.context_length), sizeBytes)];
    });
    const vision = capabilities.vision === true;
    const type: ModelType = raw.type === 'embedding' ? 'embedding' : vision ? 'vlm' : 'llm';
    models.push({
      key,
      displayName: text(raw.display_name) ?? key,
      publisher: text(raw.publisher),
      type,
      format: text(raw.format),
      quantization: isObject(raw.quantization) ? text(raw.quantization.name) : text(raw.quantization),
      paramsString: text(raw.params_string),
      sizeBytes,
      maxContextLength: count(raw.max_context_length),
      vision,
      toolUse: capabilities.trained_for_tool_use === true,
      // `reasoning` is an object of options when the model can reason, absent otherwise.
      reasoning:
        capabilities.reasoning !== undefined && capabilities.reasoning !== null && capabilities.reasoning !== false,
      loadedInstances,
    });
  }
  return { models, loaded: models.flatMap((m) => m.loadedInstances) };
}

/**
 * `GET /api/v0/models` (LM Studio 0.3.6+): `{data:[...]}` with `state`. One report says an id
 * may appear twice (a loaded and a not-loaded row), so rows with the same id are merged.
 */
export function mapV0Models(body: unknown): { models: ModelEntry[]; loaded: LoadedInstance[] } | null {
  if (!isObject(body) || !Array.isArray(body.data)) return null;
  const byKey = new Map<string, ModelEntry>();
  for (const raw of body.data) {
    if (!isObject(raw)) continue;
    const key = text(raw.id);
    if (!key) continue;
    const capabilities = Array.isArray(raw.capabilities) ? raw.capabilities : [];
    const type: ModelType =
      raw.type === 'embeddings' || raw.type === 'embedding' ? 'embedding' : raw.type === 'vlm' ? 'vlm' : 'llm';
    const entry: ModelEntry = byKey.get(key) ?? {
      key,
      displayName: key,
      publisher: text(raw.publisher),
      type,
      format: text(raw.compatibility_type),
      quantization: text(raw.quantization),
      paramsString: null,
      sizeBytes: null,
      maxContextLength: count(raw.max_context_length),
      vision: type === 'vlm',
      toolUse: capabilities.includes('tool_use'),
      reasoning: capabilities.includes('reasoning'),
      loadedInstances: [],
    };
    if (raw.state === 'loaded' && entry.loadedInstances.length === 0) {
      entry.loadedInstances.push(loadedInstance(key, key, count(raw.loaded_context_length), null));
    }
    byKey.set(key, entry);
  }
  const models = [...byKey.values()];
  return { models, loaded: models.flatMap((m) => m.loadedInstances) };
}

/**
 * `GET /v1/models` (OpenAI-compatible): ids only. It cannot say what is loaded (with JIT on it
 * lists every downloaded model), so callers get `loaded: null`. The type is a guess from the
 * id, since an embedding model must not be offered for chat.
 */
export function mapOpenAiModels(body: unknown): { models: ModelEntry[] } | null {
  if (!isObject(body) || !Array.isArray(body.data)) return null;
  const seen = new Set<string>();
  const models: ModelEntry[] = [];
  for (const raw of body.data) {
    const key = isObject(raw) ? text(raw.id) : null;
    if (!key || seen.has(key)) continue;
    seen.add(key);
    const slash = key.indexOf('/');
    models.push({
      key,
      displayName: key,
      publisher: slash > 0 ? key.slice(0, slash) : null,
      type: /embed/i.test(key) ? 'embedding' : 'llm',
      format: null,
      quantization: null,
      paramsString: null,
      sizeBytes: null,
      maxContextLength: null,
      vision: false,
      toolUse: false,
      reasoning: false,
      loadedInstances: [],
    });
  }
  return { models };
}

function loadedInstance(
  identifier: string,
  modelKey: string,
  contextLength: number | null,
  sizeBytes: number | null,
): LoadedInstance {
  return { identifier, modelKey, contextLength, ttlMs: null, lastUsedTime: null, activity: null, sizeBytes };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** A size or length as the popup can show it; beyond 2^53 no number is a real size. */
function count(value: unknown): number | null {
  return typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER ? value : null;
}
