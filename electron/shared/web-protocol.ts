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
 * What the server receives is untrusted until validated here; it must stay light because the
 * renderer imports it too (valibot only, no Node APIs).
 */
import * as v from 'valibot';
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

const MessageIdSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

/**
 * An invoke as the server receives it. `name` is checked against the contract separately, so an
 * unknown command still gets an answer to its `id` (a page from a newer build) instead of a close.
 */
export const InvokeMessageSchema = v.object({
  type: v.literal('invoke'),
  id: MessageIdSchema,
  name: v.pipe(v.string(), v.maxLength(100)),
  payload: v.optional(v.unknown()),
});

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
  const parsed = v.safeParse(InvokeMessageSchema, json);
  if (!parsed.success) {
    return {
      kind: 'close',
      code: CLOSE_CODES.policyViolation,
      reason: 'Expected {"type":"invoke","id":<number>,"name":<command>,"payload":...}.',
    };
  }
  const { id, name, payload } = parsed.output;
  if (!isCommandName(name)) {
    return {
      kind: 'reject',
      id,
      error: { code: 'invalid-input', message: `LM Studio Tray does not know the command "${name}".` },
    };
  }
  return { kind: 'invoke', message: { type: 'invoke', id, name, payload } };
}

const ResultSchema = v.variant('ok', [
  v.object({ ok: v.literal(true), value: v.unknown() }),
  v.object({
    ok: v.literal(false),
    error: v.object({ code: v.string(), message: v.string() }),
  }),
]);

/**
 * What the page accepts from the server. The server is trusted (same origin, authenticated), so
 * payloads are not re-validated field by field; the envelope is, so a stray frame cannot throw
 * inside the bridge.
 */
export const ServerMessageSchema = v.variant('type', [
  v.object({ type: v.literal('result'), id: MessageIdSchema, result: ResultSchema }),
  v.object({ type: v.literal('event'), name: v.picklist(EVENT_NAMES), payload: v.unknown() }),
]);

/** Parses one frame from the server; null when it is not a message this page understands. */
export function parseServerMessage(text: string): ServerMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = v.safeParse(ServerMessageSchema, json);
  return parsed.success ? (parsed.output as ServerMessage) : null;
}
