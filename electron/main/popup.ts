/**
 * The popup: one frameless window created hidden at start-up, shown next to the tray icon,
 * hidden when it loses focus, and the only page main talks to.
 *
 * Readiness: the page is ready when it first invokes `app:get-snapshot` (ipc.ts calls
 * `markReady`). The renderer subscribes to events before it asks for the snapshot, so events
 * sent from then on are heard. Until then events are queued, keeping only the latest of each
 * name (every event carries a whole state, so older ones add nothing), and flushed before the
 * snapshot reply: the page applies them first and the newer snapshot last. A reload starts over.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, Display, Rectangle } from 'electron';
import type { EventName, EventPayloads } from '../shared/contract';
import { isUnknownBounds, type Point, popupPosition } from './popup-position';

export const POPUP_SIZE = { width: 380, height: 560 } as const;

/**
 * How long after a blur a click on the tray icon still counts as "close": on Windows and Linux
 * the click that should toggle the popup off first takes focus away (blur hides the window),
 * and then arrives as a click that would show it again.
 */
export const BLUR_TOGGLE_GRACE_MS = 300;
/** Blur hides after this delay, so focus moving within the app (a native menu) does not flicker. */
export const BLUR_HIDE_DELAY_MS = 100;

/** A crashed popup page is reloaded at most this often within RENDERER_RECOVERY_WINDOW_MS. */
export const MAX_RENDERER_RECOVERIES = 3;
export const RENDERER_RECOVERY_WINDOW_MS = 60_000;

/** The page's own background (renderer/src/styles.css `--bg`), so the window never flashes another colour. */
export function popupBackground(dark: boolean): string {
  return dark ? '#131519' : '#f4f5f7';
}

/** The window's web preferences, every security option written out (Electron's checklist). */
export function popupWebPreferences(
  preloadPath: string,
  devTools: boolean,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools,
  };
}

/** The subset of `screen` the popup needs. */
export interface ScreenLike {
  getDisplayNearestPoint(point: Point): Display;
  getDisplayMatching(rect: Rectangle): Display;
  getCursorScreenPoint(): Point;
}

export interface PopupOptions {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  screen: ScreenLike;
  platform: NodeJS.Platform;
  /** False on Wayland: the compositor ignores positions. */
  canPosition: boolean;
  preloadPath: string;
  /** Developer tools only in development (`!app.isPackaged`). */
  devTools: boolean;
  /** The system theme at start-up, for the window's background before the page paints. */
  dark: boolean;
  /** The page, e.g. `app://popup/index.html`. */
  url: string;
  /**
   * Makes this app the active one when the popup opens. macOS does not activate a menu-bar
   * (LSUIElement) app by itself: its window would not get focus and never blur to hide.
   */
  activateApp?(): void;
  /** Told whenever the popup is shown or hidden (the core refreshes `lms ps` on open). */
  onVisibilityChange(visible: boolean): void;
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export interface Popup {
  readonly window: BrowserWindow;
  /** Shows the popup next to the icon (or in the taskbar's corner when the bounds are unknown). */
  show(trayBounds?: Rectangle | null): void;
  hide(): void;
  /** A click on the tray icon: closes an open popup, else opens it (see BLUR_TOGGLE_GRACE_MS). */
  toggle(trayBounds?: Rectangle | null): void;
  isVisible(): boolean;
  /** Sends an event to the page, or queues it until the page is ready. */
  send<E extends EventName>(name: E, payload: EventPayloads[E]): void;
  /** The page asked for its first snapshot: flush the queue and send directly from now on. */
  markReady(): void;
  isReady(): boolean;
}

/** Creates the popup window, hidden, and loads the page. */
export function createPopup(options: PopupOptions): Popup {
  const now = options.now ?? Date.now;
  const setTimer = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as NodeJS.Timeout));

  const window = new options.BrowserWindow({
    width: POPUP_SIZE.width,
    height: POPUP_SIZE.height,
    show: false,
    frame: false,
    resizable: false,
    movable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    skipTaskbar: true,
    alwaysOnTop: true,
    transparent: false,
    backgroundColor: popupBackground(options.dark),
    title: 'LM Studio Tray',
    webPreferences: popupWebPreferences(options.preloadPath, options.devTools),
  });
  // Follow the user across macOS Spaces instead of switching back to the one it was made on.
  if (options.platform === 'darwin') window.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });

  let ready = false;
  const queue = new Map<EventName, unknown>();
  let blurTimer: unknown = null;
  let lastBlurHideAt = Number.NEGATIVE_INFINITY;
  let lastTrayBounds: Rectangle | null = null;

  const cancelBlurTimer = () => {
    if (blurTimer !== null) clearTimer(blurTimer);
    blurTimer = null;
  };

  const place = (trayBounds: Rectangle | null) => {
    const known = trayBounds && !isUnknownBounds(trayBounds) ? trayBounds : null;
    const display = known
      ? options.screen.getDisplayMatching(known)
      : options.screen.getDisplayNearestPoint(options.screen.getCursorScreenPoint());
    const { x, y } = popupPosition({
      trayBounds: known,
      windowSize: POPUP_SIZE,
      display,
      platform: options.platform,
      canPosition: options.canPosition,
    });
    window.setPosition(x, y, false);
  };

  const hide = () => {
    cancelBlurTimer();
    if (!window.isVisible()) return;
    window.hide();
    options.onVisibilityChange(false);
  };

  const show = (trayBounds?: Rectangle | null) => {
    cancelBlurTimer();
    if (trayBounds !== undefined) lastTrayBounds = trayBounds;
    place(lastTrayBounds);
    const wasVisible = window.isVisible();
    options.activateApp?.();
    window.show();
    window.focus();
    if (!wasVisible) options.onVisibilityChange(true);
  };

  window.on('blur', () => {
    cancelBlurTimer();
    blurTimer = setTimer(() => {
      blurTimer = null;
      if (!window.isVisible()) return;
      lastBlurHideAt = now();
      hide();
    }, BLUR_HIDE_DELAY_MS);
  });
  // A new document (a reload, or the reload after a crash) must ask for a snapshot again before
  // it hears events. A same-document navigation (the tray's `#settings`) keeps the page and its
  // subscriptions, so it must not stop the events.
  window.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) ready = false;
  });
  // A renderer that crashed or was killed would leave the popup blank until restart: load the
  // page again, but not in a loop if it keeps dying.
  let recentRecoveries: number[] = [];
  window.webContents.on('render-process-gone', (_event, details) => {
    recentRecoveries = recentRecoveries.filter((at) => now() - at < RENDERER_RECOVERY_WINDOW_MS);
    if (details.reason === 'clean-exit' || recentRecoveries.length >= MAX_RENDERER_RECOVERIES) return;
    recentRecoveries.push(now());
    ready = false;
    window.webContents.reload();
  });
  window.loadURL(options.url).catch(() => {
    // A failed load shows as an empty popup; did-fail-load has the details for the logs.
  });

  return {
    window,
    show,
    hide,
    toggle(trayBounds) {
      if (blurTimer !== null || window.isVisible()) {
        // The click took focus from the popup: the pending blur-hide and this click are one "close".
        hide();
        return;
      }
      if (now() - lastBlurHideAt < BLUR_TOGGLE_GRACE_MS) return;
      show(trayBounds);
    },
    isVisible: () => window.isVisible(),
    send(name, payload) {
      if (window.isDestroyed()) return;
      if (!ready) {
        queue.delete(name);
        queue.set(name, payload);
        return;
      }
      window.webContents.send(name, payload);
    },
    markReady() {
      if (ready) return;
      ready = true;
      for (const [name, payload] of queue) window.webContents.send(name, payload);
      queue.clear();
    },
    isReady: () => ready,
  };
}
