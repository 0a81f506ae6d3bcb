/**
 * Who may talk to the web server: pure checks on a request's token, cookie, Host and Origin.
 *
 * The threat is another page in the user's browser (or another user on a shared box) driving
 * LM Studio Tray: loading models, starting downloads. A random token printed in the terminal
 * proves the user opened the page; the Host check stops DNS rebinding (evil.example resolving
 * to 127.0.0.1 would otherwise be "same origin" with us); the Origin check stops a foreign page
 * from opening our WebSocket with the user's cookie.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The session cookie's name. Cookies ignore ports, so two instances on one host (say the user's
 * and a test's) would overwrite each other's cookie under a shared name: the port is part of it.
 */
export function sessionCookieName(port: number): string {
  return `lmstudio_tray_${port}`;
}

/**
 * The session cookie's value: derived from the token rather than the token itself, so it is
 * always cookie-safe (a user's `--token` may hold `;` or `,`) and a leaked cookie (from a
 * browser profile, say) does not reveal the token. Tied to the port like the name.
 */
export function sessionCookieValue(token: string, port: number): string {
  return createHmac('sha256', token).update(`lmstudio-tray-session:${port}`).digest('base64url');
}

/** Compares two secrets in constant time, whatever their lengths (hashing first equalises them). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Every value of the named cookie in a `Cookie` header (a browser may send duplicates). */
export function readCookies(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/** How a request proved (or failed to prove) it comes from the user's page. */
export type Credential =
  | { kind: 'query-token'; valid: boolean }
  | { kind: 'cookie'; valid: boolean }
  /** Neither a token nor our cookie: 401. */
  | { kind: 'none' };

/**
 * The request's credential: a `?token=` wins over the cookie (it is what a fresh page load
 * carries, and a stale cookie from an earlier run must not shadow it).
 */
export function checkCredential(
  queryToken: string | null,
  cookieHeader: string | undefined,
  session: { token: string; port: number },
): Credential {
  if (queryToken !== null) return { kind: 'query-token', valid: secretsEqual(queryToken, session.token) };
  const cookies = readCookies(cookieHeader, sessionCookieName(session.port));
  if (cookies.length === 0) return { kind: 'none' };
  const expected = sessionCookieValue(session.token, session.port);
  // Check every value without stopping early, so timing does not tell which one matched.
  let valid = false;
  for (const value of cookies) valid = secretsEqual(value, expected) || valid;
  return { kind: 'cookie', valid };
}

/** The `Set-Cookie` header that keeps the page signed in: script-proof, same-site only, this port only by name. */
export function sessionSetCookie(token: string, port: number): string {
  return `${sessionCookieName(port)}=${sessionCookieValue(token, port)}; Path=/; HttpOnly; SameSite=Strict`;
}

/**
 * Single-use sign-in codes for the address handed to the browser opener. A program's command line
 * is visible to every user in `ps`, and a browser started by `xdg-open` keeps the address in its
 * own for as long as it runs: that address must not hold the token. It holds a code instead,
 * which signs in once, within `ttlMs`, and is worthless after.
 */
export interface SignInCodes {
  /** A new code, valid once until `ttlMs` from now. */
  issue(): string;
  /** Whether the code is valid; a valid code is used up. Compared in constant time. */
  redeem(code: string): boolean;
}

export function createSignInCodes(options: { ttlMs: number; now: () => number }): SignInCodes {
  const live = new Map<string, number>();
  const forgetExpired = () => {
    const now = options.now();
    for (const [code, expires] of live) if (expires <= now) live.delete(code);
  };
  return {
    issue() {
      forgetExpired();
      const code = randomBytes(24).toString('base64url');
      live.set(code, options.now() + options.ttlMs);
      return code;
    },
    redeem(given) {
      forgetExpired();
      // Every live code is compared, so timing does not tell which one (if any) matched.
      let matched: string | null = null;
      for (const code of live.keys()) if (secretsEqual(given, code)) matched = code;
      if (matched === null) return false;
      live.delete(matched);
      return true;
    },
  };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, their IPv4-mapped forms, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = stripBrackets(host.toLowerCase());
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** True for "every interface" binds (`0.0.0.0`, `::`), where no single address names the server. */
export function isWildcardHost(host: string): boolean {
  const h = stripBrackets(host);
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** `host:port` as it appears in a URL (IPv6 in brackets). */
export function formatHostPort(host: string, port: number): string {
  const h = stripBrackets(host);
  return isIP(h) === 6 ? `[${h}]:${port}` : `${h}:${port}`;
}

/**
 * Whether a `Host` header names this server. Only the bound address itself is accepted (plus
 * `localhost` for a loopback bind, since that is what people type): a DNS-rebinding page sends
 * its own hostname here. A wildcard bind has no one address, so any IP literal is accepted
 * there (an IP literal cannot be rebound), but still no hostname other than `localhost`.
 */
export function isAllowedHostHeader(header: string | undefined, bound: { host: string; port: number }): boolean {
  if (!header) return false;
  const parsed = splitHostHeader(header.toLowerCase());
  if (!parsed) return false;
  // Browsers leave out the default port.
  const port = parsed.port ?? 80;
  if (port !== bound.port) return false;
  const name = parsed.host;
  const boundHost = stripBrackets(bound.host.toLowerCase());
  if (isWildcardHost(boundHost)) return name === 'localhost' || isIP(name) !== 0;
  if (name === boundHost) return true;
  if (isLoopbackHost(boundHost)) return name === 'localhost' || (boundHost === 'localhost' && isLoopbackHost(name));
  return false;
}

/**
 * Whether a WebSocket upgrade's `Origin` is the page's own: `http://` plus the very `Host` the
 * request was sent to (already checked by `isAllowedHostHeader`). A missing Origin is refused:
 * every browser sends one on a WebSocket handshake.
 */
export function isSameOrigin(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (!origin || !hostHeader) return false;
  return origin.toLowerCase() === `http://${hostHeader.toLowerCase()}`;
}

function splitHostHeader(header: string): { host: string; port: number | null } | null {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!match?.[1]) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && port > 65_535) return null;
  return { host: stripBrackets(match[1]), port };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
