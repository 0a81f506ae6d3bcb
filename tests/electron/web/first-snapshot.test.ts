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
  it('puts the snapshot in a data block at the end of <body>, with no "<" that could end it', async () => {
    const page = await pageWithFirstSnapshot(PAGE, async () => ({ ok: true, value: SNAPSHOT }));
    expect(page).not.toBeNull();
    const json = dataBlock(page!);
    expect(json).not.toContain('<');
    expect(JSON.parse(json!)).toEqual(SNAPSHOT);
    // After #root: the browser paints the first view before it parses the JSON.
    expect(page!.indexOf(FIRST_SNAPSHOT_ELEMENT_ID)).toBeGreaterThan(page!.indexOf('<div id="root">'));
    expect(page!.indexOf(FIRST_SNAPSHOT_ELEMENT_ID)).toBeLessThan(page!.indexOf('</body>'));
    // Exactly one script element: the hostile model key did not open another.
    expect(page!.match(/<script/g)).toHaveLength(1);
  });

  it('leaves the page alone when the snapshot cannot be read or there is no body', async () => {
    const failed = await pageWithFirstSnapshot(PAGE, async () => ({
      ok: false,
      error: { code: 'internal', message: 'no' },
    }));
    expect(failed).toBeNull();
    let read = false;
    const headless = await pageWithFirstSnapshot('<p>no body</p>', async () => {
      read = true;
      return { ok: true, value: SNAPSHOT };
    });
    expect(headless).toBeNull();
    expect(read).toBe(false);
  });

  it('puts the first view, rendered from that same snapshot, in #root', async () => {
    const rendered: AppSnapshot[] = [];
    const render = (snapshot: AppSnapshot) => {
      rendered.push(snapshot);
      return '<div class="app">first view</div>';
    };
    const page = await pageWithFirstSnapshot(
      PAGE,
      async () => ({ ok: true, value: SNAPSHOT }),
      async () => render,
    );
    expect(page).toContain('<div id="root"><div class="app">first view</div></div>');
    expect(rendered).toEqual([SNAPSHOT]);
    expect(JSON.parse(dataBlock(page!)!)).toEqual(SNAPSHOT);
  });

  it('leaves #root empty for the page to render when there is no renderer or it fails', async () => {
    const read = async () => ({ ok: true as const, value: SNAPSHOT });
    const errors: unknown[] = [];
    const failing = await pageWithFirstSnapshot(
      PAGE,
      read,
      async () => () => {
        throw new Error('render failed');
      },
      (error) => errors.push(error),
    );
    expect(failing).toContain('<div id="root"></div>');
    expect(errors).toEqual([new Error('render failed')]);
    const none = await pageWithFirstSnapshot(PAGE, read, async () => null);
    expect(none).toContain('<div id="root"></div>');
    expect(JSON.parse(dataBlock(none!)!)).toEqual(SNAPSHOT);
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

  it('loads the first view renderer on the first page request, not at start, and only once', async () => {
    const core = createFakeCore();
    core.answer = (name) =>
      name === 'app:get-snapshot'
        ? { ok: true, value: SNAPSHOT }
        : { ok: false, error: { code: 'internal', message: name } };
    let loads = 0;
    const server = await startWebServer({
      core,
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      staticDir: sandbox,
      logger: createMemoryLogger(),
      loadFirstViewRenderer: async () => {
        loads += 1;
        return (snapshot) => `<p>${snapshot.app.version}</p>`;
      },
    });
    try {
      expect(loads).toBe(0);
      const cookie = `${sessionCookieName(server.port)}=${sessionCookieValue(TOKEN, server.port)}`;
      // An asset does not need it either.
      await httpRequest(server.port, '/assets/index-AbCd1234.js', { headers: { cookie } });
      expect(loads).toBe(0);
      for (let i = 0; i < 2; i++) {
        const page = await httpRequest(server.port, '/', { headers: { cookie } });
        expect(page.body).toContain('<div id="root"><p>0.1.0</p></div>');
      }
      expect(loads).toBe(1);
    } finally {
      await server.close();
    }
  });
});
