/**
 * The simulator catalog the journeys download from: the app's own suggestions plus one model
 * that is only reachable by typing its key. Sizes are kept small and the download rate set so a
 * download takes several seconds: long enough to watch the bar rise and to cancel it.
 */
import { MODEL_SUGGESTIONS } from '../../electron/shared/suggestions';
import type { SimCatalogEntry, SimulatorOptions } from '../simulator/index';

function entry(key: string, displayName: string, sizeBytes: number): SimCatalogEntry {
  const [publisher = 'lmstudio-community'] = key.split('/');
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
    },
  };
}

export const TYPED_MODEL = 'ibm/granite-4-micro';

export const CATALOG: SimCatalogEntry[] = [
  ...MODEL_SUGGESTIONS.map((s) => entry(s.key, s.name, 600_000_000)),
  entry(TYPED_MODEL, 'Granite 4 Micro', 600_000_000),
];

/** About eight seconds a download. */
export const DOWNLOAD_OPTIONS: SimulatorOptions = { catalog: CATALOG, downloadBytesPerSecond: 75_000_000 };
