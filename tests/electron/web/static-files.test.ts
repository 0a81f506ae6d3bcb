import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheControlFor, contentTypeFor, resolveStaticFile } from '../../../electron/web/static-files';

let sandbox: string;
let dir: string;

beforeAll(() => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-static-'));
  dir = path.join(sandbox, 'site');
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), 'page');
  writeFileSync(path.join(dir, 'assets', 'index-Bx7_k2Qa.js'), 'js');
  writeFileSync(path.join(dir, '..weird.txt'), 'a file whose name starts with two dots');
  writeFileSync(path.join(sandbox, 'site-secret.txt'), 'secret');
  symlinkSync(sandbox, path.join(dir, 'up'));
});
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

describe('resolveStaticFile', () => {
  it('maps / to index.html and paths to files inside the folder', async () => {
    expect(await resolveStaticFile(dir, '/')).toMatchObject({
      absolutePath: path.join(dir, 'index.html'),
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'no-cache, private',
    });
    expect(await resolveStaticFile(dir, '/assets/index-Bx7_k2Qa.js')).toMatchObject({
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'private, max-age=31536000, immutable',
    });
    expect(await resolveStaticFile(dir, '/..weird.txt')).toMatchObject({ contentType: 'text/plain; charset=utf-8' });
  });

  it.each([
    '/../site-secret.txt',
    '/%2e%2e/site-secret.txt',
    '/assets/%2e%2e%2f..%2fsite-secret.txt',
    '/..%5csite-secret.txt',
    '/up/site-secret.txt',
    '/index.html%00',
    '/%zz',
    '/assets',
    '/missing.js',
  ])('refuses %s', async (urlPath) => {
    expect(await resolveStaticFile(dir, urlPath)).toBeNull();
  });
});

describe('content types and caching', () => {
  it('names what vite emits', () => {
    expect(contentTypeFor('a.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('a.svg')).toBe('image/svg+xml');
    expect(contentTypeFor('a.woff2')).toBe('font/woff2');
    expect(contentTypeFor('a.unknown')).toBe('application/octet-stream');
  });

  it('caches only hashed assets for good', () => {
    expect(cacheControlFor('assets/index-Bx7_k2Qa.js')).toContain('immutable');
    expect(cacheControlFor('index.html')).toBe('no-cache, private');
    expect(cacheControlFor('favicon.svg')).toBe('no-cache, private');
  });
});
