/**
 * The tray icon: its image, tooltip and context menu follow the core's snapshot. The menu's
 * items run core commands or open the popup.
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Rectangle } from 'electron';
import type { TrayCore } from '../core/interfaces';
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

export interface TrayOptions {
  tray: TrayLike;
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

  let shownImage = '';
  let shownTooltip = '';
  let shownMenu = '';
  let icon: TrayIconState = 'offline';
  let menu: Menu | null = null;

  const render = (snapshot: AppSnapshot) => {
    icon = trayIconState(snapshot);
    const image = trayIconPath(options.assetsDir, icon, options.platform, options.theme());
    if (image !== shownImage) {
      tray.setImage(image);
      shownImage = image;
    }
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
    current: () => ({ icon, tooltip: shownTooltip }),
    dispose: unsubscribe,
  };
}
