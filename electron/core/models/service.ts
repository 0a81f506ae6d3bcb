/**
 * The downloaded and loaded models, and loading/unloading them (design brief §5).
 *
 * Listing: HTTP first (`client.listModels()`: `/api/v1`, `/api/v0`, then `/v1/models`).
 * - `/v1/models` cannot say what is loaded (with JIT on it lists every downloaded model). Then,
 *   when LM Studio is up and the local `lms` is available, `lms ls` + `lms ps` give both lists
 *   (`source: 'lms'`); otherwise the loaded list is empty with `source: 'openai'`, which the
 *   popup shows as "unknown". The periodic refresh reuses the last `lms` reading rather than
 *   spawning `lms` on a timer.
 * - `instanceDetails` adds `lms ps --json` (TTL, last use, activity), only while the server is
 *   online: `lms ps` would wake a LM Studio that has quit.
 * - `Server stopped` and `Authentication required` (LM Studio runs, its HTTP API will not serve
 *   us): with a local `lms`, the lists come from `lms ls` + `lms ps` (lms has its own key, and
 *   wakes nothing while LM Studio is up: checked right before each run), and loads, unloads go
 *   through it too. Loads only for keys `lms load` cannot confuse with another (see below).
 * - `Offline` (LM Studio not running): nothing is in memory, so the loaded list is emptied; the
 *   downloaded list stays, marked stale.
 *
 * Loading exactly the model the user clicked:
 * 1. REST `POST /api/v1/models/load` (exact; no progress, so `progress: null`).
 * 2. Without REST v1, `lms load --yes KEY` with its `NN%`, only when the key is unambiguous:
 *    `lms load` matches fuzzily and loads the first match, so no other downloaded key may
 *    contain it (`qwen/qwen3-4b` vs `qwen/qwen3-4b-2507`).
 * 3. Else the minimal `/v1/responses` request (LM Studio 0.3.x without `lms`).
 * Afterwards the lists are refreshed and the new instance checked. Decision: when LM Studio
 * loaded a different model than the one asked for, the wrong instance is unloaded again (the
 * user did not ask for it and it holds memory) and the load fails with a message that says so.
 * A remote server never gets the local `lms`.
 *
 * An unattended load (the keeper's: nobody clicked) takes exactly the options given, without the
 * defaults and without a TTL, and only a path that applies them all: REST v1, else `lms load`
 * for an unambiguous key with `lms daemon status` asked right before (it must not wake LM
 * Studio); never `/v1/responses`, whose JIT load comes back with a TTL and auto-evict.
 */
import { ambiguousLoadReason, LMS_ONLY_STATES, lmsLoadRival } from '../../shared/availability';
import type {
  ApiGeneration,
  LoadedInstance,
  LoadingState,
  LoadOptions,
  ModelEntry,
  ModelsSnapshot,
  ServerStatus,
} from '../../shared/contract';
import { CoreError } from '../errors';
import type { LmStudioClient, LmsCli, ModelService } from '../interfaces';
import type { Clock, Logger } from '../ports';

export interface ModelServiceOptions {
  client: () => LmStudioClient;
  lms: () => LmsCli | null;
  status: () => ServerStatus;
  clock: Clock;
  logger: Logger;
  /** The user's default load options (settings), under the ones given to `load`. */
  loadDefaults: () => LoadOptions;
}

const REST_UNSUPPORTED: Array<keyof LoadOptions> = ['gpuOffload', 'ttlSeconds'];
const RESPONSES_UNSUPPORTED: Array<keyof LoadOptions> = ['contextLength', 'gpuOffload', 'ttlSeconds'];

export function createModelService(options: ModelServiceOptions): ModelService {
  const { clock, logger } = options;
  let snapshot: ModelsSnapshot = { models: [], loaded: [], stale: false, updatedAt: null, source: null };
  /** The last `lms ls` + `lms ps` reading, reused when only `/v1/models` answers. */
  let lmsReading: { models: ModelEntry[]; loaded: LoadedInstance[] } | null = null;
  let httpGeneration: ApiGeneration | null = null;
  const loading = new Map<string, LoadingState>();
  const listeners = new Set<(snapshot: ModelsSnapshot) => void>();
  const loadingListeners = new Set<(loading: LoadingState[]) => void>();
  let inflight: { promise: Promise<ModelsSnapshot>; instanceDetails: boolean; client: LmStudioClient } | null = null;

  const loadingList = () => [...loading.values()].map((state) => ({ ...state }));
  const emitLoading = () => {
    const list = loadingList();
    for (const listener of loadingListeners) safely(() => listener(list));
  };

  function safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      logger.error('A models listener threw', error);
    }
  }

  /** The local `lms`, only while it may act: a remote server is not this machine's LM Studio. */
  function localLms(): LmsCli | null {
    return options.client().isLocal ? options.lms() : null;
  }

  /** The local `lms` when it is the only way in: LM Studio runs, but its HTTP API will not serve us. */
  function lmsOnly(): LmsCli | null {
    return LMS_ONLY_STATES.includes(options.status().state) ? localLms() : null;
  }

  /** Whether the lists now in hand are the last known rather than current. */
  function isStaleNow(): boolean {
    const { state } = options.status();
    if (state === 'online' || state === 'checking') return false;
    return lmsOnly() === null;
  }

  function publish(next: ModelsSnapshot): ModelsSnapshot {
    const { updatedAt: _a, ...before } = snapshot;
    const { updatedAt: _b, ...after } = next;
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    snapshot = next;
    // A periodic refresh that found nothing new is not an event (the page would redraw for nothing).
    if (changed) for (const listener of listeners) safely(() => listener(snapshot));
    return snapshot;
  }

  /**
   * Whether `lms` may run now without waking LM Studio. The monitor's "online" can be a few
   * hundred milliseconds old (it confirms a failure before declaring it), and LM Studio may
   * have quit since: a fresh greeting just before spawning narrows that window to milliseconds.
   */
  async function lmsMayRun(client: LmStudioClient): Promise<LmsCli | null> {
    const { state } = options.status();
    const lms = localLms();
    if (!lms) return null;
    if (state === 'online' || state === 'unauthorized') {
      const greeting = await client.greet({ timeoutMs: 1000 });
      // Its greeting, or its request for a token: either way LM Studio itself answered, so it is up.
      return greeting.kind === 'lmstudio' || greeting.kind === 'unauthorized' ? lms : null;
    }
    if (state === 'server-stopped') {
      // No server to greet: ask the daemon, which never wakes it.
      const daemon = await lms.daemonStatus().catch(() => null);
      return daemon?.running ? lms : null;
    }
    return null;
  }

  /** Both lists from `lms ls` + `lms ps` alone, while the HTTP API will not serve us. */
  async function readListsWithLms(client: LmStudioClient): Promise<ModelsSnapshot> {
    const lms = await lmsMayRun(client);
    if (!lms) {
      // LM Studio went away meanwhile: what we have is the last known.
      markStale();
      return snapshot;
    }
    const [models, loaded] = await Promise.all([lms.ls(), lms.ps()]);
    lmsReading = { models, loaded };
    if (options.client() !== client) return snapshot;
    if (options.status().lmStudioClosed) {
      markStale();
      return snapshot;
    }
    return publish({
      models: withInstances(models, loaded),
      loaded,
      stale: isStaleNow(),
      updatedAt: clock.now(),
      source: 'lms',
    });
  }

  function markStale(): void {
    // LM Studio not running: nothing is in memory, whatever was loaded before.
    if (options.status().lmStudioClosed) {
      if (snapshot.stale && snapshot.loaded.length === 0) return;
      publish({ ...snapshot, models: withInstances(snapshot.models, []), loaded: [], stale: true });
      return;
    }
    if (snapshot.stale) return;
    publish({ ...snapshot, stale: true });
  }

  async function readLists(instanceDetails: boolean): Promise<ModelsSnapshot> {
    const client = options.client();
    if (lmsOnly()) return readListsWithLms(client);
    const listing = await client.listModels();
    if (options.client() === client) httpGeneration = listing.generation;
    // `lms ps` only adds TTL and last use to loaded instances: with none loaded it has nothing to
    // add, and skipping it spares LM Studio an `lms` run that could wake it should it quit meanwhile.
    const wantsLms =
      listing.loaded === null ? instanceDetails || !lmsReading : instanceDetails && listing.loaded.length > 0;
    const lms = wantsLms ? await lmsMayRun(client) : null;
    let models = listing.models;
    let loaded = listing.loaded;
    let source: ModelsSnapshot['source'] = listing.generation;

    if (loaded === null) {
      if (lms) {
        try {
          const [lsModels, psLoaded] = await Promise.all([lms.ls(), lms.ps()]);
          lmsReading = { models: lsModels, loaded: psLoaded };
        } catch (error) {
          logger.warn('lms ls/ps failed; the loaded models are unknown', error);
        }
      }
      if (lmsReading && localLms()) {
        models = lmsReading.models;
        loaded = lmsReading.loaded;
        source = 'lms';
      } else {
        loaded = [];
      }
    } else if (instanceDetails && lms) {
      try {
        loaded = withDetails(loaded, await lms.ps());
      } catch (error) {
        logger.warn('lms ps failed; showing loaded models without TTL and last use', error);
      }
    } else {
      // Keep details read earlier (TTL, last use) for instances still loaded.
      loaded = withDetails(loaded, snapshot.loaded);
    }

    // The answers took a while: if the address changed meanwhile they are about another server,
    // and if the server went down meanwhile they are already the last known lists (and if
    // LM Studio quit meanwhile, nothing is loaded any more).
    if (options.client() !== client) return snapshot;
    if (options.status().lmStudioClosed) loaded = [];
    models = withInstances(models, loaded);
    return publish({ models, loaded, stale: isStaleNow(), updatedAt: clock.now(), source });
  }

  function refresh(refreshOptions: { instanceDetails?: boolean; fresh?: boolean } = {}): Promise<ModelsSnapshot> {
    const instanceDetails = refreshOptions.instanceDetails ?? false;
    const client = options.client();
    // Join a refresh already running unless this one needs more than it will give, the address
    // changed since it started (its answer would be the old server's), or the caller needs lists
    // read after this moment (checking a load that just finished).
    if (
      inflight &&
      !refreshOptions.fresh &&
      inflight.client === client &&
      (inflight.instanceDetails || !instanceDetails)
    ) {
      return inflight.promise;
    }
    const previous = inflight?.promise.catch(() => undefined);
    const promise = (async () => {
      await previous;
      try {
        return await readLists(instanceDetails);
      } catch (error) {
        // The lists could not be read (a bad answer, a timeout): what is shown is the last known,
        // even while the server itself is online, until a good answer brings them back.
        if (options.client() === client) markStale();
        throw error;
      }
    })();
    const entry = { promise, instanceDetails, client };
    inflight = entry;
    const clear = () => {
      if (inflight === entry) inflight = null;
    };
    promise.then(clear, clear);
    return promise;
  }

  // -------------------------------------------------------------------------------------------
  // Loading
  // -------------------------------------------------------------------------------------------

  /** True when `lms load --yes KEY` can only mean this model among the downloaded ones. */
  function isUnambiguousForLms(modelKey: string): boolean {
    if (!snapshot.models.some((model) => model.key === modelKey)) return false;
    return lmsLoadRival(modelKey, snapshot.models) === null;
  }

  /** The unattended load's path: false for REST v1, true for `lms load`; throws when neither may apply the options. */
  async function unattendedUsesLms(modelKey: string, merged: LoadOptions, lms: LmsCli | null): Promise<boolean> {
    const { state, apiGeneration } = options.status();
    if (apiGeneration === 'v1' && !lmsOnly() && unsupported(merged, 'rest').length === 0) return false;
    if (!lms) {
      throw new CoreError(
        'unavailable',
        apiGeneration === 'v1'
          ? `${modelKey} is kept with a GPU offload, which only lms load applies, and the local lms tool is not available here.`
          : `This LM Studio has no REST load (LM Studio 0.4 or later) and the local lms tool is not available here, so ${modelKey} cannot be loaded without a just-in-time load (which comes back with a TTL).`,
      );
    }
    if (snapshot.models.length === 0) await refresh().catch(() => undefined);
    if (!isUnambiguousForLms(modelKey)) {
      const rival = lmsLoadRival(modelKey, snapshot.models);
      throw new CoreError(
        'unavailable',
        rival
          ? ambiguousLoadReason(modelKey, rival, state)
          : `${modelKey} is not among the downloaded models lms lists. Download it first.`,
      );
    }
    const daemon = await lms.daemonStatus().catch(() => null);
    if (!daemon?.running) {
      throw new CoreError('unavailable', `LM Studio is not running, and it is not started just to load ${modelKey}.`);
    }
    return true;
  }

  async function load(
    modelKey: string,
    loadOptions: LoadOptions = {},
    request: { unattended?: boolean } = {},
  ): Promise<{ identifier: string }> {
    if (loading.has(modelKey)) throw new CoreError('invalid-input', `${modelKey} is already loading.`);
    const { ttlSeconds: _ttl, ...withoutTtl } = loadOptions;
    const merged: LoadOptions = request.unattended ? withoutTtl : { ...options.loadDefaults(), ...loadOptions };
    const client = options.client();
    const generation = options.status().apiGeneration;
    const lms = localLms();
    const onlyLms = lmsOnly();
    // Reserve the slot at once, so a double click cannot start a second load while we decide.
    const state: LoadingState = {
      modelKey,
      progress: null,
      via: 'rest',
      startedAt: clock.now(),
      unsupportedOptions: [],
    };
    loading.set(modelKey, state);

    try {
      const useLms = request.unattended
        ? await unattendedUsesLms(modelKey, merged, lms)
        : await attendedUsesLms(modelKey, lms, onlyLms, generation);
      let identifier: string;
      if (useLms && lms) {
        Object.assign(state, { via: 'lms', progress: 0, unsupportedOptions: [] });
        emitLoading();
        ({ identifier } = await lms.load(modelKey, merged, (progress) => {
          state.progress = progress;
          emitLoading();
        }));
      } else {
        const expected = !request.unattended && (generation === 'v0' || generation === 'openai') ? 'responses' : 'rest';
        Object.assign(state, { via: expected, unsupportedOptions: unsupported(merged, expected) });
        emitLoading();
        const result = await client.loadModel(modelKey, merged, { restOnly: request.unattended === true });
        identifier = result.identifier;
      }
      await verifyLoaded(modelKey, identifier, useLms ? lms : null);
      return { identifier };
    } finally {
      loading.delete(modelKey);
      emitLoading();
    }
  }

  /** The user's load: `lms load` when the HTTP API will not serve us or has no exact load, for an unambiguous key. */
  async function attendedUsesLms(
    modelKey: string,
    lms: LmsCli | null,
    onlyLms: LmsCli | null,
    generation: ApiGeneration | null,
  ): Promise<boolean> {
    let listError: unknown = null;
    if ((onlyLms || generation !== 'v1') && lms && snapshot.models.length === 0) {
      await refresh().catch((error: unknown) => {
        listError = error;
      });
    }
    if (onlyLms && !isUnambiguousForLms(modelKey)) {
      // The HTTP API (exact) will not serve us, and lms could load a neighbour: say so instead.
      const rival = lmsLoadRival(modelKey, snapshot.models);
      if (!rival && listError !== null) {
        // lms could not list them: that, not a missing download, is why nothing can be loaded.
        throw new CoreError(
          listError instanceof CoreError ? listError.code : 'lms-failed',
          `Could not list the downloaded models to load ${modelKey}: ${errorText(listError)}`,
        );
      }
      throw new CoreError(
        'unavailable',
        rival
          ? ambiguousLoadReason(modelKey, rival, options.status().state)
          : `${modelKey} is not among the downloaded models lms lists. Download it first.`,
      );
    }
    return lms !== null && (onlyLms !== null || (generation !== 'v1' && isUnambiguousForLms(modelKey)));
  }

  /** Refreshes and checks the instance is the requested model; unloads a wrong one (see above). */
  async function verifyLoaded(modelKey: string, identifier: string, lms: LmsCli | null): Promise<void> {
    let after: ModelsSnapshot;
    try {
      after = await refresh({ instanceDetails: true, fresh: true });
    } catch (error) {
      logger.warn(`Could not list models after loading ${modelKey}`, error);
      return;
    }
    const instance = after.loaded.find((candidate) => candidate.identifier === identifier);
    if (!instance) {
      // Only an authoritative list can say the load did not happen (`/v1/models` alone cannot).
      const missing = after.source !== 'openai' && !after.loaded.some((candidate) => candidate.modelKey === modelKey);
      if (missing) {
        throw new CoreError(
          'server-error',
          `LM Studio answered that ${modelKey} was loaded, but it is not among the loaded models. Try loading it again, or load it in LM Studio.`,
        );
      }
      return;
    }
    if (instance.modelKey === modelKey) return;
    logger.warn(`Asked for ${modelKey}, LM Studio loaded ${instance.modelKey} as ${identifier}`);
    try {
      await unloadInstance(identifier, lms);
      await refresh({ instanceDetails: true }).catch(() => undefined);
    } catch (error) {
      throw new CoreError(
        'lms-failed',
        `LM Studio loaded ${instance.modelKey} instead of ${modelKey}, and could not unload it (${errorText(error)}). Unload ${identifier} from the list.`,
      );
    }
    throw new CoreError(
      'lms-failed',
      `LM Studio loaded ${instance.modelKey} instead of ${modelKey}, so it was unloaded again. Load ${modelKey} from LM Studio itself.`,
    );
  }

  /** REST when the server has `/api/v1`, else the local `lms`; neither: say what to do. */
  async function unloadInstance(identifier: string, lms: LmsCli | null = localLms()): Promise<void> {
    const generation = options.status().apiGeneration;
    if ((generation === 'v1' && !lmsOnly()) || !lms) {
      await options.client().unloadModel(identifier);
      return;
    }
    await lms.unload(identifier);
  }

  return {
    snapshot: () => snapshot,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refresh,
    markStale,
    httpGeneration: () => httpGeneration,
    loading: loadingList,
    onLoadingChange(listener) {
      loadingListeners.add(listener);
      return () => loadingListeners.delete(listener);
    },
    load,
    async unload(identifier) {
      try {
        await unloadInstance(identifier);
      } finally {
        // Lists read after the unload: a refresh already running read them before it.
        await refresh({ instanceDetails: true, fresh: true }).catch((error: unknown) =>
          logger.warn('Refresh after unload failed', error),
        );
      }
    },
    async unloadAll() {
      const generation = options.status().apiGeneration;
      const lms = localLms();
      let count: number;
      try {
        if ((generation !== 'v1' || lmsOnly()) && lms) {
          count = await lms.unloadAll();
        } else {
          const current = await refresh();
          const identifiers = current.loaded.map((instance) => instance.identifier);
          for (const identifier of identifiers) await options.client().unloadModel(identifier);
          count = identifiers.length;
        }
      } finally {
        await refresh({ instanceDetails: true, fresh: true }).catch((error: unknown) =>
          logger.warn('Refresh after unload failed', error),
        );
      }
      return count;
    },
  };
}

/** Options the chosen path cannot apply, shown as unavailable rather than dropped silently. */
function unsupported(loadOptions: LoadOptions, via: 'rest' | 'responses'): Array<keyof LoadOptions> {
  const cannot = via === 'rest' ? REST_UNSUPPORTED : RESPONSES_UNSUPPORTED;
  return cannot.filter((option) => loadOptions[option] !== undefined);
}

/** Each model with the loaded instances of its key. */
function withInstances(models: ModelEntry[], loaded: LoadedInstance[]): ModelEntry[] {
  const byKey = new Map<string, LoadedInstance[]>();
  for (const instance of loaded) byKey.set(instance.modelKey, [...(byKey.get(instance.modelKey) ?? []), instance]);
  return models.map((model) => ({ ...model, loadedInstances: byKey.get(model.key) ?? [] }));
}

/** The HTTP list's instances with TTL, last use and activity from `lms ps` (or an earlier reading). */
function withDetails(loaded: LoadedInstance[], details: LoadedInstance[]): LoadedInstance[] {
  const byId = new Map(details.map((detail) => [detail.identifier, detail]));
  return loaded.map((instance) => {
    const detail = byId.get(instance.identifier);
    if (!detail) return instance;
    return {
      ...instance,
      ttlMs: detail.ttlMs ?? instance.ttlMs,
      lastUsedTime: detail.lastUsedTime ?? instance.lastUsedTime,
      activity: detail.activity ?? instance.activity,
      contextLength: instance.contextLength ?? detail.contextLength,
      sizeBytes: instance.sizeBytes ?? detail.sizeBytes,
    };
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
