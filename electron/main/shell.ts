/**
 * The desktop shell's wiring: every piece below is a small module with its own tests; this
 * function only connects them to Electron and the core, in the order Electron requires.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  nativeTheme,
  powerMonitor,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
  Tray,
} from 'electron';
import type { TrayCore, TrayCoreDeps } from '../core/interfaces';
import { defaultConfigDir, type NodePorts } from '../core/node-ports';
import { createDiagnosticsActions } from './diagnostics';
import { trayIconPath, trayTheme } from './icons';
import { setupIpc } from './ipc';
import type { LaunchOptions } from './launch-options';
import {
  type QuitController,
  quitOnSignals,
  type SignalSource,
  setupPowerEvents,
  setupQuit,
  setupSingleInstance,
} from './lifecycle';
import { applyLaunchAtLogin, followLaunchAtLogin } from './login-item';
import { createElectronNotifier } from './notifications';
import { createPopup, type Popup, popupBackground } from './popup';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, createRendererHandler, POPUP_URL } from './renderer-protocol';
import { createSafeStorageCodec } from './secret-codec';
import { denyAllPermissions, hardenWebContents, isTrustedSender } from './security';
import { setupTray, type TrayController } from './tray';

/** The app's name: also the folder name of its settings on macOS and Windows. */
export const APP_NAME = 'LM Studio Tray';
/** electron-builder's appId, and the AppUserModelId Windows ties notifications to. */
export const APP_ID = 'io.github.lmstudio-tray';

export interface ShellOptions {
  createCore(deps: TrayCoreDeps): TrayCore;
  ports: NodePorts;
  /** The folder of the main bundle (dist-electron/main): assets, preload and renderer are found from it. */
  mainDir: string;
  /** Where SIGINT/SIGTERM/SIGHUP come from (`process`; tests pass an emitter). */
  signals?: SignalSource;
  /** This run's `--base-url`/`--lms`/`--config-dir` (see launch-options.ts): applied, never saved. */
  launch?: LaunchOptions;
}

export interface ShellHandle {
  core: TrayCore;
  popup: Popup;
  tray: TrayController;
  quit: QuitController;
}

/**
 * Module-level on purpose: a `Tray` only referenced from a closure can be garbage-collected,
 * and its icon vanishes from the taskbar.
 */
let trayIcon: Tray | null = null;

/** The folders the shell loads from, relative to the main bundle. */
export function shellPaths(mainDir: string): { preload: string; renderer: string; assets: string } {
  return {
    preload: path.join(mainDir, '..', 'preload', 'preload.cjs'),
    renderer: path.join(mainDir, '..', '..', 'dist', 'renderer'),
    assets: path.join(mainDir, 'assets'),
  };
}

/** True where the compositor places windows itself (native Wayland). */
export function compositorPlacesWindows(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return platform === 'linux' && (env.XDG_SESSION_TYPE === 'wayland' || Boolean(env.WAYLAND_DISPLAY));
}

/**
 * Starts the desktop app. Resolves with the running pieces, or null when another instance
 * already runs (this one quits and that one opens its popup).
 */
export async function startShell(options: ShellOptions): Promise<ShellHandle | null> {
  const { ports } = options;
  const { environment, logger } = ports;
  const { platform } = environment;
  const paths = shellPaths(options.mainDir);
  const logError = (context: string) => (error: unknown) => logger.error(context, error);

  // Before `ready`: the name and settings folder (shared with web mode), one instance, the sandbox
  // for every renderer, the privileged scheme, and hardening for every web contents ever created.
  app.setName(APP_NAME);
  const configDir = options.launch?.configDir ?? defaultConfigDir(environment);
  app.setPath('userData', configDir);
  // Chromium's caches and storage go to a subfolder, so the folder web mode shares holds only our files.
  app.setPath('sessionData', path.join(configDir, 'electron'));
  let popup: Popup | null = null;
  if (!setupSingleInstance(app, () => popup?.show())) return null;
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, shell, logError('Could not open a link in the browser.'));
  });

  await app.whenReady();
  if (platform === 'darwin') {
    app.dock?.hide();
    // Opening the app again from Finder or Spotlight re-activates this instance: show the popup.
    app.on('activate', () => popup?.show());
  }
  if (platform === 'win32') app.setAppUserModelId(APP_ID);
  denyAllPermissions(session.defaultSession);
  protocol.handle(APP_SCHEME, createRendererHandler(paths.renderer, readFile));

  const notifier = createElectronNotifier({
    Notification,
    onClick: () => popup?.show(trayIcon?.getBounds()),
    icon: path.join(paths.assets, 'app-icon.png'),
    onError: logError('Could not show a notification.'),
  });
  const core = options.createCore({
    ...ports,
    notifier,
    configDir,
    overrides: options.launch?.overrides ?? {},
    secretCodec: createSafeStorageCodec(safeStorage, platform),
    transport: 'electron',
    appVersion: app.getVersion(),
  });

  const shownPopup = createPopup({
    BrowserWindow,
    screen,
    platform,
    canPosition: !compositorPlacesWindows(platform, environment.env),
    preloadPath: paths.preload,
    devTools: !app.isPackaged,
    dark: nativeTheme.shouldUseDarkColors,
    ...(platform === 'darwin' ? { activateApp: () => app.focus({ steal: true }) } : {}),
    url: POPUP_URL,
    onVisibilityChange: (visible) => {
      core.invoke('app:popup-visibility', { visible }).catch(logError('Popup visibility update failed.'));
    },
  });
  popup = shownPopup;
  const diagnostics = createDiagnosticsActions({
    core,
    dialog,
    shell,
    downloadsDir: () => app.getPath('downloads'),
    logDir: ports.logFile?.dir ?? null,
  });
  setupIpc({
    ipcMain,
    core,
    isTrustedSender: (event) => isTrustedSender(event, shownPopup.window.webContents),
    onPageReady: () => shownPopup.markReady(),
    onDismiss: () => shownPopup.hide(),
    saveDiagnostics: () => diagnostics.save(),
    openLogFolder: () => diagnostics.openLogFolder(),
    onRefused: (name, event) => logger.warn(`Refused ${name} from a foreign sender.`, event.senderFrame?.url ?? null),
  });
  core.onEvent((event) => {
    // Main shows notifications itself (the bridge says showsNotifications: false).
    if (event.name !== 'notification:show') shownPopup.send(event.name, event.payload);
  });

  const quit = setupQuit({ app, core, onError: logError('Shutdown failed.') });
  quitOnSignals(options.signals ?? process, () => quit.quit());
  setupPowerEvents(powerMonitor, core);

  const theme = () => trayTheme(platform, nativeTheme.shouldUseDarkColors, environment.env);
  trayIcon = new Tray(trayIconPath(paths.assets, 'offline', platform, theme()));
  const tray = setupTray({
    tray: trayIcon,
    clock: ports.clock,
    buildMenu: (template) => Menu.buildFromTemplate(template),
    core,
    popup: shownPopup,
    platform,
    assetsDir: paths.assets,
    theme,
    openSettings: () => {
      shownPopup.show(trayIcon?.getBounds());
      // The page switches to its settings view on this hash (a same-document change, no reload).
      shownPopup.window.webContents
        .executeJavaScript("window.location.hash = 'settings'")
        .catch(logError('Could not open the settings view.'));
    },
    quit: (quitOptions) => quit.quit(quitOptions),
    onCommandError: (message) => logger.warn(message),
  });
  nativeTheme.on('updated', () => {
    tray.refresh();
    shownPopup.window.setBackgroundColor(popupBackground(nativeTheme.shouldUseDarkColors));
  });

  try {
    await core.start();
  } catch (error) {
    // main.ts exits on this error: end whatever the core had started first.
    await core.shutdown().catch(logError('Shutdown after a failed start failed.'));
    throw error;
  }
  // After start: the settings file has been read, so this is the user's saved choice.
  const followLogin = followLaunchAtLogin(
    core.snapshot().settings.launchAtLogin,
    (enabled) =>
      applyLaunchAtLogin(enabled, {
        platform,
        app,
        execPath: process.execPath,
        homedir: environment.homedir,
        env: environment.env,
        fs: {
          mkdir: (dir) => ports.fs.mkdir(dir),
          writeFileAtomic: (file, data) => ports.fs.writeFileAtomic(file, data),
          remove: (file) => rm(file, { force: true }),
        },
      }),
    logError('Could not change launch at login.'),
  );
  core.onEvent((event) => {
    if (event.name === 'settings:changed') followLogin(event.payload);
  });

  return { core, popup: shownPopup, tray, quit };
}
