/**
 * The Bridge in web mode: the contract's commands and events over one WebSocket to the page's
 * own server (electron/web/server.ts). The session cookie set when the page was opened with
 * `?token=` authenticates the socket, since it is same-origin.
 *
 * The page must survive the server restarting or the network blinking: when the socket drops,
 * commands waiting for an answer resolve with an `unavailable` error (the server may or may not
 * have run them), the status line says the connection is lost, and the bridge reconnects with
 * backoff. Once back, it fetches a fresh snapshot and replays it to listeners as events, so the
 * page shows the present state without knowing anything happened.
 */
import type {
  AppSnapshot,
  Bridge,
  CommandError,
  CommandName,
  CommandRequest,
  CommandResponse,
  EventName,
  EventPayloads,
  Result,
  ServerStatus,
} from '../../../electron/shared/contract';
import {
  type InvokeMessage,
  MAX_CLIENT_MESSAGE_BYTES,
  parseServerMessage,
  WEB_SOCKET_PATH,
} from '../../../electron/shared/web-protocol';

export interface WebSocketBridgeOptions {
  /** Defaults to `ws(s)://<location.host>/ws`. */
  url?: string;
  /** First reconnect delay; doubles on every failed attempt up to `maxReconnectDelayMs`. */
  initialReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export const CONNECTION_LOST_MESSAGE = 'Lost the connection to LM Studio Tray. Reconnecting…';
export const CONNECTION_FAILED_MESSAGE =
  'Cannot reach LM Studio Tray. Check that `npm run web` is still running in the terminal. Retrying…';

type Listener = (payload: never) => void;

interface PendingInvoke {
  resolve: (result: Result<unknown>) => void;
}

/** Connects at once and returns the Bridge; it reconnects by itself for as long as the page lives. */
export function createWebSocketBridge(options: WebSocketBridgeOptions = {}): Bridge {
  const url = options.url ?? defaultSocketUrl();
  const initialDelay = options.initialReconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;

  const listeners = new Map<EventName, Set<Listener>>();
  const pending = new Map<number, PendingInvoke>();
  /** Invokes made while the socket was still connecting, sent as soon as it opens. */
  let outbox: string[] = [];
  let socket: WebSocket | null = null;
  let nextId = 1;
  let failedAttempts = 0;
  /** Whether any socket ever opened: picks the message when one closes. */
  let everOpened = false;
  /** After the first socket ends, every new connection starts by resynchronising the page. */
  let resyncOnOpen = false;
  /** The page's last reported visibility, replayed to a server after a reconnect. */
  let lastVisibility: CommandRequest<'app:popup-visibility'> | null = null;
  /** The last status the page was shown, so a lost connection can be shown on the same line. */
  let lastStatus: ServerStatus | null = null;

  function connect(): void {
    const ws = new WebSocket(url);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      everOpened = true;
      failedAttempts = 0;
      const queued = outbox;
      outbox = [];
      for (const text of queued) ws.send(text);
      if (resyncOnOpen) void resync();
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (!message) {
        console.warn('LM Studio Tray: ignored a message the page does not understand.');
        return;
      }
      if (message.type === 'result') {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        waiting?.resolve(message.result);
      } else {
        emit(message.name, message.payload);
      }
    };
    // A failed connection fires `error` then `close`; everything is handled on close.
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      outbox = [];
      resyncOnOpen = true;
      const message = everOpened ? CONNECTION_LOST_MESSAGE : CONNECTION_FAILED_MESSAGE;
      failPending(message);
      if (opened) showConnectionLost(message);
      scheduleReconnect();
    };
  }

  function scheduleReconnect(): void {
    const delay = Math.min(maxDelay, initialDelay * 2 ** failedAttempts);
    failedAttempts += 1;
    // Jitter, so many tabs of one restarted server do not reconnect in lockstep.
    setTimeout(connect, delay * (0.75 + Math.random() * 0.25));
  }

  function failPending(message: string): void {
    const waiting = [...pending.values()];
    pending.clear();
    for (const { resolve } of waiting) resolve(failure('unavailable', message));
  }

  /** Puts the lost connection on the status line the page already shows. */
  function showConnectionLost(message: string): void {
    if (!lastStatus) return;
    const now = Date.now();
    emit('server:status-changed', { ...lastStatus, state: 'checking', detail: message, since: now, checkedAt: now });
  }

  /** Replays a fresh snapshot as events: whatever changed while the page was cut off is shown. */
  async function resync(): Promise<void> {
    // A restarted server starts a new session: tell it again whether the page is being looked at.
    if (lastVisibility) void invoke('app:popup-visibility', lastVisibility);
    const result = await invoke('app:get-snapshot');
    if (!result.ok) return;
    const snapshot: AppSnapshot = result.value;
    emit('server:status-changed', snapshot.status);
    emit('models:changed', snapshot.models);
    emit('downloads:changed', snapshot.downloads);
    emit('loads:changed', snapshot.loading);
    emit('settings:changed', snapshot.settings);
  }

  function emit<E extends EventName>(name: E, payload: EventPayloads[E]): void {
    if (name === 'server:status-changed') lastStatus = payload as ServerStatus;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        (listener as (payload: EventPayloads[E]) => void)(payload);
      } catch (error) {
        // One broken listener must not keep the event from the others.
        console.error(`LM Studio Tray: a ${name} listener failed`, error);
      }
    }
  }

  function invoke<C extends CommandName>(name: C, payload?: CommandRequest<C>): Promise<Result<CommandResponse<C>>> {
    if (name === 'app:popup-visibility') lastVisibility = payload as CommandRequest<'app:popup-visibility'>;
    const id = nextId++;
    const message: InvokeMessage = { type: 'invoke', id, name, payload };
    const text = JSON.stringify(message);
    if (new TextEncoder().encode(text).length > MAX_CLIENT_MESSAGE_BYTES) {
      return Promise.resolve(failure('invalid-input', 'That request is too large to send to LM Studio Tray.'));
    }
    const ws = socket;
    if (!ws) {
      // Between reconnect attempts: say so now rather than leave a button spinning.
      return Promise.resolve(failure('unavailable', everOpened ? CONNECTION_LOST_MESSAGE : CONNECTION_FAILED_MESSAGE));
    }
    return new Promise((resolve) => {
      pending.set(id, {
        resolve: (result) => {
          if (name === 'app:get-snapshot' && result.ok) lastStatus = (result.value as AppSnapshot).status;
          resolve(result as Result<CommandResponse<C>>);
        },
      });
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      else outbox.push(text);
    });
  }

  connect();

  return {
    invoke,
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener as Listener);
      return () => {
        set.delete(listener as Listener);
      };
    },
    showsNotifications: true,
    transport: 'web',
  } satisfies Bridge;
}

/** The page's own server: same host and port, `wss:` behind an https proxy. */
function defaultSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${WEB_SOCKET_PATH}`;
}

function failure(code: CommandError['code'], message: string): { ok: false; error: CommandError } {
  return { ok: false, error: { code, message } };
}
