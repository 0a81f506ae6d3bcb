/**
 * The popup's preload: exposes exactly the contract's `Bridge` as `window.lmstudioTray`, and
 * nothing else (no `ipcRenderer`, no Node). Bundled to one CommonJS file because a sandboxed
 * preload cannot load ES modules or anything but `electron`'s renderer modules.
 */
import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import { type Bridge, type CommandError, EVENT_NAMES, type EventName, isCommandName } from '../shared/contract';

function refused(message: string): { ok: false; error: CommandError } {
  return { ok: false, error: { code: 'invalid-input', message } };
}

function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as string[]).includes(name);
}

const api = {
  invoke(name, payload) {
    // Only the contract's channels: a compromised page cannot reach any other ipcMain handler.
    if (!isCommandName(name)) return Promise.resolve(refused(`Unknown command ${String(name)}.`));
    return ipcRenderer.invoke(name, payload).catch((error: unknown) => ({
      ok: false as const,
      error: {
        code: 'internal' as const,
        message: `LM Studio Tray could not reach its main process: ${error instanceof Error ? error.message : String(error)}`,
      },
    }));
  },
  on(name, listener) {
    if (!isEventName(name)) throw new TypeError(`Unknown event ${String(name)}.`);
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
    // The Electron event object (with `sender`, a handle on ipcRenderer) never reaches the page.
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(name, wrapped);
    return () => {
      ipcRenderer.removeListener(name, wrapped);
    };
  },
  showsNotifications: false,
  transport: 'electron',
} satisfies Bridge;

contextBridge.exposeInMainWorld('lmstudioTray', api);
