/**
 * Launches the real desktop app, opens the popup, checks the bridge is the only thing the page
 * gets (no `require`, no `process`), and quits cleanly. Skips, with the reason, where there is
 * no Electron binary (it cannot be downloaded on this project's machines) or no display.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary, PROJECT_ROOT, whyElectronCannotRun } from '../../scripts/electron-binary';

const skipReason = whyElectronCannotRun();
// Electron cannot be downloaded here: without a binary (or a display) the spec skips, saying why.
test.skip(skipReason !== null, skipReason ?? '');

test('the desktop app starts, exposes only the bridge, and quits cleanly', async () => {
  // A throwaway home: settings, the single-instance lock and autostart never touch the user's.
  const home = await mkdtemp(path.join(os.tmpdir(), 'lmstudio-tray-electron-'));
  try {
    const app = await electron.launch({
      executablePath: electronBinary()!,
      args: [PROJECT_ROOT],
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        APPDATA: path.join(home, 'AppData', 'Roaming'),
        // Nothing listens here: the app must come up "Offline" and stay usable.
        LM_API_TOKEN: '',
      },
    });
    const exited = new Promise<number | null>((resolve) => app.process().on('exit', (code) => resolve(code)));

    const page = await app.firstWindow();
    expect(page.url()).toBe('app://popup/index.html');
    await app.evaluate(({ BrowserWindow }) => {
      BrowserWindow.getAllWindows()[0]?.show();
    });
    await expect(page.getByRole('status', { name: 'Server status' })).toBeVisible();

    const exposed = await page.evaluate(() => {
      const bridge = (globalThis as unknown as { lmstudioTray?: Record<string, unknown> }).lmstudioTray;
      return {
        bridgeKeys: bridge ? Object.keys(bridge).sort() : null,
        transport: bridge?.transport,
        requireType: typeof (globalThis as Record<string, unknown>).require,
        processType: typeof (globalThis as Record<string, unknown>).process,
      };
    });
    expect(exposed).toEqual({
      bridgeKeys: ['invoke', 'on', 'showsNotifications', 'transport'],
      transport: 'electron',
      requireType: 'undefined',
      processType: 'undefined',
    });

    const snapshot = await page.evaluate(() =>
      (
        globalThis as unknown as { lmstudioTray: { invoke(name: string): Promise<{ ok: boolean }> } }
      ).lmstudioTray.invoke('app:get-snapshot'),
    );
    expect(snapshot.ok).toBe(true);

    await app.evaluate(({ app: electronApp }) => {
      electronApp.quit();
    });
    expect(await exited).toBe(0);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
