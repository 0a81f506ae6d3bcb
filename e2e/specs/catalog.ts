/**
 * The simulator catalog the journeys download from: the app's own suggestions plus one model
 * that is only reachable by typing its key. Sizes are kept small and the download rate set so a
 * download takes several seconds: long enough to watch the bar rise and to cancel it.
 */
import { MODEL_SUGGESTIONS } from '../../electron/shared/suggestions';
import { simCatalogEntry } from '../simulator/defaults';
import type { SimCatalogEntry, SimulatorOptions } from '../simulator/index';

export const TYPED_MODEL = 'ibm/granite-4-micro';

export const CATALOG: SimCatalogEntry[] = [
  ...MODEL_SUGGESTIONS.map((s) => simCatalogEntry(s.key, s.name, 600_000_000)),
  simCatalogEntry(TYPED_MODEL, 'Granite 4 Micro', 600_000_000),
];

/** About eight seconds a download, with a model loaded as on a typical day. */
export const DOWNLOAD_OPTIONS: SimulatorOptions = {
  catalog: CATALOG,
  downloadBytesPerSecond: 75_000_000,
  loaded: ['qwen/qwen3-4b'],
};
