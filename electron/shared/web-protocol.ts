/**
 * The web mode's WebSocket wire format, shared by the server (electron/web/server.ts) and the
 * page's bridge (renderer/src/bridge/web-socket-bridge.ts).
 *
 * One JSON object per text frame:
 *
 *   page -> server  `{ type: 'invoke', id, name, payload? }`   a contract command
 *   server -> page  `{ type: 'result', id, result }`            its `Result`, matched by `id`
 *   server -> page  `{ type: 'event', name, payload }`          a contract event, to every page
 *
 * What the server receives is untrusted until validated here. The envelopes are checked by hand,
 * not with valibot: the page's first view imports this module, and a schema library for a few
 * fields would cost it more than the checks (no Node APIs either).
 */
import {
  type CommandError,
  type CommandName,
  EVENT_NAMES,
  type EventName,
  type EventPayloads,
  isCommandName,
  type Result,
} from './contract';

/** The WebSocket endpoint's path on the web server. */
export const WEB_SOCKET_PATH = '/ws';

/**
 * The id of the `<script type="application/json">` block in which the server ships the page's
 * first snapshot (the `app:get-snapshot` answer), so the popup renders without waiting for its
 * WebSocket. The block is data, never run, so the page's CSP allows it.
 */
export const FIRST_SNAPSHOT_ELEMENT_ID = 'first-snapshot';

/**
 * The largest message the server accepts (the `ws` server's `maxPayload`). The biggest real
 * command is a settings update of a few hundred bytes; anything near this is not the popup.
 */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/**
 * Close codes the server uses (RFC 6455 §7.4.1), each with a reason the page can log.
 * `ws` itself closes with 1009 (message too big) when `maxPayload` is exceeded.
 */
export const CLOSE_CODES = {
  /** The server is shutting down. */
  goingAway: 1001,
  /** A binary frame: only JSON text frames are spoken here. */
  unsupportedData: 1003,
  /** A text frame that is not JSON. */
  invalidPayload: 1007,
  /** JSON that is not an invoke message, or more messages or bytes a second than a page sends. */
  policyViolation: 1008,
  messageTooBig: 1009,
} as const;

export interface InvokeMessage {
  type: 'invoke';
  id: number;
  name: CommandName;
  payload?: unknown;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  result: Result<unknown>;
}

export type EventMessage = { [E in EventName]: { type: 'event'; name: E; payload: EventPayloads[E] } }[EventName];

export type ClientMessage = InvokeMessage;
export type ServerMessage = ResultMessage | EventMessage;

/** What the server does with one incoming text frame. */
export type ParsedClientMessage =
  | { kind: 'invoke'; message: InvokeMessage }
  /** Well-formed with a usable `id`, but not a command this server knows: answer with this error. */
  | { kind: 'reject'; id: number; error: CommandError }
  /** Unusable (not JSON, not an invoke, no id): close the socket with this code and reason. */
  | { kind: 'close'; code: number; reason: string };

/** Parses one text frame from the page; never throws. */
export function parseClientMessage(text: string): ParsedClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'close', code: CLOSE_CODES.invalidPayload, reason: 'Messages must be JSON.' };
  }
  // `name` is checked against the contract separately, so an unknown command still gets an answer
  // to its `id` (a page from a newer build) instead of a close.
  if (
    !isRecord(json) ||
    json.type !== 'invoke' ||
    !isMessageId(json.id) ||
    typeof json.name !== 'string' ||
    json.name.length > 100
  ) {
    return {
      kind: 'close',
      code: CLOSE_CODES.policyViolation,
      reason: 'Expected {"type":"invoke","id":<number>,"name":<command>,"payload":...}.',
    };
  }
  const { id, name, payload } = json;
  if (!isCommandName(name)) {
    return {
      kind: 'reject',
      id,
      error: { code: 'invalid-input', message: `LM Studio Tray does not know the command "${name}".` },
    };
  }
  return { kind: 'invoke', message: { type: 'invoke', id, name, payload } };
}

/**
 * Parses one frame from the server; null when it is not a message this page understands. The
 * server is trusted (same origin, authenticated), so payloads are not re-validated field by
 * field; the envelope is, so a stray frame cannot throw inside the bridge.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(json)) return null;
  if (json.type === 'result') return isMessageId(json.id) && isResult(json.result) ? (json as ServerMessage) : null;
  if (json.type === 'event') {
    return (EVENT_NAMES as unknown[]).includes(json.name) && 'payload' in json ? (json as ServerMessage) : null;
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMessageId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isResult(value: unknown): value is Result<unknown> {
  if (!isRecord(value)) return false;
  if (value.ok === true) return 'value' in value;
  return (
    value.ok === false &&
    isRecord(value.error) &&
    typeof value.error.code === 'string' &&
    typeof value.error.message === 'string'
  );
}
