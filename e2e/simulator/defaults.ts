import type { SimCatalogEntry, SimModel } from './types';

/** Downloaded models by default: realistic keys and sizes, including a fuzzy-match trap (qwen3-4b vs qwen3-4b-2507). */
export const DEFAULT_MODELS: readonly SimModel[] = [
  {
    key: 'qwen/qwen3-4b',
    displayName: 'Qwen3 4B',
    publisher: 'qwen',
    type: 'llm',
    toolUse: true,
    reasoning: { allowedOptions: ['off', 'on'], defaultOption: 'on' },
    format: 'gguf',
    quantization: 'Q4_K_M',
    bitsPerWeight: 4,
    paramsString: '4B',
    sizeBytes: 2_497_280_256,
    maxContextLength: 40_960,
    architecture: 'qwen3',
    path: 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf',
  },
  {
    key: 'openai/gpt-oss-20b',
    displayName: 'OpenAI gpt-oss 20B',
    publisher: 'openai',
    type: 'llm',
    toolUse: true,
    reasoning: { allowedOptions: ['low', 'medium', 'high'], defaultOption: 'medium' },
    format: 'gguf',
    quantization: 'MXFP4',
    bitsPerWeight: 4,
    paramsString: '20B',
    sizeBytes: 12_109_566_560,
    maxContextLength: 131_072,
    architecture: 'gpt-oss',
    path: 'lmstudio-community/gpt-oss-20b-GGUF/gpt-oss-20b-MXFP4.gguf',
  },
  {
    key: 'google/gemma-3-12b',
    displayName: 'Gemma 3 12B',
    publisher: 'google',
    type: 'llm',
    vision: true,
    format: 'gguf',
    quantization: 'Q4_K_M',
    bitsPerWeight: 4,
    paramsString: '12B',
    sizeBytes: 8_149_190_253,
    maxContextLength: 131_072,
    architecture: 'gemma3',
    path: 'lmstudio-community/gemma-3-12b-it-GGUF/gemma-3-12b-it-Q4_K_M.gguf',
  },
  {
    key: 'text-embedding-nomic-embed-text-v1.5',
    displayName: 'Nomic Embed Text v1.5',
    publisher: 'nomic-ai',
    type: 'embedding',
    format: 'gguf',
    quantization: 'Q4_K_M',
    bitsPerWeight: 4,
    paramsString: null,
    sizeBytes: 84_106_624,
    maxContextLength: 2048,
    architecture: 'nomic-bert',
    path: 'nomic-ai/nomic-embed-text-v1.5-GGUF/nomic-embed-text-v1.5.Q4_K_M.gguf',
  },
  {
    key: 'qwen/qwen3-4b-2507',
    displayName: 'Qwen3 4B 2507',
    publisher: 'qwen',
    type: 'llm',
    toolUse: true,
    format: 'gguf',
    quantization: 'Q4_K_M',
    bitsPerWeight: 4,
    paramsString: '4B',
    sizeBytes: 2_497_281_600,
    maxContextLength: 262_144,
    architecture: 'qwen3',
    path: 'lmstudio-community/Qwen3-4B-Instruct-2507-GGUF/Qwen3-4B-Instruct-2507-Q4_K_M.gguf',
  },
];

/**
 * A downloadable model: a catalog key and the model it becomes once downloaded (a Q4_K_M GGUF
 * unless `extra` says otherwise; an embedding model when the key says "embed").
 */
export function simCatalogEntry(
  key: string,
  displayName: string,
  sizeBytes: number,
  extra: Partial<SimModel> = {},
): SimCatalogEntry {
  const publisher = key.includes('/') ? key.split('/')[0]! : 'lmstudio-community';
  return {
    key,
    sizeBytes,
    model: {
      key,
      displayName,
      publisher,
      type: key.includes('embed') ? 'embedding' : 'llm',
      format: 'gguf',
      quantization: 'Q4_K_M',
      bitsPerWeight: 4,
      paramsString: null,
      sizeBytes,
      maxContextLength: 32_768,
      ...extra,
    },
  };
}

function llm(
  key: string,
  displayName: string,
  sizeBytes: number,
  extra: Partial<SimModel> & Pick<SimModel, 'paramsString' | 'architecture' | 'maxContextLength'>,
): SimCatalogEntry {
  return simCatalogEntry(key, displayName, sizeBytes, { type: 'llm', ...extra });
}

/** Downloadable by default. At the default 2 GB/s most take 1.5-3 s; magistral-small ~7 s (handy for cancels). */
export const DEFAULT_CATALOG: readonly SimCatalogEntry[] = [
  llm('qwen/qwen3-8b', 'Qwen3 8B', 5_027_783_488, {
    paramsString: '8B',
    architecture: 'qwen3',
    maxContextLength: 40_960,
    toolUse: true,
  }),
  llm('google/gemma-3-4b', 'Gemma 3 4B', 3_341_081_120, {
    paramsString: '4B',
    architecture: 'gemma3',
    maxContextLength: 131_072,
    vision: true,
  }),
  llm('deepseek/deepseek-r1-0528-qwen3-8b', 'DeepSeek R1 0528 Qwen3 8B', 5_027_784_768, {
    paramsString: '8B',
    architecture: 'qwen3',
    maxContextLength: 131_072,
    reasoning: { allowedOptions: ['on'], defaultOption: 'on' },
  }),
  llm('microsoft/phi-4-mini-reasoning', 'Phi 4 Mini Reasoning', 2_491_874_080, {
    paramsString: '3.8B',
    architecture: 'phi3',
    maxContextLength: 131_072,
  }),
  llm('mistralai/magistral-small', 'Magistral Small', 14_333_911_424, {
    paramsString: '24B',
    architecture: 'mistral',
    maxContextLength: 131_072,
    toolUse: true,
  }),
  {
    key: 'https://huggingface.co/lmstudio-community/Qwen3-1.7B-GGUF',
    sizeBytes: 1_282_439_584,
    model: {
      key: 'qwen3-1.7b',
      displayName: 'Qwen3 1.7B',
      publisher: 'lmstudio-community',
      type: 'llm',
      toolUse: true,
      format: 'gguf',
      quantization: 'Q8_0',
      bitsPerWeight: 8,
      paramsString: '1.7B',
      sizeBytes: 1_282_439_584,
      maxContextLength: 40_960,
      architecture: 'qwen3',
    },
  },
];

/** The default download speed (bytes per second). */
export const DEFAULT_DOWNLOAD_BYTES_PER_SECOND = 2_000_000_000;
