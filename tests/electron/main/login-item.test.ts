import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../electron/core/node-ports';
import {
  AUTOSTART_FILE_NAME,
  applyLaunchAtLogin,
  autostartDir,
  desktopExecArgument,
  followLaunchAtLogin,
  type LoginItemOptions,
} from '../../../electron/main/login-item';
import { app, resetElectron } from '../../mocks/electron';

let home: string;

beforeEach(async () => {
  resetElectron();
  home = await mkdtemp(path.join(os.tmpdir(), 'login-item-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function options(overrides: Partial<LoginItemOptions> = {}): LoginItemOptions {
  return {
    platform: 'linux',
    app,
    execPath: '/opt/LM Studio Tray/lmstudio-tray',
    homedir: home,
    env: {},
    fs: {
      mkdir: async (dir) => {
        await mkdir(dir, { recursive: true });
      },
      writeFileAtomic,
      remove: (file) => rm(file, { force: true }),
    },
    ...overrides,
  };
}

describe('Linux autostart entry', () => {
  it('writes ~/.config/autostart/lmstudio-tray.desktop and removes it', async () => {
    app.isPackaged = true;
    await applyLaunchAtLogin(true, options());
    const file = path.join(home, '.config', 'autostart', AUTOSTART_FILE_NAME);
    const entry = await readFile(file, 'utf8');
    expect(entry).toContain('[Desktop Entry]\nType=Application\nName=LM Studio Tray\n');
    expect(entry).toContain('Exec="/opt/LM Studio Tray/lmstudio-tray"\n');
    await applyLaunchAtLogin(false, options());
    await expect(stat(file)).rejects.toThrow();
    // Removing an entry that is already gone is fine.
    await applyLaunchAtLogin(false, options());
  });

  it('starts the AppImage file itself, and the app folder when not packaged', async () => {
    app.isPackaged = true;
    await applyLaunchAtLogin(true, options({ env: { APPIMAGE: '/home/me/Apps/LM-Studio-Tray.AppImage' } }));
    const entry = await readFile(path.join(home, '.config', 'autostart', AUTOSTART_FILE_NAME), 'utf8');
    expect(entry).toContain('Exec=/home/me/Apps/LM-Studio-Tray.AppImage\n');
    app.isPackaged = false;
    const xdg = path.join(home, 'xdg');
    await applyLaunchAtLogin(true, options({ execPath: '/usr/lib/electron', env: { XDG_CONFIG_HOME: xdg } }));
    const dev = await readFile(path.join(xdg, 'autostart', AUTOSTART_FILE_NAME), 'utf8');
    expect(dev).toContain('Exec=/usr/lib/electron /fake/app\n');
  });

  it('quotes Exec arguments by the Desktop Entry rules', () => {
    expect(desktopExecArgument('/usr/bin/tray')).toBe('/usr/bin/tray');
    expect(desktopExecArgument('/a b/c')).toBe('"/a b/c"');
    expect(desktopExecArgument('/a"$`b')).toBe('"/a\\\\"\\\\$\\\\`b"');
    expect(desktopExecArgument('/100%')).toBe('/100%%');
  });

  it('ignores a relative XDG_CONFIG_HOME', () => {
    expect(autostartDir('/home/u', { XDG_CONFIG_HOME: 'relative' })).toBe('/home/u/.config/autostart');
  });
});

describe('macOS and Windows', () => {
  it('uses setLoginItemSettings', async () => {
    app.isPackaged = true;
    await applyLaunchAtLogin(true, options({ platform: 'win32', execPath: 'C:\\Apps\\LM Studio Tray.exe' }));
    await applyLaunchAtLogin(false, options({ platform: 'darwin' }));
    expect(app.loginItemSettings).toEqual([
      { openAtLogin: true, path: 'C:\\Apps\\LM Studio Tray.exe', args: [] },
      { openAtLogin: false, path: '/opt/LM Studio Tray/lmstudio-tray', args: [] },
    ]);
  });
});

describe('followLaunchAtLogin', () => {
  it('applies only changes of the setting, never the value found at start-up', async () => {
    const applied: boolean[] = [];
    const follow = followLaunchAtLogin(
      true,
      async (enabled) => void applied.push(enabled),
      () => {},
    );
    follow({ launchAtLogin: true });
    follow({ launchAtLogin: true });
    expect(applied).toEqual([]);
    follow({ launchAtLogin: false });
    follow({ launchAtLogin: false });
    follow({ launchAtLogin: true });
    expect(applied).toEqual([false, true]);
  });

  it('reports a failure to apply', async () => {
    const errors: unknown[] = [];
    const follow = followLaunchAtLogin(
      false,
      () => Promise.reject(new Error('read-only')),
      (e) => errors.push(e),
    );
    follow({ launchAtLogin: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
  });
});
