import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Bridge } from '../../../electron/shared/contract';
import { contextBridge, ipcRenderer, resetElectron } from '../../mocks/electron';

vi.mock('electron', () => import('../../mocks/electron'));

let api: Bridge;

beforeAll(async () => {
  resetElectron();
  await import('../../../electron/preload/preload');
  api = contextBridge.exposed.get('lmstudioTray') as Bridge;
});

beforeEach(() => {
  ipcRenderer.removeAllListeners();
  ipcRenderer.invocations.length = 0;
  ipcRenderer.reply = async () => ({ ok: true, value: null });
});

describe('the preload bridge', () => {
  it('exposes exactly the Bridge under window.lmstudioTray, and nothing else', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['lmstudioTray']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on', 'showsNotifications', 'transport']);
    expect(api.showsNotifications).toBe(false);
    expect(api.transport).toBe('electron');
  });

  it('invokes a contract command on its own channel and returns the result', async () => {
    ipcRenderer.reply = async (channel, payload) => ({ ok: true, value: { channel, payload } });
    const result = await api.invoke('models:unload', { identifier: 'qwen/qwen3-4b' });
    expect(result).toEqual({ ok: true, value: { channel: 'models:unload', payload: { identifier: 'qwen/qwen3-4b' } } });
    expect(ipcRenderer.invocations).toEqual([{ channel: 'models:unload', payload: { identifier: 'qwen/qwen3-4b' } }]);
  });

  it('refuses a name outside the contract without touching IPC', async () => {
    const result = await api.invoke('../../secret' as never);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await api.invoke('toString' as never)).toMatchObject({ ok: false });
    expect(ipcRenderer.invocations).toEqual([]);
  });

  it('turns a failed IPC call into an error value', async () => {
    ipcRenderer.reply = () => Promise.reject(new Error('main is gone'));
    const result = await api.invoke('server:refresh');
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('passes only the payload to listeners (never the Electron event), and unsubscribes', () => {
    const heard: unknown[][] = [];
    const off = api.on('loads:changed', (...args: unknown[]) => heard.push(args));
    ipcRenderer.emit('loads:changed', { sender: ipcRenderer, ports: [] }, [{ modelKey: 'a' }]);
    expect(heard).toEqual([[[{ modelKey: 'a' }]]]);
    off();
    ipcRenderer.emit('loads:changed', { sender: ipcRenderer }, []);
    expect(heard).toHaveLength(1);
    expect(ipcRenderer.listenerCount('loads:changed')).toBe(0);
  });

  it('refuses events outside the contract', () => {
    expect(() => api.on('ipc-internal' as never, () => {})).toThrow(/Unknown event/);
    expect(ipcRenderer.listenerCount('ipc-internal')).toBe(0);
  });
});
