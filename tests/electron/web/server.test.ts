import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { DownloadState, ServerStatus } from '../../../electron/shared/contract';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../../electron/shared/web-protocol';
import { sessionCookieName, sessionCookieValue } from '../../../electron/web/auth';
import { CONTENT_SECURITY_POLICY, startWebServer, type WebServer } from '../../../electron/web/server';
import { createFakeCore, createMemoryLogger, type FakeCore } from './fake-core';
import { closed, collectMessages, httpRequest, openSocket } from './helpers';

const TOKEN = 'test-token-0123456789abcdef';
const INDEX_HTML =
  '<!doctype html><title>LM Studio Tray</title><script type="module" src="/assets/index-AbCd1234.js"></script>';
const ASSET_JS = 'console.log("popup");';

let sandbox: string;
let staticDir: string;

beforeAll(() => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-web-'));
  staticDir = path.join(sandbox, 'renderer');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
  writeFileSync(path.join(staticDir, 'assets', 'index-AbCd1234.js'), ASSET_JS);
  writeFileSync(path.join(staticDir, 'assets', 'style-ZyXw9876.css'), 'body{}');
  writeFileSync(path.join(sandbox, 'secret.txt'), 'outside the static folder');
  symlinkSync(path.join(sandbox, 'secret.txt'), path.join(staticDir, 'link-out.txt'));
});
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

let core: FakeCore;
let server: WebServer;
let port: number;
let cookie: string;
let origin: string;
const sockets: WebSocket[] = [];

/** The server under test on a free loopback port, with the fake core; `extra` overrides options. */
function startTestServer(extra: Partial<Parameters<typeof startWebServer>[0]> = {}) {
  return startWebServer({
    core,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    staticDir,
    logger: createMemoryLogger(),
    ...extra,
  });
}

beforeEach(async () => {
  core = createFakeCore();
  server = await startTestServer();
  port = server.port;
  cookie = `${sessionCookieName(port)}=${sessionCookieValue(TOKEN, port)}`;
  origin = `http://127.0.0.1:${port}`;
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server.close();
});

/** An authenticated socket from the page's own origin, closed after the test. */
async function connectPage(): Promise<WebSocket> {
  const attempt = await openSocket(`ws://127.0.0.1:${port}/ws`, { origin, headers: { cookie } });
  if (!('ws' in attempt)) throw new Error(`socket refused: ${attempt.status} ${attempt.body}`);
  sockets.push(attempt.ws);
  return attempt.ws;
}

function wsUrl(query = ''): string {
  return `ws://127.0.0.1:${port}/ws${query}`;
}

describe('signing in with the token', () => {
  it('trades ?token= for a per-port HttpOnly SameSite=Strict cookie and redirects to the path without it', async () => {
    const answer = await httpRequest(port, `/?token=${TOKEN}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    const setCookie = answer.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(new RegExp(`^lmstudio_tray_${port}=`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    // The cookie is not the token itself.
    expect(setCookie).not.toContain(TOKEN);
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);
  });

  it('serves the page, its assets and the WebSocket with the cookie alone', async () => {
    const login = await httpRequest(port, `/?token=${TOKEN}`);
    const sessionCookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';

    const page = await httpRequest(port, '/', { headers: { cookie: sessionCookie } });
    expect(page.status).toBe(200);
    expect(page.body).toBe(INDEX_HTML);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache, private');

    const asset = await httpRequest(port, '/assets/index-AbCd1234.js', { headers: { cookie: sessionCookie } });
    expect(asset.status).toBe(200);
    expect(asset.body).toBe(ASSET_JS);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('private, max-age=31536000, immutable');

    const css = await httpRequest(port, '/assets/style-ZyXw9876.css', { headers: { cookie: sessionCookie } });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');

    const attempt = await openSocket(wsUrl(), { origin, headers: { cookie: sessionCookie } });
    expect('ws' in attempt).toBe(true);
    if ('ws' in attempt) sockets.push(attempt.ws);
  });

  it('accepts the token in the query of a WebSocket upgrade', async () => {
    const attempt = await openSocket(wsUrl(`?token=${TOKEN}`), { origin });
    expect('ws' in attempt).toBe(true);
    if ('ws' in attempt) sockets.push(attempt.ws);
  });

  it('keeps the path (but never a protocol-relative one) when redirecting after sign-in', async () => {
    expect((await httpRequest(port, `/index.html?token=${TOKEN}`)).headers.location).toBe('/index.html');
    expect((await httpRequest(port, `//evil.example/?token=${TOKEN}`)).headers.location).toBe('/');
    expect((await httpRequest(port, `/%5Cevil.example?token=${TOKEN}`)).headers.location).toBe('/%5Cevil.example');
  });

  it('gives the browser opener one-time links that hold no token and sign in once, within their time', async () => {
    await server.close();
    const clock = { now: 0 };
    server = await startTestServer({ signInLinkTtlMs: 60_000, now: () => clock.now });
    port = server.port;
    const link = new URL(server.signInUrl());
    expect(link.href).not.toContain(TOKEN);
    expect(link.searchParams.get('token')).toBeNull();

    const first = await httpRequest(port, `${link.pathname}${link.search}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookieBack = (first.headers['set-cookie']?.[0] ?? '').split(';')[0];
    expect(cookieBack).toBe(`${sessionCookieName(port)}=${sessionCookieValue(TOKEN, port)}`);
    // Used up: a copy read from `ps` afterwards is worthless.
    const again = await httpRequest(port, `${link.pathname}${link.search}`);
    expect(again.status).toBe(403);
    expect(again.body).toContain('This sign-in link was used already or has expired.');

    const late = new URL(server.signInUrl());
    clock.now += 60_000;
    expect((await httpRequest(port, `${late.pathname}${late.search}`)).status).toBe(403);
    // Not a WebSocket credential either.
    const socket = await openSocket(wsUrl(new URL(server.signInUrl()).search), { origin: `http://127.0.0.1:${port}` });
    expect(socket).toMatchObject({ status: 401 });
  });

  it('answers HEAD like GET without a body', async () => {
    const answer = await httpRequest(port, '/', { method: 'HEAD', headers: { cookie } });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(INDEX_HTML));
  });
});

describe('refusing requests without the token', () => {
  it('refuses the page and an asset without a token or cookie, saying what to open', async () => {
    for (const target of ['/', '/index.html', '/assets/index-AbCd1234.js', '/missing.js']) {
      const answer = await httpRequest(port, target);
      expect(answer.status).toBe(401);
      expect(answer.body).toContain('printed in the terminal');
      expect(answer.body).not.toContain('popup');
    }
  });

  it('refuses a wrong token with 403 and sets no cookie', async () => {
    const answer = await httpRequest(port, '/?token=wrong');
    expect(answer.status).toBe(403);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  it("refuses another port's cookie, even with that port's valid value", async () => {
    const otherPort = port === 65_535 ? port - 1 : port + 1;
    const foreignCookie = `${sessionCookieName(otherPort)}=${sessionCookieValue(TOKEN, otherPort)}`;
    expect((await httpRequest(port, '/', { headers: { cookie: foreignCookie } })).status).toBe(401);
    // The right name with the other port's value (copied over by hand) is refused as well.
    const swapped = `${sessionCookieName(port)}=${sessionCookieValue(TOKEN, otherPort)}`;
    expect((await httpRequest(port, '/', { headers: { cookie: swapped } })).status).toBe(403);
  });

  it('refuses a cookie left by an earlier run (another token)', async () => {
    const stale = `${sessionCookieName(port)}=${sessionCookieValue('an-older-token', port)}`;
    expect((await httpRequest(port, '/', { headers: { cookie: stale } })).status).toBe(403);
  });

  it('finds its cookie among others', async () => {
    const jar = `theme=dark; ${sessionCookieName(port + 1)}=nope; ${cookie}; other=1`;
    expect((await httpRequest(port, '/', { headers: { cookie: jar } })).status).toBe(200);
  });

  it('refuses a WebSocket without a token or cookie, and with a wrong one', async () => {
    expect(await openSocket(wsUrl(), { origin })).toMatchObject({ status: 401 });
    expect(await openSocket(wsUrl('?token=wrong'), { origin })).toMatchObject({ status: 403 });
    const stale = `${sessionCookieName(port)}=${sessionCookieValue('an-older-token', port)}`;
    expect(await openSocket(wsUrl(), { origin, headers: { cookie: stale } })).toMatchObject({ status: 403 });
  });

  it('refuses methods other than GET and HEAD', async () => {
    const answer = await httpRequest(port, '/', { method: 'POST', headers: { cookie } });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });
});

describe('refusing other origins and hosts', () => {
  it("refuses a WebSocket from another page's origin, or with none", async () => {
    for (const foreign of [
      'http://evil.example',
      `http://localhost:${port + 1}`,
      `https://127.0.0.1:${port}`,
      'null',
    ]) {
      const attempt = await openSocket(wsUrl(), { origin: foreign, headers: { cookie } });
      expect(attempt, foreign).toMatchObject({ status: 403 });
    }
    expect(await openSocket(wsUrl(), { headers: { cookie } })).toMatchObject({ status: 403 });
  });

  it('refuses a Host header that is not the bound address (DNS rebinding), even with the token', async () => {
    for (const host of [
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      `127.0.0.2:${port}`,
      `[::1]:${port}`,
    ]) {
      const page = await httpRequest(port, `/?token=${TOKEN}`, { headers: { host } });
      expect(page.status, host).toBe(403);
      expect(page.headers['set-cookie']).toBeUndefined();
      expect((await httpRequest(port, '/', { headers: { host, cookie } })).status, host).toBe(403);
    }
    const rebound = await openSocket(wsUrl(), {
      origin: `http://evil.example:${port}`,
      headers: { host: `evil.example:${port}`, cookie },
    });
    expect(rebound).toMatchObject({ status: 403 });
  });

  it('accepts localhost:PORT for a 127.0.0.1 bind, for the page and its WebSocket', async () => {
    const host = `localhost:${port}`;
    expect((await httpRequest(port, '/', { headers: { host, cookie } })).status).toBe(200);
    const attempt = await openSocket(wsUrl(), { origin: `http://${host}`, headers: { host, cookie } });
    expect('ws' in attempt).toBe(true);
    if ('ws' in attempt) sockets.push(attempt.ws);
  });
});

describe('serving files', () => {
  it('never serves a file outside the static folder', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/link-out.txt',
      '/index.html%00.js',
      '/%E0%A4%A',
    ];
    for (const target of attempts) {
      const answer = await httpRequest(port, target, { headers: { cookie } });
      expect(answer.status, target).toBe(404);
      expect(answer.body).not.toContain('outside the static folder');
    }
  });

  it('answers 404 for a missing file and for a folder', async () => {
    expect((await httpRequest(port, '/nope.js', { headers: { cookie } })).status).toBe(404);
    expect((await httpRequest(port, '/assets', { headers: { cookie } })).status).toBe(404);
    expect((await httpRequest(port, '/assets/', { headers: { cookie } })).status).toBe(404);
  });

  it('sends the security headers on pages, assets and refusals', async () => {
    const answers = [
      await httpRequest(port, '/', { headers: { cookie } }),
      await httpRequest(port, '/assets/index-AbCd1234.js', { headers: { cookie } }),
      await httpRequest(port, '/'),
      await httpRequest(port, '/', { headers: { host: 'evil.example' } }),
      await httpRequest(port, '/nope', { headers: { cookie } }),
    ];
    for (const answer of answers) {
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    }
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('survives a request target that is not a URL, on a plain request and on an upgrade', async () => {
    const host = `127.0.0.1:${port}`;
    const plain = await rawRequest(
      port,
      `GET http://[ HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`,
    );
    expect(plain).toMatch(/^HTTP\/1\.1 400 /);
    const upgrade = await rawRequest(
      port,
      `GET http://[ HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 404 /);
    expect((await httpRequest(port, '/', { headers: { cookie } })).status).toBe(200);
  });

  it('answers a plain GET of the socket path with 426', async () => {
    expect((await httpRequest(port, '/ws', { headers: { cookie } })).status).toBe(426);
  });
});

describe('commands and events over the WebSocket', () => {
  it('runs an invoke on the core and answers with its result under the same id', async () => {
    const ws = await connectPage();
    const messages = collectMessages(ws);
    ws.send(JSON.stringify({ type: 'invoke', id: 7, name: 'models:load', payload: { modelKey: 'qwen/qwen3-4b' } }));
    ws.send(JSON.stringify({ type: 'invoke', id: 8, name: 'app:get-snapshot' }));
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    expect(core.calls).toEqual([
      { name: 'models:load', payload: { modelKey: 'qwen/qwen3-4b' } },
      { name: 'app:get-snapshot', payload: undefined },
    ]);
    expect(messages).toContainEqual({
      type: 'result',
      id: 7,
      result: { ok: true, value: { echoed: 'models:load', payload: { modelKey: 'qwen/qwen3-4b' } } },
    });
    expect(messages).toContainEqual({
      type: 'result',
      id: 8,
      result: { ok: true, value: { echoed: 'app:get-snapshot', payload: null } },
    });
  });

  it("passes the core's error values through, and turns a throw into an internal error", async () => {
    const ws = await connectPage();
    const messages = collectMessages(ws);
    core.answer = (name) => {
      if (name === 'server:start') throw new Error('boom');
      return { ok: false, error: { code: 'lms-missing', message: 'lms was not found.' } };
    };
    ws.send(JSON.stringify({ type: 'invoke', id: 1, name: 'server:start' }));
    ws.send(JSON.stringify({ type: 'invoke', id: 2, name: 'server:stop' }));
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    expect(messages).toContainEqual({
      type: 'result',
      id: 1,
      result: { ok: false, error: { code: 'internal', message: expect.stringContaining('boom') } },
    });
    expect(messages).toContainEqual({
      type: 'result',
      id: 2,
      result: { ok: false, error: { code: 'lms-missing', message: 'lms was not found.' } },
    });
  });

  it('answers an unknown command with an error result and keeps the socket open', async () => {
    const ws = await connectPage();
    const messages = collectMessages(ws);
    ws.send(JSON.stringify({ type: 'invoke', id: 3, name: 'system:format-disk' }));
    ws.send(JSON.stringify({ type: 'invoke', id: 4, name: '__proto__' }));
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    expect(messages[0]).toMatchObject({
      type: 'result',
      id: 3,
      result: { ok: false, error: { code: 'invalid-input' } },
    });
    expect(messages[1]).toMatchObject({
      type: 'result',
      id: 4,
      result: { ok: false, error: { code: 'invalid-input' } },
    });
    expect(core.calls).toEqual([]);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('broadcasts core events, notifications included, to every connected page', async () => {
    const [first, second] = [await connectPage(), await connectPage()];
    const [firstMessages, secondMessages] = [collectMessages(first), collectMessages(second)];
    const notification = { kind: 'serverDown' as const, title: 'LM Studio is down', body: 'Start it again.' };
    core.emit({ name: 'notification:show', payload: notification });
    core.emit({ name: 'downloads:changed', payload: [] });
    const expected = [
      { type: 'event', name: 'notification:show', payload: notification },
      { type: 'event', name: 'downloads:changed', payload: [] },
    ];
    await vi.waitFor(() => {
      expect(firstMessages).toEqual(expected);
      expect(secondMessages).toEqual(expected);
    });
  });

  it('stops listening to the core when closed, and tells pages it is going away', async () => {
    const ws = await connectPage();
    const closing = closed(ws);
    expect(core.listenerCount()).toBe(1);
    await server.close();
    expect(core.listenerCount()).toBe(0);
    expect(await closing).toEqual({ code: 1001, reason: 'LM Studio Tray is shutting down.' });
  });
});

describe('malformed and hostile messages', () => {
  it.each([
    ['text that is not JSON', 'hello', 1007],
    ['JSON that is not an invoke', JSON.stringify({ type: 'subscribe' }), 1008],
    ['an invoke without an id', JSON.stringify({ type: 'invoke', name: 'app:get-snapshot' }), 1008],
    ['an invoke with a fractional id', JSON.stringify({ type: 'invoke', id: 1.5, name: 'app:get-snapshot' }), 1008],
    ['a JSON array', '[]', 1008],
  ])('closes the socket with a reason for %s, and keeps serving others', async (_label, text, code) => {
    const ws = await connectPage();
    const closing = closed(ws);
    ws.send(text);
    const { code: closeCode, reason } = await closing;
    expect(closeCode).toBe(code);
    expect(reason.length).toBeGreaterThan(0);
    expect(core.calls).toEqual([]);

    const other = await connectPage();
    const messages = collectMessages(other);
    other.send(JSON.stringify({ type: 'invoke', id: 1, name: 'server:refresh' }));
    await vi.waitFor(() => expect(messages).toHaveLength(1));
  });

  it('closes the socket on a binary frame', async () => {
    const ws = await connectPage();
    const closing = closed(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await closing).code).toBe(1003);
  });

  it(`closes the socket (1009) on a message over ${MAX_CLIENT_MESSAGE_BYTES} bytes, without running it`, async () => {
    const ws = await connectPage();
    const closing = closed(ws);
    const padding = 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES);
    ws.send(JSON.stringify({ type: 'invoke', id: 1, name: 'settings:update', payload: { lmsPath: padding } }));
    expect((await closing).code).toBe(1009);
    expect(core.calls).toEqual([]);
    expect((await httpRequest(port, '/', { headers: { cookie } })).status).toBe(200);
  });

  it('answers commands beyond the in-flight limit with an error instead of queueing them without bound', async () => {
    const ws = await connectPage();
    const messages = collectMessages(ws);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    core.answer = async () => {
      await gate;
      return { ok: true, value: null };
    };
    for (let id = 0; id < 70; id += 1) ws.send(JSON.stringify({ type: 'invoke', id, name: 'server:refresh' }));
    await vi.waitFor(() => expect(messages).toHaveLength(6));
    expect(messages.every((m) => (m as { result: { ok: boolean } }).result.ok === false)).toBe(true);
    release();
    await vi.waitFor(() => expect(messages).toHaveLength(70));
    expect(core.calls).toHaveLength(64);
  });
});

describe('keeping up with pages', () => {
  it('drops a page that stops answering pings', async () => {
    await server.close();
    server = await startTestServer({ heartbeatMs: 50 });
    port = server.port;
    const attempt = await openSocket(wsUrl(`?token=${TOKEN}`), { origin: `http://127.0.0.1:${port}`, autoPong: false });
    if (!('ws' in attempt)) throw new Error('socket refused');
    sockets.push(attempt.ws);
    expect((await closed(attempt.ws)).code).toBe(1006);
  });

  it('merges state events for a page that is not reading, keeping the latest, and never drops notifications', async () => {
    const ws = await connectPage();
    // Stop reading on the client side so the server's send buffer fills up, as with a frozen tab.
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const big = 'x'.repeat(64 * 1024);
    const emitted = 200;
    for (let i = 0; i < emitted; i += 1) {
      core.emit({ name: 'downloads:changed', payload: [download(i, big)] });
      if (i === 100) core.emit({ name: 'notification:show', payload: { kind: 'serverUp', title: 'Up', body: '' } });
    }
    core.emit({ name: 'server:status-changed', payload: { state: 'online' } as ServerStatus });
    const messages = collectMessages(ws);
    socket.resume();
    await vi.waitFor(() => {
      const last = messages.filter((m) => (m as { name: string }).name === 'downloads:changed').at(-1) as
        | { payload: DownloadState[] }
        | undefined;
      expect(last?.payload[0]?.id).toBe(`d${emitted - 1}`);
      expect(messages).toContainEqual(expect.objectContaining({ name: 'server:status-changed' }));
    }, 10_000);
    const progress = messages.filter((m) => (m as { name: string }).name === 'downloads:changed');
    expect(progress.length).toBeLessThan(emitted);
    expect(messages.filter((m) => (m as { name: string }).name === 'notification:show')).toHaveLength(1);
  });
});

describe('binding', () => {
  it('says clearly when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as import('node:net').AddressInfo).port;
    try {
      await expect(startTestServer({ port: taken })).rejects.toThrow(`Port ${taken} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });
});

/** Sends raw bytes (for requests no well-behaved client would make) and returns the raw answer. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function download(i: number, message: string): DownloadState {
  return {
    id: `d${i}`,
    model: 'qwen/qwen3-4b',
    status: 'downloading',
    attached: false,
    via: 'lms',
    percent: i / 2,
    downloadedBytes: i,
    totalBytes: 200,
    bytesPerSecond: null,
    etaSeconds: null,
    message,
    startedAt: 0,
    endedAt: null,
    warning: null,
    attempt: 1,
    nextRetryAt: null,
    failureKind: null,
    loadWhenDone: false,
    modelKey: null,
  };
}
