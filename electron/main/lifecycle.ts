/**
 * App lifecycle: one instance, the power events the core needs, and a quit that waits for the
 * core to end every `lms` child before the process exits.
 */
import type { TrayCore } from '../core/interfaces';

/** The subset of `app` used here. */
export interface LifecycleApp {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  exit(code?: number): void;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
}

/**
 * Takes the single-instance lock. The second launch quits at once (returns false) and the first
 * instance opens its popup instead, so "start it again" does what the user meant.
 */
export function setupSingleInstance(app: LifecycleApp, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', onSecondInstance);
  return true;
}

/** The subset of `powerMonitor` used here. */
export interface PowerMonitorLike {
  on(event: 'suspend' | 'resume', listener: () => void): unknown;
}

/** Sleep and wake reach the core: it pauses probing and allows a grace period after wake. */
export function setupPowerEvents(powerMonitor: PowerMonitorLike, core: Pick<TrayCore, 'powerEvent'>): void {
  powerMonitor.on('suspend', () => core.powerEvent('suspend'));
  powerMonitor.on('resume', () => core.powerEvent('resume'));
}

/** The longest quit waits for the core before exiting anyway (its own kill grace is shorter). */
export const SHUTDOWN_DEADLINE_MS = 15_000;

export interface QuitOptions {
  app: LifecycleApp;
  core: Pick<TrayCore, 'shutdown'>;
  onError(error: unknown): void;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export interface QuitController {
  /** Quits after the core's shutdown; `cancelDownloads` for "Quit and cancel downloads". */
  quit(options?: { cancelDownloads: boolean }): void;
  /** The shutdown in progress, once quitting has begun. */
  readonly shuttingDown: Promise<void> | null;
}

/**
 * Holds every quit (menu, Cmd+Q, OS logout) in `before-quit` until `core.shutdown()` has ended
 * every child, then quits for real. A tray app also stays alive with no window open.
 */
export function setupQuit(options: QuitOptions): QuitController {
  const { app, core } = options;
  const setTimer = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as NodeJS.Timeout));
  let cancelDownloads = false;
  let shuttingDown: Promise<void> | null = null;
  let done = false;

  app.on('window-all-closed', () => {
    // Keep running in the tray: the popup is hidden, not closed, but a crash-and-close must not quit.
  });

  app.on('before-quit', (event) => {
    if (done) return;
    event.preventDefault();
    if (shuttingDown) return;
    let deadline: unknown = null;
    const timedOut = new Promise<void>((resolve) => {
      deadline = setTimer(() => {
        options.onError(new Error(`The core did not shut down within ${SHUTDOWN_DEADLINE_MS} ms; quitting anyway.`));
        resolve();
      }, SHUTDOWN_DEADLINE_MS);
    });
    const shutdown = core
      .shutdown(cancelDownloads ? { cancelDownloads: true } : undefined)
      .catch((error: unknown) => options.onError(error));
    shuttingDown = Promise.race([shutdown, timedOut]).then(() => {
      clearTimer(deadline);
      done = true;
      app.quit();
    });
  });

  return {
    quit(quitOptions) {
      if (quitOptions?.cancelDownloads) cancelDownloads = true;
      app.quit();
    },
    get shuttingDown() {
      return shuttingDown;
    },
  };
}

/** The subset of `process` used here. */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', listener: () => void): unknown;
}

/**
 * Ctrl+C in `npm start`, `kill`, or a closing terminal would otherwise end the main process at
 * once, skipping `before-quit` and orphaning `lms` children: turn them into an orderly quit.
 */
export function quitOnSignals(source: SignalSource, quit: () => void): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) source.on(signal, quit);
}
