/**
 * The popup's one store: everything the core has told us (snapshot, then events) plus what the
 * page itself tracks (errors to show, commands in flight, which view is open).
 *
 * It only talks to a `Bridge`, so it cannot tell Electron from web mode, and tests give it a fake.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  ActivitySnapshot,
  AppSnapshot,
  Bridge,
  CommandError,
  CommandName,
  CommandRequest,
  CommandResponse,
  DiskSpaceAnswer,
  DownloadState,
  EstimateAnswer,
  EventName,
  EventPayloads,
  KeptModelState,
  LoadingState,
  LoadOptions,
  MemoryEstimate,
  ModelsSnapshot,
  Result,
  ServerStatus,
  SettingsPatch,
  SettingsView,
  SystemMemory,
} from '../../electron/shared/contract';

/** An error shown in the page's alert list until the user dismisses it. */
export interface TrayError {
  id: number;
  message: string;
  code: CommandError['code'] | 'transport';
}

export type TrayView = 'main' | 'settings';

/** A load the last estimate says LM Studio's guardrails will refuse, waiting for `Load MODELKEY anyway?`. */
export interface LoadToConfirm {
  modelKey: string;
  options: LoadOptions | undefined;
  estimate: MemoryEstimate;
  memory: SystemMemory | null;
}

/**
 * Where `estimates` keeps the estimate for a model and options: the context length and GPU offload
 * (a TTL changes nothing in memory).
 */
export const estimateKey = (modelKey: string, options: LoadOptions = {}): string =>
  JSON.stringify([modelKey, options.contextLength, options.gpuOffload]);

/** An estimate's answer as the page shows it: a refused command has no memory figures. */
export type EstimateView = Omit<EstimateAnswer, 'memory'> & { memory: SystemMemory | null };

export interface TrayState {
  /** Null until the first snapshot: the header then says "Checking". */
  status: ServerStatus | null;
  models: ModelsSnapshot | null;
  downloads: DownloadState[];
  loading: LoadingState[];
  /** The models kept loaded (`Keep MODELKEY loaded`) and how each is doing. */
  kept: KeptModelState[];
  /** What is generating, from `lms log stream` (null until the first snapshot). */
  activity: ActivitySnapshot | null;
  /** The models folder's free space as last asked (`downloads:disk-space`), or null before the first answer. */
  disk: DiskSpaceAnswer | null;
  /**
   * The last estimate per model and options (`estimateKey`), for `Load MODELKEY anyway?`. Forgotten
   * when the loaded set changes: what else is in memory decides the guardrails' verdict.
   */
  estimates: Record<string, MemoryEstimate | null>;
  /** The load waiting for the user's answer in `Load MODELKEY anyway?`, if any. */
  confirmLoad: LoadToConfirm | null;
  /** A polite message about the user's last action (a Keep switch their unload turned off), or null. */
  notice: string | null;
  settings: SettingsView | null;
  app: AppSnapshot['app'] | null;
  /** Why the first snapshot could not be read, if it could not. */
  snapshotError: string | null;
  errors: TrayError[];
  /** Keys of user actions still waiting for their answer (see `pendingKey`), to disable their buttons. */
  pending: Record<string, true>;
  view: TrayView;
}

export interface TrayActions {
  /** Subscribes to every event, then reads the snapshot. Returns the function that unsubscribes. */
  start(): () => void;
  /** Reads the snapshot again (after a failed first read). */
  reload(): Promise<void>;
  startServer(): Promise<void>;
  refresh(): Promise<void>;
  /**
   * Loads a model, unless the last estimate for these options says LM Studio's guardrails will
   * refuse it: then it asks first (`confirmLoad`). `anyway` is the user's `Try anyway`.
   */
  load(modelKey: string, options?: LoadOptions, anyway?: boolean): Promise<void>;
  /** Closes `Load MODELKEY anyway?` without loading. */
  cancelLoad(): void;
  unload(identifier: string): Promise<void>;
  unloadAll(): Promise<void>;
  /** `model` must already be valid (model-names.ts checkDownloadTarget): the form refuses invalid input itself. */
  download(model: string, options?: { loadWhenDone?: boolean }): Promise<boolean>;
  /** Asks for the models folder's free space again (when Get models shows, and after downloads change). */
  readDiskSpace(): Promise<void>;
  /** Turns `Keep MODELKEY loaded` on (with these options) or off. */
  keep(modelKey: string, keep: boolean, options?: LoadOptions): Promise<void>;
  /**
   * The memory estimate for a model and the options it depends on (no TTL); a refused command is
   * the answer's reason, not an alert.
   */
  estimate(modelKey: string, options: LoadOptions): Promise<EstimateView>;
  dismissNotice(): void;
  cancelDownload(id: string): Promise<void>;
  retryDownload(id: string): Promise<void>;
  dismissDownload(id: string): Promise<void>;
  /**
   * Saves a settings patch. Returns the result so a form can show the error beside its fields
   * instead of in the page's alert list.
   */
  updateSettings(patch: SettingsPatch): Promise<Result<SettingsView>>;
  dismissError(id: number): void;
  showView(view: TrayView): void;
  /**
   * Sends a command whose answer the caller shows where it belongs (the memory meter, the
   * diagnostics buttons): a refusal is returned, not added to the page's alerts.
   */
  ask<C extends CommandName>(name: C, payload?: CommandRequest<C>): Promise<Result<CommandResponse<C>>>;
  /** Escape reached the page unhandled: asks to close the popup (the desktop hides it; web mode ignores it). */
  dismissPopup(): void;
}

export type TrayStore = StoreApi<TrayState & TrayActions>;

/** Keys for `pending`, one per button a user can press and wait on. */
export const pendingKey = {
  startServer: 'server:start',
  load: (modelKey: string) => `load:${modelKey}`,
  unload: (identifier: string) => `unload:${identifier}`,
  unloadAll: 'unload-all',
  download: (model: string) => `download:${model}`,
  keep: (modelKey: string) => `keep:${modelKey}`,
  downloadRow: (id: string) => `download-row:${id}`,
  settings: 'settings',
} as const;

/** What an unload that turned Keep switches off says: the user's unload wins, and they should know. */
export function keepTurnedOffNotice(modelKeys: readonly string[]): string | null {
  if (modelKeys.length === 0) return null;
  const one = modelKeys.length === 1;
  const switches = modelKeys.map((key) => `Keep ${key} loaded`).join(', ');
  return `${switches} ${one ? 'is' : 'are'} now off: you unloaded ${one ? 'it' : 'them'}.`;
}

const TRANSPORT_FAILURE =
  'Lost contact with the tray app. If it was closed, start it again; otherwise try once more in a moment.';

/**
 * Structural equality of two JSON values (what the core sends). An event or snapshot that repeats
 * what the page already shows keeps the old objects, so nothing re-renders for it.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  return aKeys.every((key) => Object.hasOwn(bRecord, key) && sameData(aRecord[key], bRecord[key]));
}

/** The part of the state a snapshot sets. */
type SnapshotFields = Pick<
  TrayState,
  'status' | 'models' | 'downloads' | 'loading' | 'kept' | 'activity' | 'settings' | 'app'
>;

/**
 * Creates the store for one bridge. Call `start()` once at start-up. `firstSnapshot` is one the
 * page already has (web mode ships it inside the page): the first render shows it at once, and
 * `start()` still reads a fresh one, which re-renders only what changed since.
 */
export function createTrayStore(bridge: Bridge, firstSnapshot: AppSnapshot | null = null): TrayStore {
  let nextErrorId = 1;

  return createStore<TrayState & TrayActions>()((set, get) => {
    /** Sets only the fields whose value differs from the current one: a repeat notifies no one. */
    const setChanged = (patch: Partial<TrayState>): void => {
      const state = get();
      const changed: Partial<TrayState> = {};
      for (const key of Object.keys(patch) as Array<keyof TrayState>) {
        if (!sameData(state[key], patch[key])) Object.assign(changed, { [key]: patch[key] });
      }
      if (Object.keys(changed).length > 0) set(changed);
    };

    const pushError = (error: Pick<TrayError, 'message' | 'code'>): void => {
      // The same failure twice in a row (a user clicking again) is one alert, not a stack.
      if (get().errors.some((e) => e.message === error.message)) return;
      set((s) => ({ errors: [...s.errors, { id: nextErrorId++, ...error }] }));
    };

    const setPending = (key: string, on: boolean): void => {
      set((s) => {
        const pending = { ...s.pending };
        if (on) pending[key] = true;
        else delete pending[key];
        return { pending };
      });
    };

    /** Invokes a command; a refused command or a broken transport becomes an alert. */
    async function run<C extends CommandName>(
      name: C,
      payload: CommandRequest<C> | undefined,
      options: { key?: string; quiet?: boolean } = {},
    ): Promise<Result<CommandResponse<C>>> {
      if (options.key) setPending(options.key, true);
      let result: Result<CommandResponse<C>>;
      try {
        result = await bridge.invoke(name, payload);
      } catch (error) {
        const detail = error instanceof Error && error.message ? ` (${error.message})` : '';
        result = { ok: false, error: { code: 'internal', message: `${TRANSPORT_FAILURE}${detail}` } };
        if (!options.quiet) pushError({ code: 'transport', message: result.error.message });
        return result;
      } finally {
        if (options.key) setPending(options.key, false);
      }
      if (!result.ok && !options.quiet) pushError(result.error);
      return result;
    }

    const upsertDownload = (download: DownloadState, replace: boolean): void => {
      set((s) => {
        const index = s.downloads.findIndex((d) => d.id === download.id);
        if (index === -1) return { downloads: [...s.downloads, download] };
        if (!replace) return s;
        const downloads = s.downloads.slice();
        downloads[index] = download;
        return { downloads };
      });
    };

    const loadedSet = (models: ModelsSnapshot | null) => models?.loaded.map((l) => l.identifier).join('\n') ?? '';
    /** New lists; a change of what is loaded makes every estimate's verdict stale. */
    const setModels = (models: ModelsSnapshot): void => {
      if (loadedSet(models) !== loadedSet(get().models)) setChanged({ estimates: {} });
      setChanged({ models });
    };

    /** Event names seen while a snapshot was being read: the snapshot must not overwrite what they said. */
    let seenWhileReading = new Set<EventName>();

    const applySnapshot = (snapshot: AppSnapshot): void => {
      const seen = seenWhileReading;
      if (!seen.has('models:changed')) setModels(snapshot.models);
      setChanged({
        ...(seen.has('server:status-changed') ? {} : { status: snapshot.status }),
        ...(seen.has('downloads:changed') ? {} : { downloads: snapshot.downloads }),
        ...(seen.has('loads:changed') ? {} : { loading: snapshot.loading }),
        ...(seen.has('kept:changed') ? {} : { kept: snapshot.kept }),
        ...(seen.has('activity:changed') ? {} : { activity: snapshot.activity }),
        ...(seen.has('settings:changed') ? {} : { settings: snapshot.settings }),
        app: snapshot.app,
        snapshotError: null,
      });
    };

    const reload = async (): Promise<void> => {
      seenWhileReading = new Set();
      const result = await run('app:get-snapshot', undefined, { quiet: true });
      if (result.ok) applySnapshot(result.value);
      else set({ snapshotError: result.error.message });
    };

    const {
      status = null,
      models = null,
      downloads = [],
      loading = [],
      kept = [],
      activity = null,
      settings = null,
      app = null,
    } = firstSnapshot ?? {};
    const initial: SnapshotFields = { status, models, downloads, loading, kept, activity, settings, app };

    /** The machine's memory as the last estimate's answer gave it (for the dialog's explanation). */
    let systemMemory: SystemMemory | null = null;

    const afterUnload = (keepTurnedOff: string[]): void => {
      const notice = keepTurnedOffNotice(keepTurnedOff);
      if (notice) set({ notice });
    };

    return {
      ...initial,
      disk: null,
      estimates: {},
      confirmLoad: null,
      notice: null,
      snapshotError: null,
      errors: [],
      pending: {},
      view: 'main',

      start() {
        const listen = <E extends EventName>(name: E, apply: (payload: EventPayloads[E]) => void) =>
          bridge.on(name, (payload) => {
            seenWhileReading.add(name);
            apply(payload);
          });
        const unsubscribes = [
          // A status from the core means it is reachable again: a failed first snapshot is moot.
          listen('server:status-changed', (status) => setChanged({ status, snapshotError: null })),
          listen('models:changed', setModels),
          listen('downloads:changed', (downloads) => setChanged({ downloads })),
          listen('loads:changed', (loading) => setChanged({ loading })),
          listen('kept:changed', (kept) => setChanged({ kept })),
          listen('activity:changed', (activity) => setChanged({ activity })),
          listen('settings:changed', (settings) => setChanged({ settings })),
        ];
        void reload();
        return () => {
          for (const unsubscribe of unsubscribes) unsubscribe();
        };
      },

      reload,

      async startServer() {
        const result = await run('server:start', undefined, { key: pendingKey.startServer });
        if (result.ok) set({ status: result.value });
      },

      async refresh() {
        await Promise.all([run('server:refresh', undefined), run('models:refresh', undefined)]);
      },

      async load(modelKey, options, anyway = false) {
        const estimate = get().estimates[estimateKey(modelKey, options)];
        if (estimate?.passesGuardrails === false && !anyway) {
          set({ confirmLoad: { modelKey, options, estimate, memory: systemMemory } });
          return;
        }
        set({ confirmLoad: null });
        const payload = options && Object.keys(options).length > 0 ? { modelKey, options } : { modelKey };
        await run('models:load', payload, { key: pendingKey.load(modelKey) });
      },

      cancelLoad() {
        set({ confirmLoad: null });
      },

      async unload(identifier) {
        const result = await run('models:unload', { identifier }, { key: pendingKey.unload(identifier) });
        if (result.ok) afterUnload(result.value.keepTurnedOff);
      },

      async unloadAll() {
        const result = await run('models:unload-all', undefined, { key: pendingKey.unloadAll });
        if (result.ok) afterUnload(result.value.keepTurnedOff);
      },

      async download(model, { loadWhenDone = false } = {}) {
        const payload = loadWhenDone ? { model, loadWhenDone } : { model };
        const result = await run('downloads:start', payload, { key: pendingKey.download(model) });
        // The list event may already have brought this row, with fresher progress: keep that one.
        if (result.ok) upsertDownload(result.value, false);
        return result.ok;
      },

      async cancelDownload(id) {
        const result = await run('downloads:cancel', { id }, { key: pendingKey.downloadRow(id) });
        if (result.ok) upsertDownload(result.value, true);
      },

      async retryDownload(id) {
        const result = await run('downloads:retry', { id }, { key: pendingKey.downloadRow(id) });
        if (result.ok) upsertDownload(result.value, true);
      },

      async dismissDownload(id) {
        const result = await run('downloads:dismiss', { id }, { key: pendingKey.downloadRow(id) });
        if (result.ok) set((s) => ({ downloads: s.downloads.filter((d) => d.id !== id) }));
      },

      async readDiskSpace() {
        // Quiet: the suggestions simply show no disk line when it cannot be read.
        const result = await run('downloads:disk-space', undefined, { quiet: true });
        if (result.ok) setChanged({ disk: result.value });
      },

      async keep(modelKey, keep, options) {
        const result = await run('models:keep', { modelKey, keep, options }, { key: pendingKey.keep(modelKey) });
        if (result.ok) setChanged({ kept: result.value });
      },

      async estimate(modelKey, options) {
        const result = await run('models:estimate', { modelKey, options }, { quiet: true });
        if (!result.ok) return { estimate: null, unavailableReason: result.error.message, memory: systemMemory };
        systemMemory = result.value.memory;
        // An answer without an estimate forgets the last one: its verdict no longer stands.
        const key = estimateKey(modelKey, options);
        set((s) => ({ estimates: { ...s.estimates, [key]: result.value.estimate } }));
        return result.value;
      },

      dismissNotice() {
        set({ notice: null });
      },

      async updateSettings(patch) {
        const result = await run('settings:update', patch, { key: pendingKey.settings, quiet: true });
        if (result.ok) set({ settings: result.value });
        return result;
      },

      dismissError(id) {
        set((s) => ({ errors: s.errors.filter((e) => e.id !== id) }));
      },

      showView(view) {
        set({ view });
      },

      ask: (name, payload) => run(name, payload, { quiet: true }),

      dismissPopup() {
        void run('popup:dismiss', undefined, { quiet: true });
      },
    };
  });
}
