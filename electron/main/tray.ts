/**
 * The tray icon: its image, tooltip and context menu follow the core's snapshot. The menu's
 * items run core commands or open the popup.
 *
 * The icon's state changes at most once every ICON_MIN_INTERVAL_MS: a chat answers request after
 * request, and an icon flipping between generating and loaded for each would flicker. A change
 * that comes too soon waits for the end of that second and shows the state as it is then (a
 * blip that is over by then never shows). The tooltip and menu follow at once.
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Rectangle } from 'electron';
import type { TrayCore } from '../core/interfaces';
import type { Clock } from '../core/ports';
import type { AppSnapshot } from '../shared/contract';
import { type TrayTheme, trayIconPath } from './icons';
import type { Popup } from './popup';
import {
  menuKey,
  type TrayIconState,
  type TrayMenuActions,
  trayIconState,
  trayMenuTemplate,
  trayTooltip,
} from './tray-view';

/** The subset of `Tray` used here. */
export interface TrayLike {
  setImage(image: NativeImage | string): void;
  setToolTip(toolTip: string): void;
  setContextMenu(menu: Menu | null): void;
  popUpContextMenu(menu?: Menu): void;
  getBounds(): Rectangle;
  on(event: 'click', listener: (event: unknown, bounds: Rectangle) => void): unknown;
  on(event: 'right-click', listener: (event: unknown, bounds: Rectangle) => void): unknown;
}

/** The icon's state changes at most this often (a theme switch of the same state is not a change). */
export const ICON_MIN_INTERVAL_MS = 1000;

export interface TrayOptions {
  tray: TrayLike;
  /** Times the icon's changes (tests pass fake timers). */
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  buildMenu(template: MenuItemConstructorOptions[]): Menu;
  core: Pick<TrayCore, 'snapshot' | 'onEvent' | 'invoke'>;
  popup: Pick<Popup, 'show' | 'toggle'>;
  platform: NodeJS.Platform;
  assetsDir: string;
  /** Read on every update, so a theme switch applies at the next refresh (call `refresh`). */
  theme(): TrayTheme;
  /** Opens the popup on its settings view. */
  openSettings(): void;
  quit(options: { cancelDownloads: boolean }): void;
  onCommandError?(message: string): void;
}

export interface TrayController {
  /** Re-reads the snapshot and updates what changed (also after a theme change). */
  refresh(): void;
  /** What the tray shows now (for tests and logs). */
  current(): { icon: TrayIconState; tooltip: string };
  dispose(): void;
}

/** Wires the tray to the core; the caller keeps the `Tray` in a module-level reference. */
export function setupTray(options: TrayOptions): TrayController {
  const { tray, core, popup } = options;

  const run = (name: Parameters<TrayCore['invoke']>[0], payload?: unknown) => {
    core
      .invoke(name, payload)
      .then((result) => {
        if (!result.ok) options.onCommandError?.(result.error.message);
      })
      .catch((error: unknown) => options.onCommandError?.(String(error)));
  };

  const actions: TrayMenuActions = {
    openPopup: () => popup.show(tray.getBounds()),
    openSettings: () => options.openSettings(),
    unload: (identifier) => run('models:unload', { identifier }),
    unloadAll: () => run('models:unload-all'),
    startServer: () => run('server:start'),
    stopServer: () => run('server:stop'),
    quit: (quitOptions) => options.quit(quitOptions),
  };

  const { clock } = options;
  let shownImage = '';
  let shownTooltip = '';
  let shownMenu = '';
  /** The state the icon shows, and the one the snapshot asks for (they differ while a change waits). */
  let shownIcon: TrayIconState | null = null;
  let wantedIcon: TrayIconState = 'offline';
  let iconChangedAt = Number.NEGATIVE_INFINITY;
  let iconTimer: unknown = null;
  let menu: Menu | null = null;

  /** Shows the wanted state in the current theme's image. */
  const showIcon = () => {
    if (wantedIcon !== shownIcon) {
      shownIcon = wantedIcon;
      iconChangedAt = clock.now();
    }
    const image = trayIconPath(options.assetsDir, wantedIcon, options.platform, options.theme());
    if (image !== shownImage) {
      tray.setImage(image);
      shownImage = image;
    }
  };

  const updateIcon = (wanted: TrayIconState) => {
    wantedIcon = wanted;
    if (wanted === shownIcon) {
      // Back to what shows before the wait was over: nothing to change (but a new theme, at once).
      if (iconTimer !== null) clock.clearTimeout(iconTimer);
      iconTimer = null;
      showIcon();
      return;
    }
    // A change already waits: it shows whatever is wanted when its time comes.
    if (iconTimer !== null) return;
    const wait = iconChangedAt + ICON_MIN_INTERVAL_MS - clock.now();
    if (wait <= 0) {
      showIcon();
      return;
    }
    iconTimer = clock.setTimeout(() => {
      iconTimer = null;
      showIcon();
    }, wait);
  };

  const render = (snapshot: AppSnapshot) => {
    updateIcon(trayIconState(snapshot));
    const tooltip = trayTooltip(snapshot);
    if (tooltip !== shownTooltip) {
      tray.setToolTip(tooltip);
      shownTooltip = tooltip;
    }
    const template = trayMenuTemplate(snapshot, actions);
    const key = menuKey(template);
    if (key !== shownMenu) {
      menu = options.buildMenu(template);
      // On macOS a set context menu swallows the left click that toggles the popup, so the
      // menu opens on right-click instead; Linux shows only a menu that is set (again).
      if (options.platform !== 'darwin') tray.setContextMenu(menu);
      shownMenu = key;
    }
  };

  const refresh = () => render(core.snapshot());

  tray.on('click', (_event, bounds) => popup.toggle(bounds));
  if (options.platform === 'darwin') {
    tray.on('right-click', () => {
      if (menu) tray.popUpContextMenu(menu);
    });
  }
  const unsubscribe = core.onEvent((event) => {
    // The popup's own notification events change nothing the tray shows.
    if (event.name !== 'notification:show') refresh();
  });
  refresh();

  return {
    refresh,
    current: () => ({ icon: shownIcon ?? wantedIcon, tooltip: shownTooltip }),
    dispose: () => {
      unsubscribe();
      if (iconTimer !== null) clock.clearTimeout(iconTimer);
      iconTimer = null;
    },
  };
}
