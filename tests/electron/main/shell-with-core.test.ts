/**
 * The shell wired to the REAL core, against the LM Studio simulator (HTTP server + fake `lms`),
 * with only Electron faked: the tray follows real state changes, the popup's IPC reaches the
 * real core, and quitting ends every `lms` child before the app exits.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { createTrayCore } from '../../../electron/core/app';
import {
  nodeDiskSpace,
  nodeFileSystem,
  nodeSystemMemory,
  spawnWithoutShell,
  systemClock,
} from '../../../electron/core/node-ports';
import { app, BrowserWindow, ipcMain, Notification, resetElectron, Tray } from '../../mocks/electron';

vi.mock('electron', () => import('../../mocks/electron'));

const { startShell } = await import('../../../electron/main/shell');

const WAIT = { timeout: 15_000, interval: 25 };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
let sim: Simulator;

/** Fake `lms` processes still running for this simulator (reads `ps`; kills nothing). */
function lmsChildren(): string[] {
  if (process.platform === 'win32') return [];
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(sim.homeDir));
}

beforeEach(async () => {
  resetElectron();
  sim = await startSimulator({ loaded: ['qwen/qwen3-4b'] });
});
afterEach(async () => {
  await sim.close();
});

describe('the shell with the real core', () => {
  it('follows LM Studio in the tray, serves the popup over IPC, and quits after shutdown', async () => {
    const running = startShell({
      createCore: (deps) => createTrayCore({ ...deps, overrides: { pollIntervalMs: 1000 } }),
      ports: {
        clock: systemClock,
        spawn: spawnWithoutShell,
        fs: nodeFileSystem,
        logger: silent,
        // HOME is the simulator's: its LM Studio home holds the port and `.lmstudio/bin/lms`,
        // and the settings folder lands there too.
        environment: { platform: 'linux', homedir: sim.homeDir, env: { PATH: process.env.PATH } },
        which: async () => null,
        diskSpace: nodeDiskSpace,
        systemMemory: nodeSystemMemory,
      },
      mainDir: '/app/dist-electron/main',
    });
    app.makeReady();
    const shell = await running;
    if (!shell) throw new Error('the shell did not start');
    const tray = Tray.instances[0]!;
    await vi.waitFor(() => expect(tray.toolTip).toBe('LM Studio: online · qwen3-4b loaded'), WAIT);
    // The icon changes at most once a second: it may follow the tooltip a moment later.
    await vi.waitFor(() => expect(tray.image).toMatch(/loaded-(dark|light)\.png$/), WAIT);

    const popup = BrowserWindow.instances[0]!;
    const fromPopup = { sender: popup.webContents, senderFrame: popup.webContents.mainFrame };
    const snapshot = (await ipcMain.invoke('app:get-snapshot', fromPopup)) as {
      ok: boolean;
      value: { status: { state: string } };
    };
    expect(snapshot.ok).toBe(true);
    expect(snapshot.value.status.state).toBe('online');

    // Unloading from the tray menu reaches LM Studio, and the tray follows.
    tray.contextMenu!.click('unload:qwen/qwen3-4b');
    await vi.waitFor(() => expect(tray.toolTip).toBe('LM Studio: online · no model loaded'), WAIT);
    expect(tray.contextMenu!.labels()).not.toContain('Unload all');
    // The page, ready since its snapshot request, heard the change too.
    await vi.waitFor(
      () => expect(popup.webContents.sent.some((message) => message.channel === 'models:changed')).toBe(true),
      WAIT,
    );

    // An invalid payload from our own popup is still refused by the contract, as a value.
    const invalid = await ipcMain.invoke('models:load', fromPopup, { modelKey: '-rf' });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-input' } });

    // The server goes away: offline icon and a notification from main.
    await sim.stopServer();
    await vi.waitFor(() => expect(tray.toolTip).toMatch(/^LM Studio: (server stopped|offline)/), WAIT);
    await vi.waitFor(() => expect(tray.image).toMatch(/offline-(dark|light)\.png$/), WAIT);
    await vi.waitFor(() => expect(Notification.instances.filter((n) => n.shown)).toHaveLength(1), WAIT);
    // Clicking it opens the popup.
    Notification.instances[0]!.emit('click');
    expect(popup.isVisible()).toBe(true);

    const willQuit = vi.fn();
    app.on('will-quit', willQuit);
    tray.contextMenu!.click('quit');
    await shell.quit.shuttingDown;
    expect(willQuit).toHaveBeenCalledTimes(1);
    expect(lmsChildren()).toEqual([]);
  }, 30_000);
});
