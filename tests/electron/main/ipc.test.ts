import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { beforeEach, describe, expect, it } from 'vitest';
import { FOREIGN_SENDER_MESSAGE, type IpcMainLike, setupIpc } from '../../../electron/main/ipc';
import { isTrustedSender } from '../../../electron/main/security';
import { COMMAND_NAMES } from '../../../electron/shared/contract';
import { parseCommand } from '../../../electron/shared/contract-schemas';
import { FakeWebContents, FakeWebFrameMain, ipcMain, resetElectron } from '../../mocks/electron';
import { createFakeCore, snapshot } from './fake-core';

let popupContents: FakeWebContents;
let readyCalls: number;
let dismissCalls: number;
let refused: string[];
let mainAnswered: string[];

function wire() {
  const core = createFakeCore(snapshot());
  // Like the real core: the payload is validated against the contract before anything runs.
  core.reply = async (name, payload) => {
    const parsed = parseCommand(name as never, payload);
    return parsed.ok ? { ok: true, value: `ran ${name}` } : parsed;
  };
  const dispose = setupIpc({
    ipcMain: ipcMain as unknown as IpcMainLike,
    core,
    isTrustedSender: (event) => isTrustedSender(event, popupContents as unknown as WebContents),
    onPageReady: () => readyCalls++,
    onDismiss: () => dismissCalls++,
    saveDiagnostics: async () => {
      mainAnswered.push('app:save-diagnostics');
      return { ok: true, value: { path: '/home/u/Downloads/report.txt' } };
    },
    openLogFolder: async () => {
      mainAnswered.push('app:open-log-folder');
      return { ok: true, value: null };
    },
    onRefused: (name) => refused.push(name),
  });
  return { core, dispose };
}

function eventFrom(sender: FakeWebContents, frame: FakeWebFrameMain | null): IpcMainInvokeEvent {
  return { sender, senderFrame: frame } as unknown as IpcMainInvokeEvent;
}

beforeEach(() => {
  resetElectron();
  popupContents = new FakeWebContents('app://popup/index.html');
  readyCalls = 0;
  dismissCalls = 0;
  refused = [];
  mainAnswered = [];
});

describe('setupIpc', () => {
  it('registers exactly one channel per command, and removes them all', () => {
    const { dispose } = wire();
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...COMMAND_NAMES].sort());
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('runs a command from our popup and returns the core result', async () => {
    const { core } = wire();
    const result = await ipcMain.invoke('models:unload', eventFrom(popupContents, popupContents.mainFrame), {
      identifier: 'qwen/qwen3-4b',
    });
    expect(result).toEqual({ ok: true, value: 'ran models:unload' });
    expect(core.invocations).toEqual([{ name: 'models:unload', payload: { identifier: 'qwen/qwen3-4b' } }]);
  });

  it('answers popup:dismiss itself (main hides the popup), and only for our popup', async () => {
    const { core } = wire();
    const other = new FakeWebContents('app://popup/index.html');
    expect(await ipcMain.invoke('popup:dismiss', eventFrom(other, other.mainFrame))).toMatchObject({ ok: false });
    expect(dismissCalls).toBe(0);
    const result = await ipcMain.invoke('popup:dismiss', eventFrom(popupContents, popupContents.mainFrame));
    expect(result).toEqual({ ok: true, value: null });
    expect(dismissCalls).toBe(1);
    expect(core.invocations).toEqual([]);
  });

  it('answers the diagnostics save and the log folder itself, payloads checked, only for our popup', async () => {
    const { core } = wire();
    const ours = eventFrom(popupContents, popupContents.mainFrame);
    expect(await ipcMain.invoke('app:save-diagnostics', ours)).toEqual({
      ok: true,
      value: { path: '/home/u/Downloads/report.txt' },
    });
    expect(await ipcMain.invoke('app:open-log-folder', ours)).toEqual({ ok: true, value: null });
    expect(await ipcMain.invoke('app:open-log-folder', ours, { path: '/etc' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-input' },
    });
    const other = new FakeWebContents('app://popup/index.html');
    expect(await ipcMain.invoke('app:save-diagnostics', eventFrom(other, other.mainFrame))).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(mainAnswered).toEqual(['app:save-diagnostics', 'app:open-log-folder']);
    expect(core.invocations).toEqual([]);
  });

  it('refuses popup:dismiss with a payload, as the contract says, without hiding anything', async () => {
    const { core } = wire();
    const result = await ipcMain.invoke('popup:dismiss', eventFrom(popupContents, popupContents.mainFrame), {
      hide: 'everything',
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(dismissCalls).toBe(0);
    expect(core.invocations).toEqual([]);
  });

  it('refuses a foreign sender (another webContents) before the core sees anything', async () => {
    const { core } = wire();
    const other = new FakeWebContents('app://popup/index.html');
    const result = await ipcMain.invoke('server:stop', eventFrom(other, other.mainFrame));
    expect(result).toEqual({ ok: false, error: { code: 'forbidden', message: FOREIGN_SENDER_MESSAGE } });
    expect(core.invocations).toEqual([]);
    expect(refused).toEqual(['server:stop']);
  });

  it('refuses a null frame (navigated away or destroyed)', async () => {
    const { core } = wire();
    const result = await ipcMain.invoke('server:stop', eventFrom(popupContents, null));
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(core.invocations).toEqual([]);
  });

  it.each([
    'https://evil.example/index.html',
    'file:///home/user/index.html',
    'app://evil/index.html',
    'app://user:pass@popup/index.html',
    'http://popup/index.html',
    'not a url',
  ])('refuses our window once its page shows %s', async (url) => {
    const { core } = wire();
    popupContents.mainFrame.url = url;
    const result = await ipcMain.invoke('models:unload-all', eventFrom(popupContents, popupContents.mainFrame));
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(core.invocations).toEqual([]);
  });

  it('refuses a subframe, even one showing our page', async () => {
    const { core } = wire();
    const subframe = new FakeWebFrameMain('app://popup/index.html');
    const result = await ipcMain.invoke('models:unload-all', eventFrom(popupContents, subframe));
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(core.invocations).toEqual([]);
  });

  it('returns an invalid payload as an error value, not a throw', async () => {
    wire();
    const result = await ipcMain.invoke('models:load', eventFrom(popupContents, popupContents.mainFrame), {
      modelKey: '--help',
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });

  it('turns a throwing core into an internal error value', async () => {
    const { core } = wire();
    core.reply = () => Promise.reject(new Error('boom'));
    const result = await ipcMain.invoke('server:refresh', eventFrom(popupContents, popupContents.mainFrame));
    expect(result).toEqual({
      ok: false,
      error: { code: 'internal', message: 'Something went wrong inside LM Studio Tray: boom' },
    });
  });

  it('treats the first snapshot request from our page as "ready", never a foreign one', async () => {
    wire();
    const other = new FakeWebContents();
    await ipcMain.invoke('app:get-snapshot', eventFrom(other, other.mainFrame));
    expect(readyCalls).toBe(0);
    await ipcMain.invoke('server:refresh', eventFrom(popupContents, popupContents.mainFrame));
    expect(readyCalls).toBe(0);
    await ipcMain.invoke('app:get-snapshot', eventFrom(popupContents, popupContents.mainFrame));
    expect(readyCalls).toBe(1);
  });
});
