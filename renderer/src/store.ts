/**
 * The popup's one store: everything the core has told us (snapshot, then events) plus what the
 * page itself tracks (errors to show, commands in flight, which view is open).
 *
 * It only talks to a `Bridge`, so it cannot tell Electron from web mode, and tests give it a fake.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  AppSnapshot,
  Bridge,
  CommandError,
  CommandName,
  CommandRequest,
  CommandResponse,
  DownloadState,
  EventName,
  EventPayloads,
  KeptModelState,
  LoadingState,
  LoadOptions,
  ModelsSnapshot,
  Result,
  ServerStatus,
  SettingsPatch,
  SettingsView,
} from '../../electron/shared/contract';

/** An error shown in the page's alert list until the user dismisses it. */
export interface TrayError {
  id: number;
  message: string;
  code: CommandError['code'] | 'transport';
}

export type TrayView = 'main' | 'settings';

export interface TrayState {
  /** Null until the first snapshot: the header then says "Checking". */
  status: ServerStatus | null;
  models: ModelsSnapshot | null;
  downloads: DownloadState[];
  loading: LoadingState[];
  /** The models kept loaded (`Keep MODELKEY loaded`) and how each is doing. */
  kept: KeptModelState[];
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
  load(modelKey: string, options?: LoadOptions): Promise<void>;
  unload(identifier: string): Promise<void>;
  unloadAll(): Promise<void>;
  /** `model` must already be valid (model-names.ts checkDownloadTarget): the form refuses invalid input itself. */
  download(model: string): Promise<boolean>;
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
  downloadRow: (id: string) => `download-row:${id}`,
  settings: 'settings',
} as const;

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
type SnapshotFields = Pick<TrayState, 'status' | 'models' | 'downloads' | 'loading' | 'kept' | 'settings' | 'app'>;

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

    /** Event names seen while a snapshot was being read: the snapshot must not overwrite what they said. */
    let seenWhileReading = new Set<EventName>();

    const applySnapshot = (snapshot: AppSnapshot): void => {
      const seen = seenWhileReading;
      setChanged({
        ...(seen.has('server:status-changed') ? {} : { status: snapshot.status }),
        ...(seen.has('models:changed') ? {} : { models: snapshot.models }),
        ...(seen.has('downloads:changed') ? {} : { downloads: snapshot.downloads }),
        ...(seen.has('loads:changed') ? {} : { loading: snapshot.loading }),
        ...(seen.has('kept:changed') ? {} : { kept: snapshot.kept }),
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
      settings = null,
      app = null,
    } = firstSnapshot ?? {};
    const initial: SnapshotFields = { status, models, downloads, loading, kept, settings, app };

    return {
      ...initial,
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
          listen('models:changed', (models) => setChanged({ models })),
          listen('downloads:changed', (downloads) => setChanged({ downloads })),
          listen('loads:changed', (loading) => setChanged({ loading })),
          listen('kept:changed', (kept) => setChanged({ kept })),
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

      async load(modelKey, options) {
        const payload = options && Object.keys(options).length > 0 ? { modelKey, options } : { modelKey };
        await run('models:load', payload, { key: pendingKey.load(modelKey) });
      },

      async unload(identifier) {
        await run('models:unload', { identifier }, { key: pendingKey.unload(identifier) });
      },

      async unloadAll() {
        await run('models:unload-all', undefined, { key: pendingKey.unloadAll });
      },

      async download(model) {
        const result = await run('downloads:start', { model }, { key: pendingKey.download(model) });
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

      dismissPopup() {
        void run('popup:dismiss', undefined, { quiet: true });
      },
    };
  });
}
