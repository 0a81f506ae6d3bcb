import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AppSnapshot, type ServerStatus, STATE_EVENT_NAMES } from '../../../electron/shared/contract';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../../electron/shared/web-protocol';
import {
  CONNECTION_FAILED_MESSAGE,
  CONNECTION_LOST_MESSAGE,
  createWebSocketBridge,
} from '../../../renderer/src/bridge/web-socket-bridge';

/** A WebSocket the test drives by hand: it opens, answers and drops when told to. */
class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static instances: FakeWebSocket[] = [];

  readyState = FakeWebSocket.CONNECTING;
  sent: string[] = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  send(text: string): void {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('send on a socket that is not open');
    this.sent.push(text);
  }

  close(): void {
    this.drop();
  }

  // --- driven by the test ---
  open(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.(new Event('open'));
  }

  receive(message: unknown): void {
    const data = typeof message === 'string' ? message : JSON.stringify(message);
    this.onmessage?.(new MessageEvent('message', { data }));
  }

  drop(): void {
    this.readyState = FakeWebSocket.CLOSED;
    this.onerror?.(new Event('error'));
    this.onclose?.(new CloseEvent('close', { code: 1006 }));
  }

  sentMessages(): Array<{ type: string; id: number; name: string; payload?: unknown }> {
    return this.sent.map((text) => JSON.parse(text));
  }
}

function latestSocket(): FakeWebSocket {
  const socket = FakeWebSocket.instances.at(-1);
  if (!socket) throw new Error('no socket was opened');
  return socket;
}

const STATUS = { state: 'online', detail: '', baseUrl: 'http://127.0.0.1:1234' } as ServerStatus;

beforeEach(() => {
  FakeWebSocket.instances = [];
  vi.stubGlobal('WebSocket', FakeWebSocket);
  vi.useFakeTimers();
  // No jitter: each reconnect waits exactly its full delay.
  vi.spyOn(Math, 'random').mockReturnValue(1);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('createWebSocketBridge', () => {
  it("connects to the page's own /ws and says it shows notifications itself", () => {
    const bridge = createWebSocketBridge();
    expect(latestSocket().url).toBe(`ws://${location.host}/ws`);
    expect(bridge.transport).toBe('web');
    expect(bridge.showsNotifications).toBe(true);
  });

  it('sends invokes made before the socket opens once it does, and matches results by id', async () => {
    const bridge = createWebSocketBridge({ url: 'ws://example.test/ws' });
    const socket = latestSocket();
    const refresh = bridge.invoke('server:refresh');
    const load = bridge.invoke('models:load', { modelKey: 'qwen/qwen3-4b' });
    expect(socket.sent).toEqual([]);
    socket.open();
    const [first, second] = socket.sentMessages();
    expect(first).toEqual({ type: 'invoke', id: first?.id, name: 'server:refresh' });
    expect(second).toEqual({
      type: 'invoke',
      id: second?.id,
      name: 'models:load',
      payload: { modelKey: 'qwen/qwen3-4b' },
    });
    expect(first?.id).not.toBe(second?.id);

    // Answers may come back in any order.
    socket.receive({ type: 'result', id: second?.id, result: { ok: true, value: { identifier: 'qwen/qwen3-4b' } } });
    socket.receive({
      type: 'result',
      id: first?.id,
      result: { ok: false, error: { code: 'unavailable', message: 'x' } },
    });
    await expect(load).resolves.toEqual({ ok: true, value: { identifier: 'qwen/qwen3-4b' } });
    await expect(refresh).resolves.toEqual({ ok: false, error: { code: 'unavailable', message: 'x' } });
  });

  it('delivers events to their listeners until they unsubscribe, even when another listener throws', () => {
    const bridge = createWebSocketBridge();
    const socket = latestSocket();
    socket.open();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: unknown[] = [];
    bridge.on('downloads:changed', () => {
      throw new Error('broken listener');
    });
    const unsubscribe = bridge.on('downloads:changed', (downloads) => seen.push(downloads));
    const notifications: unknown[] = [];
    bridge.on('notification:show', (notification) => notifications.push(notification));

    socket.receive({ type: 'event', name: 'downloads:changed', payload: [] });
    socket.receive({ type: 'event', name: 'notification:show', payload: { kind: 'serverUp', title: 'Up', body: '' } });
    unsubscribe();
    socket.receive({ type: 'event', name: 'downloads:changed', payload: [] });

    expect(seen).toEqual([[]]);
    expect(notifications).toEqual([{ kind: 'serverUp', title: 'Up', body: '' }]);
    expect(consoleError).toHaveBeenCalledTimes(2);
  });

  it('ignores frames it does not understand', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const bridge = createWebSocketBridge();
    const socket = latestSocket();
    socket.open();
    const seen: unknown[] = [];
    bridge.on('models:changed', (models) => seen.push(models));
    socket.receive('not json');
    socket.receive({ type: 'event', name: 'system:pwned', payload: 1 });
    socket.receive({ type: 'result', id: 'x', result: { ok: true, value: 1 } });
    expect(seen).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(3);
  });

  it('refuses to send a request larger than the server accepts', async () => {
    const bridge = createWebSocketBridge();
    const socket = latestSocket();
    socket.open();
    const huge = 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES);
    const result = await bridge.invoke('settings:update', { lmsPath: huge });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(socket.sent).toEqual([]);
  });

  it('resolves waiting invokes as unavailable when the socket drops, and shows the lost connection', async () => {
    const bridge = createWebSocketBridge();
    const socket = latestSocket();
    socket.open();
    const statuses: ServerStatus[] = [];
    bridge.on('server:status-changed', (status) => statuses.push(status));
    socket.receive({ type: 'event', name: 'server:status-changed', payload: STATUS });
    const load = bridge.invoke('models:load', { modelKey: 'qwen/qwen3-4b' });

    socket.drop();
    await expect(load).resolves.toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'Lost the connection to LM Studio Tray. Reconnecting…' },
    });
    expect(statuses.at(-1)).toMatchObject({
      state: 'checking',
      detail: CONNECTION_LOST_MESSAGE,
      baseUrl: STATUS.baseUrl,
    });
    // Between attempts, a command fails at once instead of hanging.
    await expect(bridge.invoke('server:refresh')).resolves.toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: CONNECTION_LOST_MESSAGE },
    });
  });

  it('reconnects with growing delays and, once back, replays a fresh snapshot as events', async () => {
    const bridge = createWebSocketBridge({ initialReconnectDelayMs: 100, maxReconnectDelayMs: 300 });
    latestSocket().open();
    const events: Array<[string, unknown]> = [];
    for (const name of STATE_EVENT_NAMES) {
      bridge.on(name, (payload) => events.push([name, payload]));
    }

    latestSocket().drop();
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(99);
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);

    // The server is still away: 200 ms, then 300 (the cap), then 300 again.
    latestSocket().drop();
    vi.advanceTimersByTime(199);
    expect(FakeWebSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(3);
    latestSocket().drop();
    vi.advanceTimersByTime(300);
    expect(FakeWebSocket.instances).toHaveLength(4);
    latestSocket().drop();
    vi.advanceTimersByTime(300);
    expect(FakeWebSocket.instances).toHaveLength(5);

    const socket = latestSocket();
    socket.open();
    const [request] = socket.sentMessages();
    expect(request).toMatchObject({ type: 'invoke', name: 'app:get-snapshot' });
    const snapshot = {
      status: STATUS,
      models: { models: [], loaded: [], stale: false, updatedAt: 1, source: 'v1' },
      downloads: [],
      loading: [],
      settings: { pollIntervalMs: 5000 },
      app: { version: '0.1.0', platform: 'linux', transport: 'web' },
    } as unknown as AppSnapshot;
    socket.receive({ type: 'result', id: request?.id, result: { ok: true, value: snapshot } });
    await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(5));
    expect(events).toEqual([
      ['server:status-changed', snapshot.status],
      ['models:changed', snapshot.models],
      ['downloads:changed', snapshot.downloads],
      ['loads:changed', snapshot.loading],
      ['settings:changed', snapshot.settings],
    ]);

    // A successful connection resets the backoff.
    socket.drop();
    vi.advanceTimersByTime(100);
    expect(FakeWebSocket.instances).toHaveLength(6);
  });

  it('after a reconnect, tells the new server session again whether the page is being looked at', () => {
    const bridge = createWebSocketBridge({ initialReconnectDelayMs: 100, maxReconnectDelayMs: 100 });
    latestSocket().open();
    void bridge.invoke('app:popup-visibility', { visible: true });
    latestSocket().drop();
    vi.advanceTimersByTime(100);
    const socket = latestSocket();
    socket.open();
    const names = socket.sentMessages().map((m) => [m.name, m.payload]);
    expect(names).toEqual([
      ['app:popup-visibility', { visible: true }],
      ['app:get-snapshot', undefined],
    ]);
  });

  it('tells the page when the server could not be reached at all, and recovers when it appears', async () => {
    const bridge = createWebSocketBridge({ initialReconnectDelayMs: 100 });
    const first = bridge.invoke('app:get-snapshot');
    latestSocket().drop();
    await expect(first).resolves.toEqual({
      ok: false,
      error: { code: 'unavailable', message: CONNECTION_FAILED_MESSAGE },
    });

    const statuses: ServerStatus[] = [];
    bridge.on('server:status-changed', (status) => statuses.push(status));
    vi.advanceTimersByTime(100);
    const socket = latestSocket();
    socket.open();
    // The page's own start-up request failed, so the bridge fetches the snapshot for it.
    const [request] = socket.sentMessages();
    expect(request).toMatchObject({ name: 'app:get-snapshot' });
    socket.receive({
      type: 'result',
      id: request?.id,
      result: { ok: true, value: { status: STATUS, models: {}, downloads: [], loading: [], settings: {} } },
    });
    await vi.waitFor(() => expect(statuses).toEqual([STATUS]));
  });
});
