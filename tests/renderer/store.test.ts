import { describe, expect, it, vi } from 'vitest';
import { STATE_EVENT_NAMES } from '../../electron/shared/contract';
import { createTrayStore, keepTurnedOffNotice, pendingKey } from '../../renderer/src/store';
import { createFakeBridge, fail, ok } from './fake-bridge';
import { makeDownload, makeInstance, makeModel, makeSettings, makeSnapshot, makeStatus } from './fixtures';

describe('the tray store', () => {
  it('starts empty ("Checking"), then holds the snapshot', async () => {
    const snapshot = makeSnapshot({ downloads: [makeDownload()] });
    const store = createTrayStore(createFakeBridge(snapshot));
    expect(store.getState().status).toBeNull();
    store.getState().start();
    await vi.waitFor(() => expect(store.getState().status).toEqual(snapshot.status));
    const state = store.getState();
    expect(state.models).toEqual(snapshot.models);
    expect(state.downloads).toEqual(snapshot.downloads);
    expect(state.settings).toEqual(snapshot.settings);
    expect(state.app).toEqual(snapshot.app);
  });

  it('subscribes to every event once and follows them', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    const store = createTrayStore(bridge);
    const stop = store.getState().start();
    await vi.waitFor(() => expect(store.getState().status).not.toBeNull());
    for (const name of STATE_EVENT_NAMES) {
      expect(bridge.listenerCount(name)).toBe(1);
    }

    const offline = makeStatus({ state: 'offline', detail: 'LM Studio is not running.' });
    bridge.emit('server:status-changed', offline);
    expect(store.getState().status).toEqual(offline);

    const models = { models: [], loaded: [makeInstance()], stale: true, updatedAt: 1, source: 'v1' as const };
    bridge.emit('models:changed', models);
    expect(store.getState().models).toEqual(models);

    const downloads = [makeDownload({ percent: 80 })];
    bridge.emit('downloads:changed', downloads);
    expect(store.getState().downloads).toEqual(downloads);

    const settings = makeSettings({ pollIntervalMs: 9000 });
    bridge.emit('settings:changed', settings);
    expect(store.getState().settings).toEqual(settings);

    stop();
    expect(bridge.listenerCount('server:status-changed')).toBe(0);
  });

  it('keeps what an event said when an older snapshot arrives after it', async () => {
    let answer: (value: ReturnType<typeof ok>) => void = () => {};
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('app:get-snapshot', () => new Promise((resolve) => (answer = resolve as typeof answer)));
    const store = createTrayStore(bridge);
    store.getState().start();

    const fresh = makeStatus({ state: 'server-stopped' });
    bridge.emit('server:status-changed', fresh);
    answer(ok(makeSnapshot({ status: makeStatus({ state: 'online' }) })));

    await vi.waitFor(() => expect(store.getState().models).not.toBeNull());
    expect(store.getState().status).toEqual(fresh);
  });

  it('remembers why the snapshot could not be read, and reads it again on request', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('app:get-snapshot', () => fail('unavailable', 'The tray app is not answering.'));
    const store = createTrayStore(bridge);
    store.getState().start();
    await vi.waitFor(() => expect(store.getState().snapshotError).toBe('The tray app is not answering.'));
    expect(store.getState().status).toBeNull();

    bridge.handle('app:get-snapshot', () => ok(makeSnapshot()));
    await store.getState().reload();
    expect(store.getState().status).not.toBeNull();
    expect(store.getState().snapshotError).toBeNull();
  });

  it('a later reload applies the whole new snapshot, even for fields events had set before it', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    const store = createTrayStore(bridge);
    store.getState().start();
    await vi.waitFor(() => expect(store.getState().models).not.toBeNull());
    bridge.emit('server:status-changed', makeStatus({ state: 'offline' }));

    const later = makeStatus({ state: 'online', port: 4321 });
    bridge.handle('app:get-snapshot', () => ok(makeSnapshot({ status: later })));
    await store.getState().reload();
    expect(store.getState().status).toEqual(later);
  });

  it('clears a failed-snapshot message once the core speaks again', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('app:get-snapshot', () => fail('unavailable', 'The tray app is not answering.'));
    const store = createTrayStore(bridge);
    store.getState().start();
    await vi.waitFor(() => expect(store.getState().snapshotError).not.toBeNull());
    bridge.emit('server:status-changed', makeStatus({ state: 'online' }));
    expect(store.getState().snapshotError).toBeNull();
  });

  it('turns a refused command into one dismissible error, and marks the action pending meanwhile', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    let finish: () => void = () => {};
    bridge.handle(
      'models:unload',
      () =>
        new Promise((resolve) => {
          finish = () => resolve(fail('lms-failed', 'lms could not unload qwen/qwen3-4b. Try again.'));
        }),
    );
    const store = createTrayStore(bridge);
    const unloading = store.getState().unload('qwen/qwen3-4b');
    expect(store.getState().pending[pendingKey.unload('qwen/qwen3-4b')]).toBe(true);
    finish();
    await unloading;
    expect(store.getState().pending).toEqual({});
    expect(store.getState().errors).toEqual([
      { id: expect.any(Number), code: 'lms-failed', message: 'lms could not unload qwen/qwen3-4b. Try again.' },
    ]);
    expect(bridge.callsOf('models:unload')).toEqual([{ identifier: 'qwen/qwen3-4b' }]);

    // The same failure again does not stack a second alert.
    bridge.handle('models:unload', () => fail('lms-failed', 'lms could not unload qwen/qwen3-4b. Try again.'));
    await store.getState().unload('qwen/qwen3-4b');
    expect(store.getState().errors).toHaveLength(1);

    store.getState().dismissError(store.getState().errors[0]!.id);
    expect(store.getState().errors).toEqual([]);
  });

  it('reports a broken transport (a rejected invoke) as an error too', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('server:start', () => Promise.reject(new Error('socket closed')));
    const store = createTrayStore(bridge);
    await store.getState().startServer();
    expect(store.getState().errors[0]).toMatchObject({ code: 'transport' });
    expect(store.getState().errors[0]!.message).toContain('socket closed');
    expect(store.getState().pending).toEqual({});
  });

  it('applies command answers: server start, new download, dismiss, settings', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    const store = createTrayStore(bridge);
    store.getState().start();
    await vi.waitFor(() => expect(store.getState().status).not.toBeNull());

    const online = makeStatus({ state: 'online' });
    bridge.handle('server:start', () => ok(online));
    await store.getState().startServer();
    expect(store.getState().status).toEqual(online);

    const started = makeDownload({ id: 'd7', model: 'qwen/qwen3-4b', status: 'queued', percent: null });
    bridge.handle('downloads:start', () => ok(started));
    expect(await store.getState().download('qwen/qwen3-4b')).toBe(true);
    expect(store.getState().downloads).toEqual([started]);

    // A list event that already brought the row with fresher progress wins over the late answer.
    const fresher = { ...started, status: 'downloading' as const, percent: 10 };
    bridge.emit('downloads:changed', [fresher]);
    await store.getState().download('qwen/qwen3-4b');
    expect(store.getState().downloads).toEqual([fresher]);

    bridge.handle('downloads:dismiss', () => ok(null));
    await store.getState().dismissDownload('d7');
    expect(store.getState().downloads).toEqual([]);

    const saved = makeSettings({ apiTokenSet: true });
    bridge.handle('settings:update', () => ok(saved));
    const result = await store.getState().updateSettings({ apiToken: 'secret' });
    expect(result.ok).toBe(true);
    expect(store.getState().settings).toEqual(saved);
  });

  it('leaves settings errors to the form that asked (no page alert)', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('settings:update', () => fail('invalid-input', 'Poll at most once a second.'));
    const store = createTrayStore(bridge);
    const result = await store.getState().updateSettings({ pollIntervalMs: 10 });
    expect(result).toEqual({ ok: false, error: { code: 'invalid-input', message: 'Poll at most once a second.' } });
    expect(store.getState().errors).toEqual([]);
  });

  it('sends load options only when there are some', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('models:load', () => ok({ identifier: 'qwen/qwen3-4b' }));
    const store = createTrayStore(bridge);
    await store.getState().load('qwen/qwen3-4b', {});
    await store.getState().load('qwen/qwen3-4b', { contextLength: 4096 });
    expect(bridge.callsOf('models:load')).toEqual([
      { modelKey: 'qwen/qwen3-4b' },
      { modelKey: 'qwen/qwen3-4b', options: { contextLength: 4096 } },
    ]);
    expect(makeModel().key).toBe('qwen/qwen3-4b');
  });
});

describe('issue 9 in the store', () => {
  it('says which Keep switches an unload turned off', async () => {
    expect(keepTurnedOffNotice([])).toBeNull();
    expect(keepTurnedOffNotice(['a/b', 'c/d'])).toBe(
      'Keep a/b loaded, Keep c/d loaded are now off: you unloaded them.',
    );
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('models:unload-all', () => ok({ unloaded: 2, keepTurnedOff: ['a/b', 'c/d'] }));
    const store = createTrayStore(bridge, makeSnapshot());
    await store.getState().unloadAll();
    expect(store.getState().notice).toBe('Keep a/b loaded, Keep c/d loaded are now off: you unloaded them.');
    bridge.handle('models:unload-all', () => ok({ unloaded: 1, keepTurnedOff: [] }));
    store.getState().dismissNotice();
    await store.getState().unloadAll();
    expect(store.getState().notice).toBeNull();
  });

  it('follows kept:changed and takes the keep answer as the new list', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    const kept = { modelKey: 'a/b', options: {}, state: 'ready' as const, message: null, nextAttemptAt: null };
    bridge.handle('models:keep', () => ok([kept]));
    const store = createTrayStore(bridge);
    store.getState().start();
    await vi.waitFor(() => expect(store.getState().status).not.toBeNull());
    await store.getState().keep('a/b', true, { contextLength: 4096 });
    expect(bridge.callsOf('models:keep')).toEqual([{ modelKey: 'a/b', keep: true, options: { contextLength: 4096 } }]);
    expect(store.getState().kept).toEqual([kept]);
    bridge.emit('kept:changed', []);
    expect(store.getState().kept).toEqual([]);
  });
});
