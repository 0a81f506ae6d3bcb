import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppSnapshot } from '../../../electron/shared/contract';
import { FIRST_SNAPSHOT_ELEMENT_ID } from '../../../electron/shared/web-protocol';
import { sessionCookieName, sessionCookieValue } from '../../../electron/web/auth';
import { pageWithFirstSnapshot } from '../../../electron/web/first-snapshot';
import { startWebServer } from '../../../electron/web/server';
import { createFakeCore, createMemoryLogger } from './fake-core';
import { httpRequest } from './helpers';

const TOKEN = 'test-token-0123456789abcdef';
const PAGE = '<!doctype html><html><head><title>LM Studio Tray</title></head><body><div id="root"></div></body></html>';

/** Enough of a snapshot for the page: the server passes it through untouched. */
const SNAPSHOT = {
  status: { state: 'online' },
  models: { models: [{ key: 'evil/</script><script>alert(1)</script>', displayName: '<!-- x' }], loaded: [] },
  downloads: [],
  loading: [],
  settings: {},
  app: { version: '0.1.0', platform: 'linux', transport: 'web' },
} as unknown as AppSnapshot;

/** The JSON in the page's data block, as the browser's textContent would give it. */
function dataBlock(html: string): string | null {
  const match = new RegExp(
    `<script type="application/json" id="${FIRST_SNAPSHOT_ELEMENT_ID}">(.*?)</script>`,
    's',
  ).exec(html);
  return match?.[1] ?? null;
}

describe('pageWithFirstSnapshot', () => {
  it('puts the snapshot in a data block before </head>, with no "<" that could end it', async () => {
    const page = await pageWithFirstSnapshot(PAGE, async () => ({ ok: true, value: SNAPSHOT }));
    expect(page).not.toBeNull();
    const json = dataBlock(page!);
    expect(json).not.toContain('<');
    expect(JSON.parse(json!)).toEqual(SNAPSHOT);
    expect(page!.indexOf(FIRST_SNAPSHOT_ELEMENT_ID)).toBeLessThan(page!.indexOf('</head>'));
    // Exactly one script element: the hostile model key did not open another.
    expect(page!.match(/<script/g)).toHaveLength(1);
  });

  it('leaves the page alone when the snapshot cannot be read or there is no head', async () => {
    const failed = await pageWithFirstSnapshot(PAGE, async () => ({
      ok: false,
      error: { code: 'internal', message: 'no' },
    }));
    expect(failed).toBeNull();
    let read = false;
    const headless = await pageWithFirstSnapshot('<p>no head</p>', async () => {
      read = true;
      return { ok: true, value: SNAPSHOT };
    });
    expect(headless).toBeNull();
    expect(read).toBe(false);
  });
});

describe('the web server', () => {
  let sandbox: string;
  beforeAll(() => {
    sandbox = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-first-snapshot-'));
    mkdirSync(path.join(sandbox, 'assets'));
    writeFileSync(path.join(sandbox, 'index.html'), PAGE);
    writeFileSync(path.join(sandbox, 'assets', 'index-AbCd1234.js'), 'console.log(1);');
  });
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  it('serves the page with the snapshot the socket would send, never cached, and only to the token holder', async () => {
    const core = createFakeCore();
    core.answer = (name) =>
      name === 'app:get-snapshot'
        ? { ok: true, value: SNAPSHOT }
        : { ok: false, error: { code: 'internal', message: name } };
    const server = await startWebServer({
      core,
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      staticDir: sandbox,
      logger: createMemoryLogger(),
    });
    try {
      const cookie = `${sessionCookieName(server.port)}=${sessionCookieValue(TOKEN, server.port)}`;
      const page = await httpRequest(server.port, '/', { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(dataBlock(page.body)!)).toEqual(SNAPSHOT);
      expect(Number(page.headers['content-length'])).toBe(Buffer.byteLength(page.body));

      // Assets are served as they are.
      const asset = await httpRequest(server.port, '/assets/index-AbCd1234.js', { headers: { cookie } });
      expect(asset.body).toBe('console.log(1);');

      // Without the cookie: refused before anything is read from the core.
      core.calls.length = 0;
      const refused = await httpRequest(server.port, '/');
      expect(refused.status).toBe(401);
      expect(refused.body).not.toContain(FIRST_SNAPSHOT_ELEMENT_ID);
      expect(core.calls).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
