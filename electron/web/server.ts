/**
 * Web mode's server: the built popup over HTTP and the core's commands and events over one
 * WebSocket per page, on node:http + `ws`.
 *
 * Every request passes the same gate, in this order: the `Host` header names this server (DNS
 * rebinding), then the request carries the token (`?token=`, answered with a cookie and a
 * redirect that takes the token out of the address bar) or that cookie; WebSocket upgrades must
 * also come from the page's own origin. See `auth.ts` for why each check exists.
 */
import { promises as fsp } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { toCommandError } from '../core/errors';
import type { TrayCore } from '../core/interfaces';
import type { Logger } from '../core/ports';
import type { AppEvent, CommandName, Result } from '../shared/contract';
import {
  CLOSE_CODES,
  type EventMessage,
  MAX_CLIENT_MESSAGE_BYTES,
  parseClientMessage,
  type ResultMessage,
  WEB_SOCKET_PATH,
} from '../shared/web-protocol';
import {
  type Credential,
  checkCredential,
  createSignInCodes,
  formatHostPort,
  isAllowedHostHeader,
  isSameOrigin,
  sessionSetCookie,
} from './auth';
import { pageWithFirstSnapshot, type RenderFirstView } from './first-snapshot';
import { createRateLimiter, PAGE_RATE_LIMITS, type RateLimits } from './rate-limit';
import { resolveStaticFile } from './static-files';

/** The popup's CSP (the same policy as renderer/index.html's meta tag), sent as a header too. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Sent on every response, refusals included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The query parameter of a one-time sign-in link (see `signInUrl`). */
export const SIGN_IN_PARAMETER = 'signin';
/** Long enough for a browser to start cold; the link is single-use anyway. */
const SIGN_IN_LINK_TTL_MS = 5 * 60_000;

const OPEN_THE_PRINTED_URL =
  'Open the address LM Studio Tray printed in the terminal (the one that ends with ?token=...).';

export interface WebServerOptions {
  core: TrayCore;
  /** Address to bind; the CLI only passes a non-loopback one when the user asked with `--host`. */
  host: string;
  /** 0 lets the OS choose. */
  port: number;
  token: string;
  /** The built renderer (index.html and assets/). */
  staticDir: string;
  logger: Logger;
  /** How often to ping each page; a page that missed the previous pong is dropped. */
  heartbeatMs?: number;
  /** How long a sign-in link from `signInUrl()` stays valid (it is used once). */
  signInLinkTtlMs?: number;
  /** The clock sign-in links expire by; tests move it by hand. */
  now?: () => number;
  /** What one page may send (default PAGE_RATE_LIMITS); suites about payloads, not floods, raise it. */
  rateLimits?: RateLimits;
  /**
   * Loads the first view's renderer (see first-snapshot.ts), called on the first page request,
   * never at start-up; null or none: the page renders its first view itself.
   */
  loadFirstViewRenderer?: () => Promise<RenderFirstView | null>;
}

export interface WebServer {
  /** `http://HOST:PORT/`, without the token. */
  url: string;
  /**
   * A one-time address for the browser opener: it signs in once, within a few minutes, and holds
   * no token, because an opener's and a browser's command lines are visible to every user.
   */
  signInUrl(): string;
  port: number;
  /** Closes every page's socket (1001), stops listening and ends kept-alive connections. */
  close(): Promise<void>;
}

/** A page may have this many commands running at once; more are answered with an error. */
const MAX_COMMANDS_IN_FLIGHT = 64;
/** Above this many unsent bytes a page's state events are merged (latest wins) until it catches up. */
const BACKPRESSURE_HIGH_BYTES = 256 * 1024;
/** A page this far behind is not reading at all: dropped, it reconnects and starts fresh. */
const BACKPRESSURE_LIMIT_BYTES = 8 * 1024 * 1024;
const DRAIN_CHECK_MS = 50;
/** How long pages get to finish the closing handshake at shutdown before their sockets are cut. */
const CLOSE_GRACE_MS = 1000;

/** Starts serving; resolves once listening, rejects with a clear message when it cannot bind. */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { core, logger, staticDir, token } = options;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  // Known once listening (the OS may choose the port); no request arrives before that.
  let port = 0;

  const signInCodes = createSignInCodes({
    ttlMs: options.signInLinkTtlMs ?? SIGN_IN_LINK_TTL_MS,
    now: options.now ?? Date.now,
  });
  const clients = new Set<PageClient>();
  let firstViewRenderer: Promise<RenderFirstView | null> | undefined;
  const loadFirstViewRenderer = options.loadFirstViewRenderer;
  const renderFirstView = loadFirstViewRenderer
    ? () => {
        // Loaded once; a renderer that fails to load is not tried again on every page.
        firstViewRenderer ??= loadFirstViewRenderer().catch((error: unknown) => {
          logger.warn('Web server: the first view will render in the page, its renderer did not load', error);
          return null;
        });
        return firstViewRenderer;
      }
    : undefined;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    autoPong: false,
  });

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      logger.error('Web server: a request failed', error);
      if (!res.headersSent) sendText(res, 500, 'LM Studio Tray could not answer this request. See the terminal.');
      else res.destroy();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAllowedHostHeader(req.headers.host, { host: options.host, port })) {
      logger.warn(`Web server: refused a request for host ${JSON.stringify(req.headers.host ?? '')}`);
      sendText(res, 403, `This server only answers at http://${formatHostPort(options.host, port)}/.`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, 'Only GET and HEAD are served here.');
      return;
    }
    const url = parseRequestTarget(req.url);
    if (!url) {
      sendText(res, 400, 'That address is not valid.');
      return;
    }
    const signInCode = url.searchParams.get(SIGN_IN_PARAMETER);
    if (signInCode !== null) {
      if (signInCodes.redeem(signInCode)) signIn(res, url.pathname);
      else sendText(res, 403, `This sign-in link was used already or has expired. ${OPEN_THE_PRINTED_URL}`);
      return;
    }
    const credential = checkCredential(url.searchParams.get('token'), req.headers.cookie, { token, port });
    if (!refuseUnlessAuthorized(credential, res)) return;

    if (credential.kind === 'query-token') {
      signIn(res, url.pathname);
      return;
    }
    if (url.pathname === WEB_SOCKET_PATH) {
      sendText(res, 426, 'This address speaks WebSocket only.');
      return;
    }
    const file = await resolveStaticFile(staticDir, url.pathname);
    if (!file) {
      sendText(res, 404, 'Not found.');
      return;
    }
    let body = await fsp.readFile(file.absolutePath);
    let cacheControl = file.cacheControl;
    // First paint (issue 7): the page carries its first snapshot, see first-snapshot.ts. It holds
    // live state, so no cache may keep it.
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const page = await pageWithFirstSnapshot(
        body.toString('utf8'),
        () => core.invoke('app:get-snapshot', undefined),
        renderFirstView,
        (error) => logger.warn('Web server: could not render the first view; the page renders it', error),
      );
      if (page !== null) {
        body = Buffer.from(page, 'utf8');
        cacheControl = 'no-store';
      }
    }
    applySecurityHeaders(res);
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': body.length,
      'Cache-Control': cacheControl,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Trades the token (or a sign-in link) for the cookie, and takes it out of the address bar and the history. */
  function signIn(res: ServerResponse, pathname: string): void {
    res.setHeader('Set-Cookie', sessionSetCookie(token, port));
    res.setHeader('Location', safeRedirectPath(pathname));
    sendText(res, 303, 'Signed in; continuing to LM Studio Tray.');
  }

  /** Writes the refusal and returns false, or returns true for a valid credential. */
  function refuseUnlessAuthorized(credential: Credential, res: ServerResponse): boolean {
    if (credential.kind !== 'none' && credential.valid) return true;
    if (credential.kind === 'none') {
      sendText(res, 401, `LM Studio Tray needs its access token. ${OPEN_THE_PRINTED_URL}`);
    } else {
      // A wrong token, or a cookie from an earlier run (each run has a new token).
      sendText(res, 403, `This access token is not valid (LM Studio Tray may have restarted). ${OPEN_THE_PRINTED_URL}`);
    }
    return false;
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A socket error before the handshake completes must not crash the process.
    socket.on('error', (error) => logger.debug('Web server: upgrade socket error', error));
    try {
      handleUpgrade(req, socket, head);
    } catch (error) {
      // An event listener's throw would end the process: a bad handshake must only end its socket.
      logger.error('Web server: a WebSocket handshake failed', error);
      socket.destroy();
    }
  });

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, text: string) => {
      logger.warn(`Web server: refused a WebSocket (${status}): ${text}`);
      rejectUpgrade(socket, status, text);
    };
    if (!isAllowedHostHeader(req.headers.host, { host: options.host, port })) {
      refuse(403, `This server only answers at http://${formatHostPort(options.host, port)}/.`);
      return;
    }
    const url = parseRequestTarget(req.url);
    if (url?.pathname !== WEB_SOCKET_PATH) {
      refuse(404, 'Not found.');
      return;
    }
    if (!isSameOrigin(req.headers.origin, req.headers.host)) {
      refuse(403, 'WebSocket connections are only accepted from LM Studio Tray’s own page.');
      return;
    }
    const credential = checkCredential(url.searchParams.get('token'), req.headers.cookie, { token, port });
    if (credential.kind === 'none' || !credential.valid) {
      refuse(credential.kind === 'none' ? 401 : 403, `Missing or invalid access token. ${OPEN_THE_PRINTED_URL}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const client = createPageClient(ws, core, logger, options.rateLimits ?? PAGE_RATE_LIMITS);
      clients.add(client);
      ws.once('close', () => {
        client.dispose();
        clients.delete(client);
        logger.debug(`Web server: a page disconnected (${clients.size} connected)`);
      });
      logger.debug(`Web server: a page connected (${clients.size} connected)`);
    });
  }

  const unsubscribe = core.onEvent((event: AppEvent) => {
    if (clients.size === 0) return;
    const text = serialize({ type: 'event', name: event.name, payload: event.payload } as EventMessage);
    if (text === null) {
      logger.error(`Web server: could not serialise the ${event.name} event`);
      return;
    }
    for (const client of clients) client.sendEvent(event.name, text);
  });

  const heartbeat = setInterval(() => {
    for (const client of clients) client.heartbeat();
  }, heartbeatMs);
  heartbeat.unref();

  try {
    await listen(server, options.host, options.port);
  } catch (error) {
    clearInterval(heartbeat);
    unsubscribe();
    wss.close();
    throw describeListenError(error, options.host, options.port);
  }
  port = (server.address() as AddressInfo).port;
  const url = `http://${formatHostPort(options.host, port)}/`;
  logger.debug(`Web server: listening on ${url}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    signInUrl: () => `${url}?${SIGN_IN_PARAMETER}=${signInCodes.issue()}`,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        unsubscribe();
        await Promise.all([...clients].map((client) => client.close(CLOSE_GRACE_MS)));
        wss.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One connected page
// ---------------------------------------------------------------------------------------------

interface PageClient {
  sendEvent(name: AppEvent['name'], text: string): void;
  /** Drops the page when it missed the previous ping, else pings again. */
  heartbeat(): void;
  /** Asks the page to close (1001), then cuts the socket after `graceMs`. */
  close(graceMs: number): Promise<void>;
  dispose(): void;
}

function createPageClient(ws: WebSocket, core: TrayCore, logger: Logger, rateLimits: RateLimits): PageClient {
  let alive = true;
  let inFlight = 0;
  /** Set once the page broke a rule: what it sends after that is not read. */
  let refused = false;
  const limiter = createRateLimiter(rateLimits, () => performance.now());
  /** State events held back while the page is slow: only the latest of each name matters. */
  const deferred = new Map<AppEvent['name'], string>();
  let drainTimer: ReturnType<typeof setInterval> | null = null;

  ws.on('pong', () => {
    alive = true;
  });
  // Pings count against the limits like messages (a ping flood would cost a pong each without
  // end), so they are answered here rather than by `ws` (autoPong is off).
  ws.on('ping', (data) => {
    if (refused || ws.readyState !== ws.OPEN) return;
    const verdict = limiter.take(data.length);
    if (verdict.allowed) ws.pong(data);
    else refuse(CLOSE_CODES.policyViolation, verdict.reason);
  });
  ws.on('error', (error) => logger.debug('Web server: page socket error', error));
  ws.on('message', (data, isBinary) => {
    // Frames already on the wire still arrive after a close: a flood must not run any of them.
    if (refused || ws.readyState !== ws.OPEN) return;
    if (isBinary) {
      refuse(CLOSE_CODES.unsupportedData, 'Only JSON text messages are accepted.');
      return;
    }
    const text = rawDataToString(data);
    const verdict = limiter.take(Buffer.byteLength(text, 'utf8'));
    if (!verdict.allowed) {
      refuse(CLOSE_CODES.policyViolation, verdict.reason);
      return;
    }
    const parsed = parseClientMessage(text);
    switch (parsed.kind) {
      case 'close':
        refuse(parsed.code, parsed.reason);
        return;
      case 'reject':
        sendResult(parsed.id, { ok: false, error: parsed.error });
        return;
      case 'invoke':
        void runCommand(parsed.message.id, parsed.message.name, parsed.message.payload);
        return;
    }
  });

  /**
   * Closes the socket with the reason, and cuts it if the page does not finish the closing
   * handshake soon: a flooding client must not hold the socket for ws's 30 s close timeout.
   */
  function refuse(code: number, reason: string): void {
    refused = true;
    logger.warn(`Web server: closing a page's socket (${code}): ${reason}`);
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  async function runCommand(id: number, name: CommandName, payload: unknown): Promise<void> {
    if (inFlight >= MAX_COMMANDS_IN_FLIGHT) {
      sendResult(id, {
        ok: false,
        error: { code: 'unavailable', message: 'Too many commands at once. Wait for the running ones to finish.' },
      });
      return;
    }
    inFlight += 1;
    let result: Result<unknown>;
    try {
      result = await core.invoke(name, payload);
    } catch (error) {
      // The core returns errors as values; a throw is a bug, but the page still gets an answer.
      logger.error(`Web server: ${name} threw`, error);
      result = { ok: false, error: toCommandError(error) };
    } finally {
      inFlight -= 1;
    }
    sendResult(id, result);
  }

  function sendResult(id: number, result: Result<unknown>): void {
    if (ws.readyState !== ws.OPEN) return;
    const text =
      serialize({ type: 'result', id, result } satisfies ResultMessage) ??
      serialize({
        type: 'result',
        id,
        result: { ok: false, error: toCommandError(new Error('the answer could not be serialised')) },
      } satisfies ResultMessage);
    if (text === null) return;
    // Events held back are older than this answer: send them first, or a snapshot answer would be
    // overwritten by stale progress arriving after it. At most one per event name, so bounded.
    sendDeferred();
    ws.send(text);
  }

  function flushDeferred(): void {
    if (ws.readyState !== ws.OPEN) {
      stopDrainCheck();
      return;
    }
    if (ws.bufferedAmount > BACKPRESSURE_HIGH_BYTES) return;
    sendDeferred();
  }

  function sendDeferred(): void {
    for (const text of deferred.values()) ws.send(text);
    deferred.clear();
    stopDrainCheck();
  }

  function stopDrainCheck(): void {
    if (drainTimer !== null) clearInterval(drainTimer);
    drainTimer = null;
  }

  return {
    sendEvent(name, text) {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > BACKPRESSURE_LIMIT_BYTES) {
        logger.warn('Web server: dropping a page that stopped reading');
        ws.terminate();
        return;
      }
      // Notifications are one-offs (each must be shown), so they are never merged.
      const mergeable = name !== 'notification:show';
      if (mergeable && (deferred.has(name) || ws.bufferedAmount > BACKPRESSURE_HIGH_BYTES)) {
        // Delete first so the re-inserted entry keeps the order the events were last raised in.
        deferred.delete(name);
        deferred.set(name, text);
        if (drainTimer === null) {
          drainTimer = setInterval(flushDeferred, DRAIN_CHECK_MS);
          drainTimer.unref();
        }
        return;
      }
      ws.send(text);
    },
    heartbeat() {
      if (!alive) {
        logger.debug('Web server: dropping a page that stopped answering pings');
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    },
    close(graceMs) {
      if (ws.readyState === ws.CLOSED) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => ws.terminate(), graceMs);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(CLOSE_CODES.goingAway, 'LM Studio Tray is shutting down.');
      });
    },
    dispose() {
      stopDrainCheck();
      deferred.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function applySecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  applySecurityHeaders(res);
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Answers a refused upgrade with a plain HTTP response, then closes the socket. */
function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = Buffer.from(`${text}\n`, 'utf8');
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] ?? 'Bad Request';
  const head = [
    `HTTP/1.1 ${status} ${reason}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/**
 * Where to send the browser after it traded its token for the cookie: the same path, but never
 * something a browser reads as another site (`//evil.example`, `/\evil.example`).
 */
function safeRedirectPath(pathname: string): string {
  return /^\/(?![/\\])/.test(pathname) ? pathname : '/';
}

/** The request target as a URL (only its path and query matter), or null when it does not parse. */
function parseRequestTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

function serialize(message: ResultMessage | EventMessage): string | null {
  try {
    return JSON.stringify(message);
  } catch {
    return null;
  }
}

function rawDataToString(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function listen(server: import('node:http').Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function describeListenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = formatHostPort(host, port);
  if (code === 'EADDRINUSE') {
    return new Error(
      `Port ${port} on ${host} is already in use. Choose another with --port, or --port 0 to let the system pick.`,
      { cause: error },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new Error(`${host} is not an address of this machine. Pass one of its addresses with --host.`, {
      cause: error,
    });
  }
  if (code === 'EACCES') {
    return new Error(`Not allowed to listen on ${where}. Ports below 1024 need special rights; try --port 0.`, {
      cause: error,
    });
  }
  return new Error(`Could not listen on ${where}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
