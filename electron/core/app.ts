/**
 * The TrayCore: every module of the core wired together behind the contract's commands and
 * events. The Electron shell and web mode drive only this (see interfaces.ts for the diagram).
 *
 *   settings ─┬─> client (base URL, token) ──┬─> health monitor ──> policy ──> notifier
 *             └─> lms discovery ─> lms cli ──┼─> model service ──> keep-ready (kept models)
 *                                            ├─> download manager <── download supervisor
 *                                            └─> activity monitor (lms log stream) ──> policy
 *
 * - The client, `lms` and the poll interval are read through getters, so `settings:update`
 *   applies at once without a restart.
 * - A remote base URL means REST only: the local `lms` would act on the wrong LM Studio.
 * - Every API answer reaches the monitor (`authEvidence`), so a token asked for by any route
 *   shows at once; the monitor's confirmed transitions (`onTransition`) feed the notifications.
 * - Models are refreshed on health transitions (online: over HTTP at once, plus `lms ps`
 *   details once the server has stayed up for ONLINE_SETTLE_MS; offline: the last lists are
 *   marked stale), after every load/unload/finished download, and periodically over HTTP while
 *   online. `lms ps` never runs periodically.
 * - `Load when done` (downloads/then-load.ts) loads a finished download's model through the
 *   model service; what it cannot tell or load becomes one `load-failed` notification.
 * - LM Studio up but its HTTP API closed to us (`Authentication required`, `Server stopped`):
 *   with a local `lms`, the lists are read through it on entering the state (a stopped server
 *   after ONLINE_SETTLE_MS: a quitting LM Studio stops its server first, and `lms` must not wake
 *   it), when the popup opens and after actions. Never on a timer.
 * - Activity (`lms log stream`) follows the status as shown: it runs while LM Studio is up on
 *   this machine; its exit and its closed socket make the health monitor look at once; a
 *   possibly stuck request becomes a `request-stuck` notification; a model that unloads has its
 *   counts reset.
 */
import { LMS_ONLY_STATES, lmStudioRuns } from '../shared/availability';
import {
  type AppEvent,
  type AppNotification,
  type AppSnapshot,
  type CommandName,
  type CommandResponse,
  isCommandName,
  type Result,
  type Settings,
  type SettingsView,
  type ValidCommandRequest,
} from '../shared/contract';
import { parseCommand } from '../shared/contract-schemas';
import { createActivityMonitor } from './activity/monitor';
import { createOutageHistory, OUTAGE_DAYS } from './diagnostics/outages';
import { createPageLog } from './diagnostics/page-log';
import { buildDiagnosticsReport, currentSystem, REPORT_LOG_LINES } from './diagnostics/report';
import { createDownloadJournal } from './downloads/journal';
import { createDownloadManager } from './downloads/manager';
import { createDownloadSupervisor, type DownloadSupervisorOptions } from './downloads/supervisor';
import { startThenLoad } from './downloads/then-load';
import { CoreError, toCommandError } from './errors';
import { createDiskGuard } from './fit/disk';
import { createMemoryEstimator } from './fit/memory';
import { readMemoryUse } from './fit/memory-use';
import { createHealthMonitor, type HealthMonitorOptions } from './health/monitor';
import type {
  LmStudioClient,
  LmStudioClientOptions,
  LmsCli,
  LmsDiscovery,
  PolicyInput,
  TrayCore,
  TrayCoreDeps,
} from './interfaces';
import { defaultBaseUrl, normaliseBaseUrl } from './lmstudio/base-url';
import { createLmStudioClient } from './lmstudio/client';
import { findLmStudioHome, readLastServerConfig } from './lmstudio/home';
import { createLmsCli } from './lmstudio/lms/cli';
import { discoverLms, lmsNotFoundMessage, lmsRefusalMessages } from './lmstudio/lms/discover';
import { createKeepReady } from './models/keep-ready';
import { createModelService } from './models/service';
import { nodeDiskSpace, nodeSystemMemory } from './node-ports';
import { createNotificationPolicy } from './notifications/policy';
import { createProcessRegistry } from './processes';
import { createSettingsStore } from './settings/store';

/**
 * The periodic HTTP model refresh while online runs at most this often (else at the poll
 * interval). It is also the authenticated check: a token switched on in LM Studio shows
 * within this plus one answer's latency, inside 10 s with the default poll.
 */
export const MODELS_REFRESH_MIN_MS = 8_000;
/**
 * After the server comes (back) online, `lms ps` waits this long: a LM Studio that crashes
 * again within it (flapping) would be woken by `lms`. The HTTP lists are read at once.
 */
export const ONLINE_SETTLE_MS = 2_000;
/**
 * An outage within this long of the user's own `server:stop` is theirs (no notification). Longer
 * than the health monitor's grace after waking, which can hold the "down" back that long.
 */
export const USER_STOP_WINDOW_MS = 30_000;

type Handlers = {
  [C in CommandName]: (payload: ValidCommandRequest<C>) => Promise<CommandResponse<C>>;
};

export interface TrayCoreOptions {
  /** Flap window of the notification policy (tests shorten it). */
  flapWindowMs?: number;
  /** Passed to the download manager and its supervisor (tests shorten the limits and the schedule). */
  downloads?: {
    maxConcurrent?: number;
    stallAfterMs?: number;
    slowPhaseStallAfterMs?: number;
    restPollMs?: number;
  } & Pick<
    DownloadSupervisorOptions,
    'retryDelaysMs' | 'retryForMs' | 'maxUnknownRetries' | 'maxWaitMs' | 'waitCheckMs'
  >;
  /** Passed to the health monitor. */
  health?: Pick<
    HealthMonitorOptions,
    'confirmDelayMs' | 'resumeGraceMs' | 'probeTimeoutMs' | 'connectCheckMs' | 'connectCheckDownMs'
  >;
  /** Shortest period of the periodic model refresh (default MODELS_REFRESH_MIN_MS; tests shorten it). */
  modelsRefreshMinMs?: number;
  /** Passed to every LM Studio client (tests shorten the timeouts). */
  client?: Pick<
    LmStudioClientOptions,
    'timeoutMs' | 'loadTimeoutMs' | 'downloadStartTimeoutMs' | 'maxResponseBytes' | 'generationRecheckMs'
  >;
}

/** Builds the core; nothing runs until `start()`. */
export function createTrayCore(deps: TrayCoreDeps, options: TrayCoreOptions = {}): TrayCore {
  const { clock, logger, fs, environment } = deps;
  const settings = createSettingsStore({
    fs,
    configDir: deps.configDir,
    overrides: deps.overrides,
    secretCodec: deps.secretCodec,
    logger,
  });
  const registry = createProcessRegistry({ clock, logger });
  const policy = createNotificationPolicy({ flapWindowMs: options.flapWindowMs });
  const listeners = new Set<(event: AppEvent) => void>();

  // The parts that follow the settings. Defaults until start() has read them.
  let lastServerPort: { port: number } | null = null;
  let lmStudioHome: string | null = null;
  let followPortTimer: unknown = null;
  let client: LmStudioClient = makeClient(defaultBaseUrl(null));
  let discovery: LmsDiscovery = { path: null, searched: [] };
  let lmsCli: LmsCli | null = null;
  /** Problems with settings found by the core itself (an address the client refuses). */
  let coreMessages: string[] = [];
  /**
   * When the user last asked the server to stop: the outage that follows is theirs, not news.
   * A time rather than a flag, so it cannot outlive that stop and silence a real outage later.
   */
  let userStopAt: number | null = null;
  /** A check after the user changed the address or token: its result is a new baseline. */
  let muteNextTransition = false;
  let modelsTimer: unknown = null;
  let settleTimer: unknown = null;
  let started = false;
  let stopped = false;
  /**
   * Set when quitting ends every child: a check already under way (the health monitor's, asked
   * for by the activity stream's exit) must not spawn an lms that would outlive the app.
   */
  let childrenEnded = false;
  const unsubscribers: Array<() => void> = [];

  /** The local lms, only for a local server. */
  const lms = (): LmsCli | null => (client.isLocal ? lmsCli : null);
  /** LM Studio runs but its HTTP API will not serve us, and a local lms can stand in (it has its own key). */
  const worksThroughLms = (): boolean => LMS_ONLY_STATES.includes(monitor.current().state) && lms() !== null;
  /** States in which the lists can be read now: over HTTP, or through lms. */
  const listsReadable = (): boolean => monitor.current().state === 'online' || worksThroughLms();

  const monitor = createHealthMonitor({
    client: () => client,
    lms,
    lmsDiscovery: () => (client.isLocal ? discovery : { path: null, searched: [] }),
    clock,
    logger,
    pollIntervalMs: () => settings.get().pollIntervalMs,
    modelsGeneration: () => models.httpGeneration(),
    ...options.health,
  });
  const models = createModelService({
    client: () => client,
    lms,
    status: () => monitor.current(),
    clock,
    logger,
    loadDefaults: () => settings.get().loadDefaults,
  });
  const systemMemory = deps.systemMemory ?? nodeSystemMemory;
  const estimator = createMemoryEstimator({
    lms,
    status: () => monitor.current(),
    systemMemory,
    enabled: () => settings.get().estimateMemory,
    logger,
  });
  /** What is generating, how fast, and what may be stuck, from `lms log stream` while LM Studio runs here. */
  const activity = createActivityMonitor({
    lms,
    clock,
    logger,
    // The stream ended or lost its socket: LM Studio may have quit, so look now.
    evidence: () => {
      if (!stopped) void monitor.checkNow().catch(() => undefined);
    },
  });
  /** Whether LM Studio ran at the last status that could tell; a change is a new LM Studio session. */
  let lmStudioRan: boolean | null = null;
  /** The loaded instances as last seen, to tell the estimator when the loaded set changes. */
  let loadedSet = '';
  const keepReady = createKeepReady({
    models,
    monitor,
    settings,
    fs,
    configDir: deps.configDir,
    clock,
    logger,
    notify: (input) => notify(input),
    // It re-read settings.json (the other process may have changed it) or saved the kept list.
    settingsChanged: () => {
      if (applied !== null && !stopped) {
        applySettings(settings.get()).catch((error: unknown) => logger.warn('Applying settings failed', error));
      }
    },
  });
  const { retryDelaysMs, retryForMs, maxUnknownRetries, maxWaitMs, waitCheckMs, ...managerLimits } =
    options.downloads ?? {};
  /** The models folder's free space: checked before a download starts, on its plan line, before each retry and while it runs. */
  const disk = createDiskGuard({
    fs,
    diskSpace: deps.diskSpace ?? nodeDiskSpace,
    clock,
    logger,
    platform: environment.platform,
    home: () => lmStudioHome,
    isLocal: () => client.isLocal,
    enabled: () => settings.get().checkDiskSpace,
  });
  /** The unfinished downloads this app started, in downloads.json (never settings.json), for the next start. */
  const journal = createDownloadJournal({ fs, configDir: deps.configDir, logger });
  /** outages.json: the last week's outages for the diagnostics report, shared with the other process. */
  const outages = createOutageHistory({ fs, configDir: deps.configDir, logger, now: () => clock.now() });
  /** Saves in flight, awaited at shutdown (record never rejects). */
  let outageWrites: Promise<void> = Promise.resolve();
  /** `app:log`: the page's warnings and errors, rate- and size-limited. */
  const pageLog = createPageLog({ logger, clock });
  const manager = createDownloadManager({
    client: () => client,
    lms,
    clock,
    logger,
    platform: environment.platform,
    ...managerLimits,
    // The supervisor keeps following a stalled download (Stalled, never given up on or cancelled).
    giveUpAfterMs: Number.POSITIVE_INFINITY,
  });
  /** The core's downloads: the manager's, retried, waiting for LM Studio, picked up at start. */
  const downloads = createDownloadSupervisor({
    manager,
    lms,
    status: () => monitor.current(),
    checkDiskSpace: () => settings.get().checkDiskSpace,
    retryDownloads: () => settings.get().retryDownloads,
    disk,
    journal,
    clock,
    logger,
    retryDelaysMs,
    retryForMs,
    maxUnknownRetries,
    maxWaitMs,
    waitCheckMs,
  });

  // -------------------------------------------------------------------------------------------
  // Events and notifications
  // -------------------------------------------------------------------------------------------

  function emit(event: AppEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.error(`A listener of ${event.name} threw`, error);
      }
    }
  }

  function notify(input: PolicyInput): void {
    // Quitting: the outage or download stops that quitting itself causes are not news.
    if (stopped) return;
    const notifications = policy.decide(input, settings.get().notifications, clock.now());
    for (const notification of notifications) show(notification);
  }

  function show(notification: AppNotification): void {
    try {
      deps.notifier.show(notification);
    } catch (error) {
      logger.error('The notifier failed', error);
    }
    emit({ name: 'notification:show', payload: notification });
  }

  const settingsView = (): SettingsView => {
    const view = settings.view();
    return { ...view, messages: [...view.messages, ...coreMessages, ...lmsRefusalMessages(discovery)] };
  };

  function refreshModels(instanceDetails: boolean): void {
    // After shutdown began, a refresh could spawn `lms ps` once the registry has ended its children.
    if (stopped) return;
    models.refresh({ instanceDetails }).catch((error: unknown) => logger.debug('Model refresh failed', error));
  }

  function scheduleModelsRefresh(): void {
    if (modelsTimer !== null || stopped) return;
    const every = Math.max(settings.get().pollIntervalMs, options.modelsRefreshMinMs ?? MODELS_REFRESH_MIN_MS);
    modelsTimer = clock.setTimeout(() => {
      modelsTimer = null;
      if (monitor.current().state !== 'online' || stopped) return;
      refreshModels(false);
      scheduleModelsRefresh();
    }, every);
  }

  function cancelModelsRefresh(): void {
    if (modelsTimer !== null) clock.clearTimeout(modelsTimer);
    if (settleTimer !== null) clock.clearTimeout(settleTimer);
    modelsTimer = null;
    settleTimer = null;
  }

  /**
   * With no address set, the tray follows the port LM Studio last used: while the server is
   * not online, LM Studio's `http-server-config.json` is re-read every poll interval, and a new
   * port (the user moved the server) becomes the address at once.
   */
  function followLastPort(): void {
    if (followPortTimer !== null || stopped || lmStudioHome === null) return;
    followPortTimer = clock.setTimeout(async () => {
      followPortTimer = null;
      if (stopped || settings.get().baseUrl !== null || monitor.current().state === 'online') return;
      const config = await readLastServerConfig(lmStudioHome!, fs).catch(() => null);
      if (config && config.port !== client.port) {
        logger.info(`LM Studio's server moved to port ${config.port}; following it`);
        lastServerPort = config;
        client = buildClient(settings.get());
        void monitor.checkNow().catch(() => undefined);
      }
      followLastPort();
    }, settings.get().pollIntervalMs);
  }

  unsubscribers.push(
    // The status as shown drives the page and the model lists; only confirmed transitions notify.
    monitor.onChange((status, previous) => {
      emit({ name: 'server:status-changed', payload: status });
      const runs = lmStudioRuns(status);
      if (runs !== null) {
        // LM Studio quit or started: its memory readings (runtime survey, estimates) start afresh.
        if (lmStudioRan !== null && runs !== lmStudioRan) estimator.sessionEnded();
        lmStudioRan = runs;
      }
      downloads.serverChanged(status);
      activity.serverChanged(status);
      const wasOnline = previous.state === 'online';
      const isOnline = status.state === 'online';
      if (isOnline && !wasOnline) {
        refreshModels(false);
        scheduleModelsRefresh();
        if (settleTimer !== null) clock.clearTimeout(settleTimer);
        settleTimer = clock.setTimeout(() => {
          settleTimer = null;
          if (!stopped && monitor.current().state === 'online') refreshModels(true);
        }, ONLINE_SETTLE_MS);
      } else if (!isOnline && status.state !== 'checking') {
        if (status.state !== previous.state) {
          cancelModelsRefresh();
          if (status.state === 'unauthorized' && worksThroughLms()) {
            // LM Studio answers (asking for a token), so it is up: lms reads the lists at once.
            refreshModels(true);
          } else {
            models.markStale();
            if (status.state === 'server-stopped' && worksThroughLms()) {
              settleTimer = clock.setTimeout(() => {
                settleTimer = null;
                if (!stopped && monitor.current().state === 'server-stopped') refreshModels(true);
              }, ONLINE_SETTLE_MS);
            }
          }
        } else if (!worksThroughLms()) {
          // Same state, new details (lms gone, another generation): lists not read with lms are stale.
          models.markStale();
        }
        followLastPort();
      }
    }),
    monitor.onTransition((status, previous) => {
      const wasOnline = previous.state === 'online';
      const isOnline = status.state === 'online';
      let userInitiated = false;
      if (wasOnline && !isOnline) {
        userInitiated = userStopAt !== null && clock.now() - userStopAt < USER_STOP_WINDOW_MS;
        userStopAt = null;
      }
      // Back up: a stop asked for before this is over and must not mute a later outage.
      if (isOnline) userStopAt = null;
      // After a settings change, the policy sees the new server's state as found at start-up.
      const baseline = muteNextTransition ? { ...previous, state: 'checking' as const } : previous;
      notify({ type: 'server', status, previous: baseline, userInitiated });
      outageWrites = outageWrites.then(() => outages.record(status, baseline));
    }),
    models.onChange((snapshot) => {
      // LM Studio counts what is loaded in an estimate: a new loaded set makes the cached ones stale.
      const loaded = JSON.stringify(snapshot.loaded.map((instance) => instance.identifier).sort());
      if (loaded !== loadedSet) {
        loadedSet = loaded;
        estimator.loadedChanged();
        // Inputs and outputs cannot be paired across an unload: its counts start afresh.
        activity.loadedChanged(snapshot.loaded);
      }
      emit({ name: 'models:changed', payload: snapshot });
    }),
    models.onLoadingChange((loading) => emit({ name: 'loads:changed', payload: loading })),
    keepReady.onChange((kept) => emit({ name: 'kept:changed', payload: kept })),
    downloads.onChange((list) => emit({ name: 'downloads:changed', payload: list })),
    activity.onChange((payload) => emit({ name: 'activity:changed', payload })),
    activity.onStuck((modelIdentifier, runningForMs) =>
      notify({ type: 'request-stuck', modelIdentifier, runningForMs }),
    ),
    // `Load when done`: loads a finished download's model; a model it cannot tell or load notifies once.
    startThenLoad({ downloads, models, notify, logger }),
    // Only a download's final outcome arrives here (not an attempt the supervisor retries).
    downloads.onFinished((download) => {
      if (download.status === 'completed' || download.status === 'already-downloaded') {
        if (listsReadable()) refreshModels(true);
        else void monitor.checkNow().catch(() => undefined);
      }
      if (download.status === 'failed') notify({ type: 'download-failed', download });
      else notify({ type: 'download-finished', download });
    }),
  );

  // -------------------------------------------------------------------------------------------
  // Settings applied live
  // -------------------------------------------------------------------------------------------

  let applied: Settings | null = null;

  function token(): string | null {
    return settings.get().apiToken ?? environment.env.LM_API_TOKEN ?? null;
  }

  /** Every API answer tells the monitor about the token: a switched-on "Require Authentication" shows at once. */
  function makeClient(baseUrl: string): LmStudioClient {
    const made: LmStudioClient = createLmStudioClient({
      ...options.client,
      baseUrl,
      token,
      onAuthEvidence: (evidence) => monitor.authEvidence(made, evidence),
    });
    return made;
  }

  /** The client for the configured address; a refused one falls back to the default, with a message. */
  function buildClient(current: Settings): LmStudioClient {
    const fallback = defaultBaseUrl(lastServerPort);
    coreMessages = [];
    if (current.baseUrl === null) return makeClient(fallback);
    try {
      normaliseBaseUrl(current.baseUrl);
      return makeClient(current.baseUrl);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      coreMessages = [`${why} Using ${fallback} instead.`];
      return makeClient(fallback);
    }
  }

  async function rediscoverLms(current: Settings): Promise<void> {
    discovery = await discoverLms({ configuredPath: current.lmsPath, environment, fs, which: deps.which });
    lmsCli = discovery.path
      ? createLmsCli({
          path: discovery.path,
          spawn: (command, args, spawnOptions) => {
            if (childrenEnded) throw new Error('LM Studio Tray is quitting');
            return deps.spawn(command, args, spawnOptions);
          },
          registry,
          clock,
          logger,
          platform: environment.platform,
          env: environment.env,
        })
      : null;
    if (!discovery.path) logger.info(lmsNotFoundMessage(discovery));
    else for (const message of lmsRefusalMessages(discovery)) logger.warn(message);
  }

  /**
   * Makes the new settings take effect: a new address or lms path now; the token, poll interval
   * and toggles are read where they are used. The server is then checked afresh, and what that
   * finds is a baseline, not news: the user changed the address, the server did not go down.
   */
  async function applySettings(next: Settings): Promise<void> {
    const previous = applied;
    applied = next;
    const addressChanged = previous === null || previous.baseUrl !== next.baseUrl;
    const lmsChanged = previous === null || previous.lmsPath !== next.lmsPath;
    if (addressChanged) client = buildClient(next);
    if (lmsChanged) await rediscoverLms(next);
    if (previous === null) return;
    emit({ name: 'settings:changed', payload: settingsView() });
    if (addressChanged || lmsChanged || previous.apiToken !== next.apiToken) {
      muteNextTransition = true;
      void monitor
        .checkNow()
        .then(
          () => {
            if (listsReadable()) refreshModels(true);
            else models.markStale();
          },
          (error: unknown) => logger.warn('Check after a settings change failed', error),
        )
        .finally(() => {
          muteNextTransition = false;
        });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  function localLmsOrThrow(action: string): LmsCli {
    if (!client.isLocal) {
      throw new CoreError(
        'unavailable',
        `LM Studio at ${client.baseUrl} is on another machine: ${action} there (LM Studio Tray only starts and stops a local server).`,
      );
    }
    if (!lmsCli) throw new CoreError('lms-missing', lmsNotFoundMessage(discovery));
    return lmsCli;
  }

  const snapshot = (): AppSnapshot => ({
    status: monitor.current(),
    models: models.snapshot(),
    downloads: downloads.list(),
    loading: models.loading(),
    kept: keepReady.list(),
    activity: activity.snapshot(),
    settings: settingsView(),
    app: {
      version: deps.appVersion,
      platform: environment.platform,
      transport: deps.transport,
      logFile: deps.logFile?.path ?? null,
    },
  });

  const handlers: Handlers = {
    'app:get-snapshot': async () => snapshot(),
    'app:popup-visibility': async ({ visible }) => {
      if (visible) {
        // Fresh TTL and last-use details for the popup; never awaited, so it opens at once.
        void monitor.checkNow().then(
          () => listsReadable() && refreshModels(true),
          () => undefined,
        );
      }
      return null;
    },
    // The desktop shell answers this itself (it hides the popup); in web mode there is nothing to hide.
    'popup:dismiss': async () => null,
    'server:refresh': () => monitor.checkNow(),
    'server:start': async () => {
      const cli = localLmsOrThrow('start its server');
      await cli.serverStart({ port: client.port });
      return monitor.checkNow();
    },
    'server:stop': async () => {
      const cli = localLmsOrThrow('stop its server');
      // Only a stop of a running server is the user's outage; a stale menu's stop changes nothing.
      userStopAt = monitor.current().state === 'online' ? clock.now() : null;
      try {
        await cli.serverStop();
      } catch (error) {
        userStopAt = null;
        throw error;
      }
      return monitor.checkNow();
    },
    'models:refresh': async () => {
      const readable = listsReadable();
      try {
        return await models.refresh({ instanceDetails: readable });
      } catch (error) {
        if (readable) throw error;
        // Offline: the last lists, marked stale; the status line says why.
        models.markStale();
        return models.snapshot();
      }
    },
    'models:load': async ({ modelKey, options: loadOptions }) => {
      try {
        return await models.load(modelKey, loadOptions);
      } catch (error) {
        notify({ type: 'load-failed', modelKey, message: toCommandError(error).message });
        throw error;
      }
    },
    // The user's unload wins over Keep loaded: the switches turn off first, so the keeper does
    // not take the unload that follows for an eviction.
    'models:unload': async ({ identifier }) => {
      const instance = models.snapshot().loaded.find((candidate) => candidate.identifier === identifier);
      const keepTurnedOff = await keepReady.userUnloaded([instance?.modelKey ?? identifier.replace(/:\d+$/, '')]);
      await models.unload(identifier);
      return { keepTurnedOff };
    },
    'models:unload-all': async () => {
      // Loaded, and being loaded (by the keeper too): "all" is everything the user sees there.
      const keys = [...models.snapshot().loaded, ...models.loading()].map((entry) => entry.modelKey);
      const keepTurnedOff = await keepReady.userUnloaded(keys);
      return { unloaded: await models.unloadAll(), keepTurnedOff };
    },
    'downloads:disk-space': () => disk.space(),
    'models:keep': ({ modelKey, keep, options: keptOptions }) =>
      keepReady.set(modelKey, keep, keptOptions ?? settings.get().loadDefaults),
    'models:estimate': ({ modelKey, options: estimateOptions }) =>
      estimator.estimate(modelKey, { ...settings.get().loadDefaults, ...estimateOptions }),
    // The loaded models' sizes against the machine's memory, with the estimates' runtime survey.
    'models:memory': () =>
      readMemoryUse({
        status: () => monitor.current(),
        models: () => models.snapshot(),
        runtimeSurvey: () => estimator.runtimeSurvey(),
        systemMemory,
        logger,
      }),
    'downloads:start': ({ model, loadWhenDone }) => downloads.start(model, { loadWhenDone }),
    'downloads:cancel': ({ id }) => downloads.cancel(id),
    'downloads:retry': ({ id }) => downloads.retry(id),
    'downloads:dismiss': async ({ id }) => {
      downloads.dismiss(id);
      return null;
    },
    'app:diagnostics': async (payload) => {
      const status = monitor.current();
      const local = lms();
      // Neither wakes LM Studio: the plain daemon status looks for a running app, `version` reads lms itself.
      const [lmStudioVersion, lmsVersion, outageList, logLines] = await Promise.all([
        local ? local.lmStudioVersion().catch(() => null) : null,
        local ? local.version().catch(() => null) : null,
        outages.list(clock.now() - OUTAGE_DAYS * 24 * 60 * 60 * 1000),
        deps.logFile ? deps.logFile.lastLines(REPORT_LOG_LINES).catch(() => []) : [],
      ]);
      return buildDiagnosticsReport({
        now: new Date(clock.now()),
        appVersion: deps.appVersion,
        transport: deps.transport,
        platform: environment.platform,
        system: currentSystem(),
        browser: payload?.browser ?? null,
        status,
        lmStudioVersion,
        lmsVersion,
        settings: settings.get(),
        envTokenSet: Boolean(environment.env.LM_API_TOKEN),
        settingsMessages: settingsView().messages,
        outages: outageList,
        logPath: deps.logFile?.path ?? null,
        logLines,
      });
    },
    'app:log': async ({ level, message }) => {
      pageLog.write(level, message);
      return null;
    },
    // The desktop shell answers these two itself (a save dialog, the file manager); a page in a
    // browser downloads the report and shows the log's path instead.
    'app:save-diagnostics': async () => {
      throw new CoreError('unavailable', 'In a browser the report is saved as a download.');
    },
    'app:open-log-folder': async () => {
      throw new CoreError('unavailable', 'In a browser, open the log file from the path shown in Settings.');
    },
    'settings:get': async () => settingsView(),
    'settings:update': async (patch) => {
      if (patch.baseUrl) normaliseBaseUrl(patch.baseUrl); // refuses a path, credentials, other schemes
      await settings.update(patch);
      await applySettings(settings.get());
      return settingsView();
    },
  };

  async function invoke<C extends CommandName>(name: C, payload: unknown): Promise<Result<CommandResponse<C>>> {
    if (!isCommandName(name)) {
      return { ok: false, error: { code: 'invalid-input', message: `Unknown command ${String(name)}.` } };
    }
    if (stopped) {
      return { ok: false, error: { code: 'unavailable', message: 'LM Studio Tray is quitting.' } };
    }
    const parsed = parseCommand(name, payload);
    if (!parsed.ok) return parsed;
    try {
      const handler = handlers[name] as (input: unknown) => Promise<CommandResponse<C>>;
      return { ok: true, value: await handler(parsed.value) };
    } catch (error) {
      if (!(error instanceof CoreError)) logger.error(`Command ${name} failed`, error);
      return { ok: false, error: toCommandError(error) };
    }
  }

  return {
    async start(startOptions) {
      if (started) return;
      started = true;
      await settings.load();
      try {
        lmStudioHome = await findLmStudioHome(environment, fs);
        lastServerPort = await readLastServerConfig(lmStudioHome, fs);
      } catch (error) {
        logger.warn("Could not read LM Studio's last server settings", error);
      }
      await applySettings(settings.get());
      monitor.start(); // runs the first check
      keepReady.start(); // acts only once the server is online
      // Unfinished downloads from the last run: picked up without waking LM Studio.
      void downloads.restore().catch((error: unknown) => logger.error('Could not pick up unfinished downloads', error));
      if (startOptions?.waitForFirstCheck !== false) await monitor.checkNow();
    },
    snapshot,
    invoke,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    powerEvent(kind) {
      if (kind === 'suspend') {
        monitor.suspend();
      } else {
        monitor.resume();
        downloads.resume();
      }
    },
    async shutdown(shutdownOptions) {
      if (stopped) return;
      stopped = true;
      monitor.stop();
      keepReady.stop();
      pageLog.stop();
      cancelModelsRefresh();
      if (followPortTimer !== null) clock.clearTimeout(followPortTimer);
      const cancel = shutdownOptions?.cancelDownloads ?? settings.get().quitBehaviour === 'cancel-downloads';
      // The stream is asked to stop (SIGINT: it unsubscribes) before the registry ends what is left.
      const activityStopped = activity
        .stop()
        .catch((error: unknown) => logger.warn('Stopping the activity stream failed', error));
      try {
        await downloads.shutdown(cancel ? 'cancel' : 'leave-running');
      } finally {
        await activityStopped;
        childrenEnded = true;
        await registry.endAll();
        await outageWrites;
        for (const unsubscribe of unsubscribers) unsubscribe();
        listeners.clear();
      }
    },
  };
}
