import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrayCoreDeps } from '../../../electron/core/interfaces';
import type { NodePorts } from '../../../electron/core/node-ports';
import {
  app,
  BrowserWindow,
  FakeWebContents,
  ipcMain,
  Notification,
  nativeTheme,
  powerMonitor,
  protocol,
  resetElectron,
  session,
  Tray,
} from '../../mocks/electron';
import { createFakeCore, type FakeCore, snapshot } from './fake-core';

vi.mock('electron', () => import('../../mocks/electron'));

const { APP_ID, APP_NAME, startShell } = await import('../../../electron/main/shell');

function ports(platform: NodeJS.Platform = 'linux'): NodePorts {
  const noop = () => {};
  return {
    clock: {
      now: () => 0,
      setTimeout: () => 0,
      clearTimeout: noop,
      setInterval: () => 0,
      clearInterval: noop,
    },
    spawn: () => {
      throw new Error('the shell never spawns');
    },
    fs: {
      readFile: async () => '',
      writeFileAtomic: async () => {},
      rename: async () => {},
      exists: async () => false,
      isExecutable: async () => false,
      mkdir: async () => {},
      stat: async () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
      realpath: async (file) => file,
      withLock: (_file, work) => work(),
      removeLeftovers: async () => [],
    },
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    environment: { platform, homedir: '/home/me', env: {} },
    which: async () => null,
    diskSpace: { freeSpace: async () => ({ freeBytes: 100e9, totalBytes: 500e9 }) },
    systemMemory: () => ({ totalBytes: 16 * 2 ** 30, freeBytes: 8 * 2 ** 30 }),
  };
}

async function start(platform: NodeJS.Platform = 'linux', signals = new EventEmitter()) {
  let deps: TrayCoreDeps | null = null;
  let core!: FakeCore;
  const running = startShell({
    createCore: (d) => {
      deps = d;
      core = createFakeCore(snapshot({ state: 'online' }));
      return core;
    },
    ports: ports(platform),
    mainDir: '/app/dist-electron/main',
    signals,
  });
  // Everything that must happen before `ready` has happened by now.
  expect(protocol.privileged).toHaveLength(1);
  app.makeReady();
  const handle = await running;
  if (!handle) throw new Error('the shell did not start');
  return { handle, core, deps: deps as unknown as TrayCoreDeps };
}

beforeEach(() => resetElectron());

describe('startShell', () => {
  it('before ready: names the app, shares the settings folder with web mode, enables the sandbox, registers app://', async () => {
    const { deps } = await start('linux');
    expect(app.name).toBe('LM Studio Tray');
    expect(app.paths.get('userData')).toBe('/home/me/.config/lmstudio-tray');
    expect(app.paths.get('sessionData')).toBe('/home/me/.config/lmstudio-tray/electron');
    expect(deps.configDir).toBe('/home/me/.config/lmstudio-tray');
    expect(app.sandboxEnabled).toBe(true);
    expect(protocol.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
    ]);
    expect(protocol.handlers.has('app')).toBe(true);
    expect(deps.transport).toBe('electron');
    expect(deps.secretCodec?.available).toBe(true);
  });

  it('macOS: hides the dock icon and shows the popup when activated again; Windows: sets the AppUserModelId', async () => {
    await start('darwin');
    expect(app.dock?.hidden).toBe(true);
    expect(app.appUserModelId).toBeNull();
    app.emit('activate');
    expect(BrowserWindow.instances[0]!.isVisible()).toBe(true);
    // A menu-bar app is activated when its popup opens, so the popup has focus (and can blur).
    expect(app.focusCalls).toEqual([{ steal: true }]);
    resetElectron();
    await start('win32');
    expect(app.appUserModelId).toBe(APP_ID);
    app.emit('second-instance');
    expect(app.focusCalls).toEqual([]);
  });

  it('creates the hidden popup, the tray, and starts the core', async () => {
    const { core } = await start();
    const window = BrowserWindow.instances[0]!;
    expect(window.isVisible()).toBe(false);
    expect(window.webContents.loadedUrl).toBe('app://popup/index.html');
    expect((window.options.webPreferences as { preload: string }).preload).toBe(
      path.join('/app/dist-electron/preload/preload.cjs'),
    );
    expect(Tray.instances).toHaveLength(1);
    expect(Tray.instances[0]!.toolTip).toBe('LM Studio: online · no model loaded');
    expect(core.started).toBe(true);
  });

  it('hardens every web contents created and denies every permission', async () => {
    await start();
    const contents = new FakeWebContents();
    app.emit('web-contents-created', {}, contents);
    expect(contents.emitCancellable('will-navigate', { url: 'https://evil.example/' })).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    let granted: boolean | null = null;
    session.defaultSession.permissionRequestHandler!(null, 'media', (g) => {
      granted = g;
    });
    expect(granted).toBe(false);
  });

  it('a theme change updates the tray icon set and the popup background', async () => {
    await start('win32');
    expect(Tray.instances[0]!.image).toMatch(/-light\.png$/);
    nativeTheme.shouldUseDarkColors = true;
    nativeTheme.emit('updated');
    expect(Tray.instances[0]!.image).toMatch(/-dark\.png$/);
    expect(BrowserWindow.instances[0]!.backgroundColor).toBe('#131519');
  });

  it('a second launch opens the popup', async () => {
    await start();
    app.emit('second-instance');
    expect(BrowserWindow.instances[0]!.isVisible()).toBe(true);
  });

  it('a core that fails to start is shut down before the error reaches main', async () => {
    let core!: FakeCore;
    const running = startShell({
      createCore: () => {
        core = createFakeCore(snapshot({ state: 'online' }));
        core.start = () => Promise.reject(new Error('settings folder unwritable'));
        return core;
      },
      ports: ports(),
      mainDir: '/app/dist-electron/main',
      signals: new EventEmitter(),
    });
    app.makeReady();
    await expect(running).rejects.toThrow('settings folder unwritable');
    expect(core.shutdowns).toHaveLength(1);
  });

  it('a second instance does not start anything', async () => {
    app.singleInstanceLock = false;
    const created = vi.fn();
    const handle = await startShell({ createCore: created, ports: ports(), mainDir: '/app/dist-electron/main' });
    expect(handle).toBeNull();
    expect(created).not.toHaveBeenCalled();
    expect(app.quitCalls).toBe(1);
  });

  it('the core notifier shows an Electron notification whose click opens the popup', async () => {
    const { deps } = await start();
    deps.notifier.show({ kind: 'serverDown', title: 'LM Studio stopped', body: 'Start it again from the tray.' });
    const shown = Notification.instances[0]!;
    expect(shown.shown).toBe(true);
    expect(shown.options.title).toBe('LM Studio stopped');
    shown.emit('click');
    expect(BrowserWindow.instances[0]!.isVisible()).toBe(true);
  });

  it('tells the core when the popup opens and closes', async () => {
    const { handle, core } = await start();
    handle.popup.show();
    handle.popup.hide();
    expect(core.invocations.filter((i) => i.name === 'app:popup-visibility').map((i) => i.payload)).toEqual([
      { visible: true },
      { visible: false },
    ]);
  });

  it('forwards core events to the page once it has asked for its snapshot; refuses foreign senders', async () => {
    const { core } = await start();
    const window = BrowserWindow.instances[0]!;
    core.emit({ name: 'loads:changed', payload: [] });
    core.emit({ name: 'notification:show', payload: { kind: 'serverUp', title: 't', body: 'b' } });
    expect(window.webContents.sent).toEqual([]);

    const other = new FakeWebContents();
    const refused = await ipcMain.invoke('app:get-snapshot', { sender: other, senderFrame: other.mainFrame });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(window.webContents.sent).toEqual([]);

    await ipcMain.invoke('app:get-snapshot', { sender: window.webContents, senderFrame: window.webContents.mainFrame });
    // Main shows notifications itself: only state events reach the page.
    expect(window.webContents.sent).toEqual([{ channel: 'loads:changed', payload: [] }]);
  });

  it('Escape left unhandled by the page closes the popup; a foreign sender cannot close it', async () => {
    const { handle, core } = await start();
    const window = BrowserWindow.instances[0]!;
    handle.popup.show();
    const other = new FakeWebContents();
    await ipcMain.invoke('popup:dismiss', { sender: other, senderFrame: other.mainFrame });
    expect(window.isVisible()).toBe(true);

    const result = await ipcMain.invoke('popup:dismiss', {
      sender: window.webContents,
      senderFrame: window.webContents.mainFrame,
    });
    expect(result).toEqual({ ok: true, value: null });
    expect(window.isVisible()).toBe(false);
    // Main's own business: the core never hears of it (only that the popup was hidden).
    expect(core.invocations.map((i) => i.name)).not.toContain('popup:dismiss');
    expect(core.invocations.filter((i) => i.name === 'app:popup-visibility').at(-1)?.payload).toEqual({
      visible: false,
    });
  });

  it('Settings in the tray menu opens the popup on its settings view', async () => {
    await start();
    const menu = Tray.instances[0]!.contextMenu!;
    menu.click('settings');
    const window = BrowserWindow.instances[0]!;
    expect(window.isVisible()).toBe(true);
    expect(window.webContents.executed).toEqual(["window.location.hash = 'settings'"]);
  });

  it('passes sleep and wake to the core', async () => {
    const { core } = await start();
    powerMonitor.emit('suspend');
    powerMonitor.emit('resume');
    expect(core.powerEvents).toEqual(['suspend', 'resume']);
  });

  it('Quit waits for core.shutdown() (which ends every lms child) before the app exits', async () => {
    const { core, handle } = await start();
    let finish!: () => void;
    core.shutdownGate = new Promise((resolve) => {
      finish = resolve;
    });
    const willQuit = vi.fn();
    app.on('will-quit', willQuit);
    Tray.instances[0]!.contextMenu!.click('quit');
    expect(core.shutdowns).toEqual([undefined]);
    expect(willQuit).not.toHaveBeenCalled();
    finish();
    await handle.quit.shuttingDown;
    expect(willQuit).toHaveBeenCalledTimes(1);
  });

  it('SIGINT/SIGTERM quit through the same shutdown instead of killing the app', async () => {
    const signals = new EventEmitter();
    const { core, handle } = await start('linux', signals);
    signals.emit('SIGTERM');
    await handle.quit.shuttingDown;
    expect(core.shutdowns).toEqual([undefined]);
  });

  it('developer tools only when not packaged', async () => {
    await start();
    expect((BrowserWindow.instances[0]!.options.webPreferences as { devTools: boolean }).devTools).toBe(true);
    resetElectron();
    app.isPackaged = true;
    await start();
    expect((BrowserWindow.instances[0]!.options.webPreferences as { devTools: boolean }).devTools).toBe(false);
  });

  it('uses the same id and name as electron-builder.yml (Windows ties notifications to the AppUserModelId)', () => {
    const config = readFileSync(path.resolve(import.meta.dirname, '../../../electron-builder.yml'), 'utf8');
    expect(config).toMatch(new RegExp(`^appId: ${APP_ID.replace(/\./g, '\\.')}$`, 'm'));
    expect(config).toMatch(new RegExp(`^productName: ${APP_NAME}$`, 'm'));
  });

  it('follows launch-at-login changes, never the value found at start-up', async () => {
    const { core } = await start('darwin');
    core.emit({ name: 'settings:changed', payload: { ...core.current.settings, launchAtLogin: false } });
    expect(app.loginItemSettings).toEqual([]);
    core.emit({ name: 'settings:changed', payload: { ...core.current.settings, launchAtLogin: true } });
    await vi.waitFor(() => expect(app.loginItemSettings).toHaveLength(1));
    expect(app.loginItemSettings[0]).toMatchObject({ openAtLogin: true });
  });
});
