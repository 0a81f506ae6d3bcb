import { describe, expect, it } from 'vitest';
import {
  checkCredential,
  createSignInCodes,
  formatHostPort,
  isAllowedHostHeader,
  isLoopbackHost,
  isSameOrigin,
  readCookies,
  secretsEqual,
  sessionCookieName,
  sessionCookieValue,
  sessionSetCookie,
} from '../../../electron/web/auth';

describe('session cookie', () => {
  it('is named for the port and derived from the token and the port', () => {
    expect(sessionCookieName(5173)).toBe('lmstudio_tray_5173');
    expect(sessionCookieValue('t', 1)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessionCookieValue('t', 1)).not.toBe(sessionCookieValue('t', 2));
    expect(sessionCookieValue('t', 1)).not.toBe(sessionCookieValue('u', 1));
    // A token full of cookie syntax still makes a valid cookie.
    expect(sessionSetCookie('a;b,c=d "e"', 80)).toMatch(
      /^lmstudio_tray_80=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict$/,
    );
  });

  it('reads every value of one cookie among others', () => {
    expect(readCookies('a=1; lmstudio_tray_1=x; b=2;lmstudio_tray_1=y', 'lmstudio_tray_1')).toEqual(['x', 'y']);
    expect(readCookies('lmstudio_tray_10=x', 'lmstudio_tray_1')).toEqual([]);
    expect(readCookies(undefined, 'a')).toEqual([]);
    expect(readCookies('garbage', 'a')).toEqual([]);
  });

  it('prefers a query token over a cookie, and says which was wrong', () => {
    const session = { token: 'secret', port: 9 };
    const cookie = `${sessionCookieName(9)}=${sessionCookieValue('secret', 9)}`;
    expect(checkCredential('secret', undefined, session)).toEqual({ kind: 'query-token', valid: true });
    expect(checkCredential('nope', cookie, session)).toEqual({ kind: 'query-token', valid: false });
    expect(checkCredential(null, cookie, session)).toEqual({ kind: 'cookie', valid: true });
    expect(checkCredential(null, `${sessionCookieName(9)}=forged`, session)).toEqual({ kind: 'cookie', valid: false });
    expect(checkCredential(null, `stale=1; ${cookie}`, session)).toEqual({ kind: 'cookie', valid: true });
    expect(checkCredential(null, 'other=1', session)).toEqual({ kind: 'none' });
  });

  it('compares secrets of any length', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('', 'a')).toBe(false);
  });
});

describe('one-time sign-in codes', () => {
  function codesAt() {
    const clock = { now: 1_000 };
    return { codes: createSignInCodes({ ttlMs: 60_000, now: () => clock.now }), clock };
  }

  it('sign in once each, and never again', () => {
    const { codes } = codesAt();
    const first = codes.issue();
    const second = codes.issue();
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first).not.toBe(second);
    expect(codes.redeem(second)).toBe(true);
    expect(codes.redeem(first)).toBe(true);
    expect(codes.redeem(first)).toBe(false);
    expect(codes.redeem(second)).toBe(false);
  });

  it('are worthless once expired, and when guessed', () => {
    const { codes, clock } = codesAt();
    const code = codes.issue();
    expect(codes.redeem('')).toBe(false);
    expect(codes.redeem(`${code}x`)).toBe(false);
    clock.now += 60_000;
    expect(codes.redeem(code)).toBe(false);
  });
});

describe('Host and Origin', () => {
  const loopback = { host: '127.0.0.1', port: 4000 };

  it('accepts only the bound address (and localhost for a loopback bind)', () => {
    expect(isAllowedHostHeader('127.0.0.1:4000', loopback)).toBe(true);
    expect(isAllowedHostHeader('localhost:4000', loopback)).toBe(true);
    expect(isAllowedHostHeader('LOCALHOST:4000', loopback)).toBe(true);
    for (const host of [
      'evil.example:4000',
      '127.0.0.1:4001',
      '127.0.0.1',
      'localhost',
      '127.1:4000',
      '[::1]:4000',
      '',
      '127.0.0.1:4000:1',
      'a@127.0.0.1:4000',
    ]) {
      expect(isAllowedHostHeader(host, loopback), host).toBe(false);
    }
    expect(isAllowedHostHeader(undefined, loopback)).toBe(false);
  });

  it('knows that browsers leave out port 80', () => {
    expect(isAllowedHostHeader('127.0.0.1', { host: '127.0.0.1', port: 80 })).toBe(true);
  });

  it('handles IPv6 binds', () => {
    const v6 = { host: '::1', port: 4000 };
    expect(isAllowedHostHeader('[::1]:4000', v6)).toBe(true);
    expect(isAllowedHostHeader('localhost:4000', v6)).toBe(true);
    expect(isAllowedHostHeader('127.0.0.1:4000', v6)).toBe(false);
    expect(formatHostPort('::1', 4000)).toBe('[::1]:4000');
  });

  it('accepts IP literals but no other host name on a wildcard bind', () => {
    const wildcard = { host: '0.0.0.0', port: 4000 };
    expect(isAllowedHostHeader('192.168.1.5:4000', wildcard)).toBe(true);
    expect(isAllowedHostHeader('[fe80::1]:4000', wildcard)).toBe(true);
    expect(isAllowedHostHeader('localhost:4000', wildcard)).toBe(true);
    expect(isAllowedHostHeader('evil.example:4000', wildcard)).toBe(false);
  });

  it('requires the Origin to be exactly http:// plus the Host', () => {
    expect(isSameOrigin('http://127.0.0.1:4000', '127.0.0.1:4000')).toBe(true);
    expect(isSameOrigin('http://localhost:4000', 'localhost:4000')).toBe(true);
    expect(isSameOrigin('http://localhost:4000', '127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('https://127.0.0.1:4000', '127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('null', '127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin(undefined, '127.0.0.1:4000')).toBe(false);
  });

  it('tells loopback addresses from the rest', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '128.0.0.1', '::ffff:10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
