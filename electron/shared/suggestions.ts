/**
 * A few catalog models shipped with the app, offered one click to download when the user has
 * none yet (or wants another). Keys are LM Studio catalog keys (`lms get --yes KEY`); sizes are
 * the default quantization's download size, for the row's label.
 */
export interface ModelSuggestion {
  key: string;
  name: string;
  sizeBytes: number;
  /** What it is good for, in a few words. */
  goodFor: string;
}

export const MODEL_SUGGESTIONS: readonly ModelSuggestion[] = [
  { key: 'qwen/qwen3-4b', name: 'Qwen3 4B', sizeBytes: 2_500_000_000, goodFor: 'Fast everyday chat on any laptop' },
  { key: 'google/gemma-3-12b', name: 'Gemma 3 12B', sizeBytes: 8_070_000_000, goodFor: 'Reads images as well as text' },
  { key: 'openai/gpt-oss-20b', name: 'gpt-oss 20B', sizeBytes: 12_110_000_000, goodFor: 'Reasoning and tool use' },
  {
    key: 'mistralai/devstral-small-2507',
    name: 'Devstral Small',
    sizeBytes: 14_330_000_000,
    goodFor: 'Coding agents',
  },
  {
    key: 'nomic-ai/nomic-embed-text-v1.5',
    name: 'Nomic Embed v1.5',
    sizeBytes: 84_000_000,
    goodFor: 'Embeddings for search and RAG',
  },
];
