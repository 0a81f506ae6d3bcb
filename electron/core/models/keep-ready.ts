/**
 * `Keep MODELKEY loaded`: kept models (settings.json's `keepLoaded`, shared with web mode) are
 * loaded again whenever the server is online and they are not: at start, when LM Studio or its
 * server starts, after an unload nobody asked for here (TTL, JIT auto-evict, a crash, LM Studio's
 * own window). It drives the ModelService and never fights anyone:
 *
 * - Only while the status is online, so it never wakes LM Studio; the load is unattended
 *   (models/service.ts): exactly the saved options, no TTL, REST v1 when it applies them all,
 *   else `lms load` for an unambiguous key after `lms daemon status`; never `/v1/responses`.
 * - One load at a time, also across the desktop app and web mode: a keeper claims the load in
 *   `keep-ready.json` beside settings.json, under that file's lock, after re-reading the kept
 *   list (the other process may have turned the switch off) and the loaded list (it may have
 *   loaded the model): a second load would make a `:2` instance. The claim, not the lock, spans
 *   the load: a lock older than a minute counts as abandoned, and loads can take longer. A claim
 *   whose process no longer runs (killed mid-load) holds nobody up.
 * - A failed load backs off 1, 2, 4 ... 30 minutes, with one notification per run of failures.
 * - Unloaded again within two minutes of its reload, twice in a row while LM Studio stayed up:
 *   something keeps evicting it, so the switch turns off, with a notification saying why.
 * - The user's Unload here turns the switch off (`userUnloaded`, before the unload runs).
 * - A server with only `/v1/models` cannot say what is loaded: `unavailable`, and says so.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { KeptModel, KeptModelState, LoadOptions, ModelsSnapshot } from '../../shared/contract';
import { toCommandError } from '../errors';
import type { HealthMonitor, KeepReady, ModelService, PolicyInput, SettingsStore } from '../interfaces';
import { isProcessAlive } from '../persistence/node-files';
import { createSharedFile } from '../persistence/shared-file';
import type { Clock, FileSystem, Logger } from '../ports';

/** The first wait after a failed load; each further failure doubles it, up to MAX_BACKOFF_MS. */
export const FIRST_BACKOFF_MS = 60_000;
export const MAX_BACKOFF_MS = 30 * 60_000;
/** Unloaded again this soon after the keeper's reload counts as a quick loss; two in a row turn the switch off. */
export const QUICK_LOSS_MS = 2 * 60_000;
export const QUICK_LOSSES_TO_GIVE_UP = 2;
/** A claim outlives the longest load (the client's load timeout is 10 min); a crashed keeper's claim expires. */
export const CLAIM_MS = 15 * 60_000;
/** How soon to look again while the other process's keeper is loading. */
export const CLAIMED_RETRY_MS = 30_000;
export const CLAIM_FILE_NAME = 'keep-ready.json';

export const UNAVAILABLE_MESSAGE =
  "This server offers only the OpenAI-compatible /v1/models, which cannot say what is loaded, so models cannot be kept loaded. Keeping a model loaded needs LM Studio's own API (LM Studio 0.3.x with /api/v0, or later).";
export const WAITING_MESSAGE = "Loads once LM Studio's server is online (LM Studio is never started just for this).";
const CLAIMED_MESSAGE = 'The other LM Studio Tray (desktop app or web mode) is loading a kept model.';

export interface KeepReadyOptions {
  models: ModelService;
  monitor: Pick<HealthMonitor, 'current' | 'onChange'>;
  /** `keepLoaded` is read here, followed through `onChange`, re-read before each load and saved through `update`. */
  settings: Pick<SettingsStore, 'get' | 'load' | 'update' | 'onChange'>;
  fs: FileSystem;
  /** Folder of settings.json; the claim file lives beside it. */
  configDir: string;
  clock: Clock;
  logger: Logger;
  notify(input: Extract<PolicyInput, { type: 'kept-model' }>): void;
  /** The keeper re-read or saved settings.json: the core applies and announces them (`settings:changed`). */
  settingsChanged?(): void;
  /**
   * This process's id, written into its claims, and whether a claim's process still runs: a
   * keeper killed mid-load leaves its claim behind, which must not hold the next keeper up until
   * it expires. Default: `process.pid` and signal 0 (persistence/node-files.ts).
   */
  claimant?: { pid: number; isAlive(pid: number): boolean };
}

interface Tracker {
  /** Failed loads in a row; the run's notification went out when `notified`. */
  failures: number;
  notified: boolean;
  /** No attempt before this (a back-off, or the other process's claim). */
  retryAt: number | null;
  message: string | null;
  /** Seen loaded in the last authoritative list: its absence now is an unload. */
  seenLoaded: boolean;
  /** When the keeper's last load of it finished, and the online session it finished in. */
  reloadedAt: number | null;
  reloadSession: number;
  quickLosses: number;
  /** The switch is being turned off: no load meanwhile. */
  stopping: boolean;
}

interface Claim {
  modelKey: string;
  owner: string;
  until: number;
  /** The claiming process (absent in claims written before it was recorded). */
  pid?: number;
}

type Decision =
  | { kind: 'go'; options: LoadOptions; owner: string }
  | { kind: 'loaded' | 'not-kept' | 'not-online' }
  | { kind: 'claimed' };

export function createKeepReady(options: KeepReadyOptions): KeepReady {
  const { models, monitor, settings, clock, logger } = options;
  const claimant = options.claimant ?? { pid: process.pid, isAlive: isProcessAlive };
  /** A claim that still holds: not expired, and its process still runs. */
  const holds = (held: Claim, now: number): boolean =>
    held.until > now && (held.pid === undefined || claimant.isAlive(held.pid));
  const claims = createSharedFile({ fs: options.fs, file: path.join(options.configDir, CLAIM_FILE_NAME), logger });
  const trackers = new Map<string, Tracker>();
  const listeners = new Set<(kept: KeptModelState[]) => void>();
  const unsubscribers: Array<() => void> = [];
  let started = false;
  /** An attempt (claim, load, release) is running: one at a time. */
  let busy = false;
  let loadingKey: string | null = null;
  /** Counts the times the server left online: a loss in the same session as the reload is LM Studio's doing while up. */
  let session = 0;
  let timer: unknown = null;
  let published = '';

  const keptList = (): KeptModel[] => settings.get().keepLoaded;

  function tracker(modelKey: string): Tracker {
    let found = trackers.get(modelKey);
    if (!found) {
      found = {
        failures: 0,
        notified: false,
        retryAt: null,
        message: null,
        seenLoaded: false,
        reloadedAt: null,
        reloadSession: 0,
        quickLosses: 0,
        stopping: false,
      };
      trackers.set(modelKey, found);
    }
    return found;
  }

  /** Only `/v1/models` answers: with JIT it lists every downloaded model, so "loaded" cannot be told. */
  const unavailable = (): boolean => models.httpGeneration() === 'openai' || models.snapshot().source === 'openai';
  const isLoaded = (snapshot: ModelsSnapshot, modelKey: string): boolean =>
    snapshot.loaded.some((instance) => instance.modelKey === modelKey);

  function stateOf(kept: KeptModel): KeptModelState {
    const t = tracker(kept.modelKey);
    const online = monitor.current().state === 'online';
    const base = { modelKey: kept.modelKey, options: kept.options, message: null, nextAttemptAt: null };
    if (online && unavailable()) return { ...base, state: 'unavailable', message: UNAVAILABLE_MESSAGE };
    if (loadingKey === kept.modelKey) return { ...base, state: 'loading' };
    if (isLoaded(models.snapshot(), kept.modelKey)) return { ...base, state: 'ready' };
    if (!online) return { ...base, state: 'waiting', message: WAITING_MESSAGE };
    if (t.failures > 0 && t.retryAt !== null && t.retryAt > clock.now()) {
      return { ...base, state: 'backing-off', message: t.message, nextAttemptAt: t.retryAt };
    }
    if (loadingKey !== null)
      return { ...base, state: 'waiting', message: `Loads after ${loadingKey} (one load at a time).` };
    return { ...base, state: 'waiting', message: t.message };
  }

  const list = (): KeptModelState[] => keptList().map(stateOf);

  function publish(): void {
    const kept = list();
    const text = JSON.stringify(kept);
    if (text === published) return;
    published = text;
    for (const listener of listeners) {
      try {
        listener(kept);
      } catch (error) {
        logger.error('A kept-models listener threw', error);
      }
    }
  }

  function clearTimer(): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  }

  /** Starts the next load that is due, or sets a timer for the next back-off's end. */
  function pump(): void {
    publish();
    if (!started || busy) return;
    clearTimer();
    if (monitor.current().state !== 'online' || unavailable()) return;
    const now = clock.now();
    const snapshot = models.snapshot();
    // The user's own load of a kept model: it is theirs to finish.
    const userLoading = new Set(models.loading().map((load) => load.modelKey));
    let nextAt: number | null = null;
    for (const kept of keptList()) {
      const t = tracker(kept.modelKey);
      if (t.stopping || userLoading.has(kept.modelKey) || isLoaded(snapshot, kept.modelKey)) continue;
      if (t.retryAt !== null && t.retryAt > now) {
        nextAt = nextAt === null ? t.retryAt : Math.min(nextAt, t.retryAt);
        continue;
      }
      void attempt(kept.modelKey);
      return;
    }
    if (nextAt !== null) {
      timer = clock.setTimeout(() => {
        timer = null;
        pump();
      }, nextAt - now);
    }
  }

  /** Re-reads settings.json (the other process may have changed the kept list) and says so when it changed. */
  async function reloadSettings(): Promise<void> {
    const before = JSON.stringify(settings.get());
    await settings.load();
    if (JSON.stringify(settings.get()) !== before) {
      forgetUnkept();
      options.settingsChanged?.();
    }
  }

  /** Under the claim file's lock: still kept, nobody loading, not loaded now? Then claim it. */
  function claim(modelKey: string): Promise<Decision> {
    return claims.locked(async (file): Promise<Decision> => {
      await reloadSettings();
      const kept = keptList().find((candidate) => candidate.modelKey === modelKey);
      if (!kept || tracker(modelKey).stopping) return { kind: 'not-kept' };
      const now = clock.now();
      const live = parseClaims(await file.read()).filter((held) => holds(held, now));
      if (live.length > 0) return { kind: 'claimed' };
      // Read after the other keeper's load (if any) finished: it released its claim only then.
      const snapshot = await models.refresh({ fresh: true });
      if (monitor.current().state !== 'online' || unavailable()) return { kind: 'not-online' };
      if (isLoaded(snapshot, modelKey)) return { kind: 'loaded' };
      const owner = randomBytes(8).toString('hex');
      const claimed: Claim = { modelKey, owner, until: now + CLAIM_MS, pid: claimant.pid };
      await file.write(`${JSON.stringify({ loading: [claimed] })}\n`);
      return { kind: 'go', options: kept.options, owner };
    });
  }

  async function release(owner: string): Promise<void> {
    try {
      await claims.locked(async (file) => {
        const now = clock.now();
        const rest = parseClaims(await file.read()).filter((held) => held.owner !== owner && holds(held, now));
        await file.write(`${JSON.stringify({ loading: rest })}\n`);
      });
    } catch (error) {
      // The claim expires on its own; the other keeper waits for it until then.
      logger.warn(`Could not release the kept-model claim in ${claims.path}`, error);
    }
  }

  async function attempt(modelKey: string): Promise<void> {
    busy = true;
    const t = tracker(modelKey);
    try {
      const decision = await claim(modelKey);
      if (decision.kind === 'claimed') {
        t.retryAt = clock.now() + CLAIMED_RETRY_MS;
        t.message = CLAIMED_MESSAGE;
      } else if (decision.kind === 'go') {
        loadingKey = modelKey;
        publish();
        try {
          await models.load(modelKey, decision.options, { unattended: true });
          loaded(t);
        } catch (error) {
          failed(modelKey, t, toCommandError(error).message);
        } finally {
          // Still `loading` until the claim is released: the other keeper may go on only then.
          await release(decision.owner);
          loadingKey = null;
        }
      } else if (decision.kind === 'loaded') {
        t.seenLoaded = true;
      }
    } catch (error) {
      // The claim file or the lists could not be read: try again later, quietly.
      logger.warn(`Could not check whether ${modelKey} needs loading`, error);
      t.retryAt = clock.now() + CLAIMED_RETRY_MS;
      t.message = toCommandError(error).message;
    } finally {
      busy = false;
      pump();
    }
  }

  function loaded(t: Tracker): void {
    Object.assign(t, { failures: 0, notified: false, retryAt: null, message: null, seenLoaded: true });
    t.reloadedAt = clock.now();
    t.reloadSession = session;
  }

  function failed(modelKey: string, t: Tracker, message: string): void {
    // LM Studio went away during the load: that is waiting, not a failure.
    if (monitor.current().state !== 'online') return;
    t.failures += 1;
    const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (t.failures - 1));
    t.retryAt = clock.now() + delay;
    t.message = `The last load failed: ${message}`;
    logger.warn(`Could not load kept model ${modelKey} (failure ${t.failures}); next try in ${delay / 60_000} min`);
    if (t.notified) return;
    t.notified = true;
    options.notify({
      type: 'kept-model',
      modelKey,
      title: `Could not load ${modelKey}`,
      message: `${message} It is kept loaded, so it is tried again in 1 minute, then less often (up to every 30 minutes).`,
    });
  }

  /** A list that says what is loaded now: LM Studio's own API, online, read just now. */
  function observe(snapshot: ModelsSnapshot): void {
    if (monitor.current().state !== 'online' || snapshot.stale || unavailable()) return;
    for (const kept of keptList()) {
      const t = tracker(kept.modelKey);
      if (isLoaded(snapshot, kept.modelKey)) {
        // Loaded, by us or by anyone: a run of failures is over.
        if (!t.seenLoaded && t.failures > 0)
          Object.assign(t, { failures: 0, notified: false, retryAt: null, message: null });
        t.seenLoaded = true;
        continue;
      }
      if (!t.seenLoaded || loadingKey === kept.modelKey) continue;
      t.seenLoaded = false;
      // An unload nobody asked for here: TTL, auto-evict, a crash, LM Studio's own window.
      const quick = t.reloadedAt !== null && t.reloadSession === session && clock.now() - t.reloadedAt < QUICK_LOSS_MS;
      t.quickLosses = quick ? t.quickLosses + 1 : 0;
      t.reloadedAt = null;
      if (t.quickLosses >= QUICK_LOSSES_TO_GIVE_UP) void giveUp(kept.modelKey);
    }
  }

  async function giveUp(modelKey: string): Promise<void> {
    tracker(modelKey).stopping = true;
    try {
      await saveKept((list) => list.filter((kept) => kept.modelKey !== modelKey));
      options.notify({
        type: 'kept-model',
        modelKey,
        title: `Stopped keeping ${modelKey} loaded`,
        message: `${modelKey} was unloaded again within 2 minutes of being reloaded, twice in a row, while LM Studio stayed up: something there (a TTL, auto-evict, or another app) keeps unloading it. Its Keep loaded switch is now off; turn it on again in its load options.`,
      });
    } catch (error) {
      tracker(modelKey).stopping = false;
      logger.error(`Could not turn off Keep ${modelKey} loaded`, error);
    }
    pump();
  }

  /** Changes the kept list from a fresh read of settings.json, under the claim file's lock (both keepers change it). */
  async function saveKept(change: (list: KeptModel[]) => KeptModel[]): Promise<void> {
    await claims.locked(async () => {
      await reloadSettings();
      const before = keptList();
      const next = change(before);
      if (JSON.stringify(next) === JSON.stringify(before)) return;
      await settings.update({ keepLoaded: next });
    });
    forgetUnkept();
    options.settingsChanged?.();
  }

  /** Trackers of models no longer kept are dropped: a switch turned on again starts afresh. */
  function forgetUnkept(): void {
    const keys = new Set(keptList().map((kept) => kept.modelKey));
    for (const key of trackers.keys()) if (!keys.has(key)) trackers.delete(key);
  }

  return {
    list,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async set(modelKey, keep, keptOptions) {
      // A TTL would have LM Studio unload what the keeper keeps loaded: never saved.
      const { ttlSeconds: _ttl, ...withoutTtl } = keptOptions;
      trackers.delete(modelKey);
      await saveKept((current) => {
        const others = current.filter((kept) => kept.modelKey !== modelKey);
        return keep ? [...others, { modelKey, options: withoutTtl }] : others;
      });
      pump();
      return list();
    },
    async userUnloaded(modelKeys) {
      const kept = new Set(keptList().map((entry) => entry.modelKey));
      const off = [...new Set(modelKeys)].filter((key) => kept.has(key));
      if (off.length === 0) return [];
      // At once, before the save: the unload that follows must not look like an eviction.
      for (const key of off) tracker(key).stopping = true;
      try {
        await saveKept((current) => current.filter((entry) => !off.includes(entry.modelKey)));
      } catch (error) {
        for (const key of off) tracker(key).stopping = false;
        throw error;
      }
      pump();
      return off;
    },
    start() {
      if (started) return;
      started = true;
      unsubscribers.push(
        monitor.onChange((status, previous) => {
          if (previous.state === 'online' && status.state !== 'online') session += 1;
          if (status.state === 'online' && previous.state !== 'online') {
            // LM Studio or its server (re)started: what the last session could not load may load
            // now, and a switch the other process turned on meanwhile is in settings.json.
            for (const t of trackers.values()) t.retryAt = null;
            reloadSettings()
              .catch((error: unknown) => logger.warn('Could not re-read the kept models', error))
              .finally(pump);
          }
          pump();
        }),
        models.onChange((snapshot) => {
          observe(snapshot);
          pump();
        }),
        models.onLoadingChange(() => pump()),
        settings.onChange(() => {
          forgetUnkept();
          pump();
        }),
      );
      pump();
    },
    stop() {
      started = false;
      clearTimer();
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
    },
  };
}

/** The claims in keep-ready.json; a missing or damaged file holds none (a claim only ever delays a load). */
function parseClaims(text: string | null): Claim[] {
  if (text === null) return [];
  try {
    const raw = JSON.parse(text) as { loading?: unknown };
    if (!Array.isArray(raw.loading)) return [];
    return raw.loading.filter(
      (held): held is Claim =>
        typeof held === 'object' &&
        held !== null &&
        typeof held.modelKey === 'string' &&
        typeof held.owner === 'string' &&
        typeof held.until === 'number' &&
        (held.pid === undefined || Number.isSafeInteger(held.pid)),
    );
  } catch {
    return [];
  }
}
