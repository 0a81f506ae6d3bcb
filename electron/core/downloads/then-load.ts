/**
 * `Load when done` (issue 9): once a download chosen with it reaches `completed` or `already
 * downloaded`, the model is loaded. Which model, in order:
 *
 * 1. The row's `modelKey`: the key LM Studio resolved the download to (`lms get`'s plan line).
 * 2. The model that newly appears in the downloaded list, compared with the list as it was when
 *    the row first appeared (the text typed may be a URL or a loose name). Keys other rows
 *    already claim are not it; several left are narrowed by the text typed. Before this, a
 *    typed catalog key that is in the list wins: a model downloaded meanwhile in LM Studio's own
 *    window must not be taken for it (the REST path has no plan line).
 * 3. The text typed, when it is a plain catalog key (`owner/name`, an `@variant` stripped).
 *
 * Loads go through ModelService.load, where the exact-model rules live. A model that cannot be
 * told, or a load that fails, becomes one `load-failed` notification saying why.
 *
 * Driven by interfaces only: the supervisor's rows and final outcomes, the model service.
 */
import type { DownloadState, ModelsSnapshot } from '../../shared/contract';
import { isDownloadName } from '../../shared/model-names';
import { toCommandError } from '../errors';
import type { DownloadSupervisor, ModelService, PolicyInput } from '../interfaces';
import type { Logger } from '../ports';

export interface ThenLoadOptions {
  downloads: Pick<DownloadSupervisor, 'list' | 'onChange' | 'onFinished'>;
  models: Pick<ModelService, 'snapshot' | 'refresh' | 'load'>;
  notify: (input: PolicyInput) => void;
  logger: Logger;
}

/** Starts watching the downloads; returns the function that stops it. */
export function startThenLoad(options: ThenLoadOptions): () => void {
  const { downloads, models, notify, logger } = options;
  /**
   * The downloaded keys (lower case) when each `Load when done` row first appeared; null when
   * the list had not been read yet, so nothing can be said to be new.
   */
  const baselines = new Map<string, Set<string> | null>();

  function keysNow(): Set<string> | null {
    const snapshot = models.snapshot();
    return snapshot.updatedAt === null ? null : new Set(snapshot.models.map((model) => model.key.toLowerCase()));
  }

  function track(list: DownloadState[]): void {
    for (const row of list) if (row.loadWhenDone && !baselines.has(row.id)) baselines.set(row.id, keysNow());
    const ids = new Set(list.map((row) => row.id));
    for (const id of baselines.keys()) if (!ids.has(id)) baselines.delete(id);
  }

  async function loadFinished(download: DownloadState): Promise<void> {
    const baseline = baselines.get(download.id) ?? null;
    baselines.delete(download.id);
    let snapshot: ModelsSnapshot;
    try {
      snapshot = await models.refresh();
    } catch (error) {
      logger.warn(`Could not list the models after downloading ${download.model}`, error);
      snapshot = models.snapshot();
    }
    const found = whichModel(download, snapshot, baseline, downloads.list());
    if (found.key === null) {
      notify({ type: 'load-failed', modelKey: download.model, message: found.why });
      return;
    }
    try {
      await models.load(found.key);
    } catch (error) {
      notify({ type: 'load-failed', modelKey: found.key, message: toCommandError(error).message });
    }
  }

  track(downloads.list());
  const unsubscribers = [
    downloads.onChange(track),
    downloads.onFinished((download) => {
      if (!download.loadWhenDone) return;
      if (download.status !== 'completed' && download.status !== 'already-downloaded') return;
      loadFinished(download).catch((error: unknown) =>
        logger.error(`Load when done failed for ${download.model}`, error),
      );
    }),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
    baselines.clear();
  };
}

/** `owner/name` from a catalog key as typed (`Qwen/Qwen3-4B@q4_k_m` -> `qwen/qwen3-4b`), else null (a URL, a loose name). */
export function catalogKey(text: string): string | null {
  const target = text.trim();
  if (!isDownloadName(target)) return null;
  const name = target.split('@')[0]!;
  // lms lower-cases an `owner/name` target (lmstudio-protocol.md, `lms get`).
  return name.split('/').length === 2 ? name.toLowerCase() : null;
}

type Found = { key: string; why?: undefined } | { key: null; why: string };

/** The key to load for a finished download, or why none can be told. */
export function whichModel(
  download: DownloadState,
  snapshot: ModelsSnapshot,
  baseline: Set<string> | null,
  rows: DownloadState[],
): Found {
  const listed = (key: string) => asListed(key, snapshot);
  if (download.modelKey) return { key: listed(download.modelKey) };
  const typedKey = catalogKey(download.model);
  if (typedKey && snapshot.models.some((model) => model.key.toLowerCase() === typedKey)) {
    return { key: listed(typedKey) };
  }
  let several: string[] = [];
  if (baseline !== null) {
    const claimed = new Set(
      rows.filter((row) => row.id !== download.id && row.modelKey).map((row) => row.modelKey!.toLowerCase()),
    );
    const appeared = snapshot.models
      .map((model) => model.key)
      .filter((key) => !baseline.has(key.toLowerCase()) && !claimed.has(key.toLowerCase()));
    const narrowed = appeared.length > 1 ? narrowByText(appeared, download.model) : appeared;
    if (narrowed.length === 1) return { key: narrowed[0]! };
    several = appeared;
  }
  if (typedKey) return { key: listed(typedKey) };
  const why =
    several.length > 1
      ? `The download of ${download.model} finished, but several models appeared (${several.slice(0, 3).join(', ')}), so LM Studio Tray did not guess which to load. Load it from the list of downloaded models.`
      : `The download of ${download.model} finished, but LM Studio Tray could not tell which model it is, so it was not loaded. Load it from the list of downloaded models.`;
  return { key: null, why };
}

/** Among several new keys, those containing the typed text's last part (a loose `qwen3-4b`, a URL's repository), any case. */
function narrowByText(keys: string[], typed: string): string[] {
  const name = typed.trim().split('@')[0]!.split('/').filter(Boolean).at(-1)?.toLowerCase();
  return name ? keys.filter((key) => key.toLowerCase().includes(name)) : keys;
}

/** The key as the downloaded list spells it (LM Studio's keys may differ in case from what was typed). */
function asListed(key: string, snapshot: ModelsSnapshot): string {
  if (snapshot.models.some((model) => model.key === key)) return key;
  const same = snapshot.models.filter((model) => model.key.toLowerCase() === key.toLowerCase());
  return same.length === 1 ? same[0]!.key : key;
}
