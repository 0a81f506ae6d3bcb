/**
 * The web mode's WebSocket against what no popup sends: oversized, binary and garbage frames,
 * and floods of messages or bytes. Each such socket is closed with its code (1009 too big, 1003
 * binary, 1007 not JSON, 1008 policy: not an invoke, or over the rate limit) and runs nothing it
 * should not; meanwhile a second page keeps getting its answers and events.
 *
 * Cases are rows of a table: a new kind of frame joins by adding one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import type { ServerStatus } from '../../../electron/shared/contract';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../../electron/shared/web-protocol';
import { sessionCookieName, sessionCookieValue } from '../../../electron/web/auth';
import { PAGE_RATE_LIMITS } from '../../../electron/web/rate-limit';
import { startWebServer, type WebServer } from '../../../electron/web/server';
import { createFakeCore, createMemoryLogger, type FakeCore } from '../../electron/web/fake-core';
import { closed, collectMessages, openSocket } from '../../electron/web/helpers';
import { recordTally, scaled } from '../tally';

const TOKEN = 'websocket-robustness-token-0123456789';

let staticDir: string;
let core: FakeCore;
let server: WebServer;
const sockets: WebSocket[] = [];
let cases = 0;

beforeAll(() => {
  staticDir = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-ws-robustness-'));
});
afterAll(() => {
  rmSync(staticDir, { recursive: true, force: true });
  // Only reached with every case asserted: a red run records nothing.
  recordTally({ family: 'websocket', cases, crashes: 0, hangs: 0 });
});

beforeEach(async () => {
  core = createFakeCore();
  server = await startWebServer({
    core,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    staticDir,
    logger: createMemoryLogger(),
  });
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server.close();
});

async function connectPage(): Promise<WebSocket> {
  const { port } = server;
  const attempt = await openSocket(`ws://127.0.0.1:${port}/ws`, {
    origin: `http://127.0.0.1:${port}`,
    headers: { cookie: `${sessionCookieName(port)}=${sessionCookieValue(TOKEN, port)}` },
  });
  if (!('ws' in attempt)) throw new Error(`socket refused: ${attempt.status} ${attempt.body}`);
  // A server that cuts a flooding socket makes the client's writes fail: expected here.
  attempt.ws.on('error', () => {});
  sockets.push(attempt.ws);
  return attempt.ws;
}

function invoke(id: number, name = 'server:refresh', payload?: unknown): string {
  return JSON.stringify({ type: 'invoke', id, name, payload });
}

/**
 * What a well-behaved second page must still get while the first misbehaves: the answer to its
 * command and an event the core raises.
 */
async function expectSecondPageServed(second: WebSocket, messages: unknown[], id: number): Promise<void> {
  second.send(invoke(id, 'app:get-snapshot'));
  core.emit({ name: 'server:status-changed', payload: { state: 'online', detail: `after ${id}` } as ServerStatus });
  await vi.waitFor(
    () => {
      expect(messages).toContainEqual(expect.objectContaining({ type: 'result', id }));
      expect(messages).toContainEqual(
        expect.objectContaining({ type: 'event', payload: expect.objectContaining({ detail: `after ${id}` }) }),
      );
    },
    { timeout: 15_000 },
  );
}

interface HostileCase {
  label: string;
  /** Sends the hostile traffic on `ws`. */
  send: (ws: WebSocket) => void;
  code: number;
  /** Commands the core may have run before the socket was closed. */
  maxCommandsRun: number;
}

const oversize = (bytes: number): HostileCase => ({
  label: `one text message of ${bytes} bytes`,
  send: (ws) => ws.send(invoke(1, 'settings:update', { lmsPath: 'x'.repeat(bytes) })),
  code: 1009,
  maxCommandsRun: 0,
});

const binary = (label: string, bytes: Buffer): HostileCase => ({
  label: `a binary frame: ${label}`,
  send: (ws) => ws.send(bytes, { binary: true }),
  code: 1003,
  maxCommandsRun: 0,
});

/**
 * The most messages of `size` bytes the limits let through in `seconds` of reading a flood: the
 * burst plus the refill. A loaded machine reads a flood in well under 5 s; the rate is exact in
 * the limiter's own tests, on a fake clock.
 */
function commandsWithin(seconds: number, size: number): number {
  const { messageBurst, messagesPerSecond, byteBurst, bytesPerSecond } = PAGE_RATE_LIMITS;
  return Math.min(messageBurst + messagesPerSecond * seconds, (byteBurst + bytesPerSecond * seconds) / size);
}

const HOSTILE_CASES: HostileCase[] = [
  oversize(MAX_CLIENT_MESSAGE_BYTES),
  oversize(1024 * 1024),
  oversize(16 * 1024 * 1024),
  {
    label: `an oversized message sent in 1 KB fragments`,
    send: (ws) => {
      const text = invoke(1, 'settings:update', { lmsPath: 'y'.repeat(MAX_CLIENT_MESSAGE_BYTES) });
      for (let at = 0; at < text.length; at += 1024) {
        ws.send(text.slice(at, at + 1024), { fin: at + 1024 >= text.length });
      }
    },
    code: 1009,
    maxCommandsRun: 0,
  },
  binary('empty', Buffer.alloc(0)),
  binary('random bytes', Buffer.from([0xff, 0x00, 0x13, 0x37])),
  binary('a valid invoke as bytes', Buffer.from(invoke(1))),
  {
    label: `a flood of ${PAGE_RATE_LIMITS.messageBurst * 10} small valid commands`,
    send: (ws) => {
      for (let id = 0; id < PAGE_RATE_LIMITS.messageBurst * 10; id += 1) ws.send(invoke(id));
    },
    code: 1008,
    maxCommandsRun: commandsWithin(5, 100),
  },
  {
    label: `a flood of ${PAGE_RATE_LIMITS.messageBurst * 10} pings`,
    send: (ws) => {
      for (let i = 0; i < PAGE_RATE_LIMITS.messageBurst * 10; i += 1) ws.ping();
    },
    code: 1008,
    maxCommandsRun: 0,
  },
  {
    label: 'a flood of bytes: 200 messages just under the size limit',
    send: (ws) => {
      const padding = 'z'.repeat(MAX_CLIENT_MESSAGE_BYTES - 200);
      for (let id = 0; id < 200; id += 1) ws.send(invoke(id, 'settings:update', { lmsPath: padding }));
    },
    code: 1008,
    maxCommandsRun: commandsWithin(5, MAX_CLIENT_MESSAGE_BYTES),
  },
];

describe('hostile frames close only their own socket', () => {
  it.each(HOSTILE_CASES.map((c) => [c.label, c] as const))('%s', async (_label, hostile) => {
    const second = await connectPage();
    const secondMessages = collectMessages(second);
    const first = await connectPage();
    const closing = closed(first);

    hostile.send(first);
    // Served while the first page's traffic is still being read…
    await expectSecondPageServed(second, secondMessages, 1);
    const { code, reason } = await closing;
    expect(code).toBe(hostile.code);
    if (code !== 1009) expect(reason.length).toBeGreaterThan(0);
    // …and after its socket is gone.
    await expectSecondPageServed(second, secondMessages, 2);
    const fromFirst = core.calls.length - 2;
    expect(fromFirst).toBeLessThanOrEqual(hostile.maxCommandsRun);
    cases += 1;
  });

  it('still answers the odd ping with a pong', async () => {
    const ws = await connectPage();
    const pong = new Promise<string>((resolve) => ws.once('pong', (data) => resolve(data.toString())));
    ws.ping('are you there');
    expect(await pong).toBe('are you there');
  });

  it('says which limit a flood broke', async () => {
    const ws = await connectPage();
    const closing = closed(ws);
    for (let id = 0; id < PAGE_RATE_LIMITS.messageBurst * 10; id += 1) ws.send(invoke(id));
    expect(await closing).toEqual({
      code: 1008,
      reason: `More than ${PAGE_RATE_LIMITS.messagesPerSecond} messages a second.`,
    });
    cases += 1;
  });
});

describe('random text frames', () => {
  it('answer or close every one with a code, and never stop the server', async () => {
    const frames = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.json(),
        fc
          .record({ type: fc.constant('invoke'), id: fc.anything(), name: fc.string(), payload: fc.anything() })
          .map((message) => JSON.stringify(message) ?? 'undefined'),
      ),
      { numRuns: scaled(60, 600), seed: 8_004 },
    );
    const second = await connectPage();
    const secondMessages = collectMessages(second);
    for (const [index, frame] of frames.entries()) {
      const ws = await connectPage();
      const messages = collectMessages(ws);
      const closing = closed(ws);
      ws.send(frame);
      // Either an answer to the frame or a close with a code that says why.
      await vi.waitFor(async () => {
        const ended = ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING;
        expect(ended || messages.length > 0, `frame ${JSON.stringify(frame)}`).toBe(true);
      });
      if (messages.length === 0) expect([1007, 1008]).toContain((await closing).code);
      ws.terminate();
      cases += 1;
      if (index % 20 === 0) await expectSecondPageServed(second, secondMessages, 1000 + index);
    }
    await expectSecondPageServed(second, secondMessages, 999_999);
  });
});
