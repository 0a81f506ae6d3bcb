import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  createRendererHandler,
  isPopupUrl,
  resolveRendererFile,
} from '../../../electron/main/renderer-protocol';

let root: string;
let rendererDir: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'renderer-protocol-'));
  rendererDir = path.join(root, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>popup</title>');
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(root, 'secret.txt'), 'do not serve');
  handler = createRendererHandler(rendererDir, (file) => readFile(file));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the app:// handler', () => {
  it('serves the page with its type and the CSP as a header', async () => {
    const response = await handler(new Request('app://popup/index.html'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>popup</title>');
    const root = await handler(new Request('app://popup/'));
    expect(await root.text()).toContain('<title>popup</title>');
    const script = await handler(new Request('app://popup/assets/app.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 for a missing file and 405 for a POST', async () => {
    expect((await handler(new Request('app://popup/nope.js'))).status).toBe(404);
    expect((await handler(new Request('app://popup/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('refuses paths out of the renderer folder and other hosts', async () => {
    for (const url of [
      'app://popup/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://popup/..%5csecret.txt',
      'app://popup/index.html%00.js',
      'app://popup/%E0%A4%A',
      'app://other/index.html',
    ]) {
      const response = await handler(new Request(url));
      expect(response.status, url).toBe(403);
    }
  });

  it('dot segments are resolved by the URL parser and stay inside the folder', async () => {
    for (const url of [
      'app://popup/%2e%2e/secret.txt',
      'app://popup/../../secret.txt',
      'app://popup/a/../../secret.txt',
    ]) {
      const response = await handler(new Request(url));
      expect(response.status, url).toBe(404);
      expect(await response.text()).not.toContain('do not serve');
    }
  });

  it('resolveRendererFile keeps every path inside the folder', () => {
    expect(resolveRendererFile('/r', 'app://popup/a/b.js')).toBe(path.resolve('/r/a/b.js'));
    expect(resolveRendererFile('/r', 'app://popup/a/../b.js')).toBe(path.resolve('/r/b.js'));
    expect(resolveRendererFile('/r', 'app://popup/%2e%2e%2f%2e%2e%2fetc/passwd')).toBeNull();
    expect(resolveRendererFile('/r', 'file:///etc/passwd')).toBeNull();
  });

  it('the CSP allows only our own scripts and no plugins, frames or base changes', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
  });
});

describe('isPopupUrl', () => {
  it('accepts only app://popup', () => {
    expect(isPopupUrl('app://popup/index.html#settings')).toBe(true);
    expect(isPopupUrl('app://popup.evil/index.html')).toBe(false);
    expect(isPopupUrl('https://popup/index.html')).toBe(false);
    expect(isPopupUrl('')).toBe(false);
  });
});
