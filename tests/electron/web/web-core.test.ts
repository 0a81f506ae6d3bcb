/**
 * Web mode's core as the CLI starts it: `start({ waitForFirstCheck: false })` returns while the
 * first health check is still out, so the address is printed at once; a snapshot taken then is
 * valid and says `checking` (the page shows "Checking") until the check ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { TrayCore } from '../../../electron/core/interfaces';
import { createNodePorts } from '../../../electron/core/node-ports';
import type { AppEvent } from '../../../electron/shared/contract';
import { createWebCore } from '../../../electron/web/web-core';

let sandbox: string;
let server: Server;
let core: TrayCore | null = null;
/** The greeting requests the server holds, unanswered until the test answers them. */
const held: ServerResponse[] = [];
let requestArrived: () => void = () => {};

beforeEach(async () => {
  // Only the timers are fake: the probe's timeout cannot end the first check before the test says so.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  sandbox = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-web-core-'));
  server = createServer((_req, res) => {
    held.push(res);
    requestArrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterEach(async () => {
  await core?.shutdown();
  core = null;
  for (const res of held.splice(0)) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  vi.useRealTimers();
  rmSync(sandbox, { recursive: true, force: true });
});

it('starts without waiting for the first check: the snapshot says checking until it ends', async () => {
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ports = {
    ...createNodePorts({ logLevel: 'silent' }),
    environment: { platform: process.platform, homedir: sandbox, env: {} },
    which: async () => null,
  };
  core = createWebCore({ baseUrl, lmsPath: null, configDir: sandbox }, ports, '0.0.0-test');
  const events: AppEvent[] = [];
  core.onEvent((event) => events.push(event));
  const greeted = new Promise<void>((resolve) => {
    requestArrived = resolve;
  });

  await core.start({ waitForFirstCheck: false });
  await greeted;
  const during = core.snapshot();
  expect(during.status.state).toBe('checking');
  // Settings are read before start returns: this run's address is in force.
  expect(during.settings.baseUrl).toBe(baseUrl);
  expect(during.app.transport).toBe('web');
  expect(events.filter((event) => event.name === 'server:status-changed')).toEqual([]);

  // The greeting is answered by something that is not LM Studio: the first check ends.
  held.shift()?.writeHead(404, { 'Content-Type': 'text/plain' }).end('nope');
  await vi.waitFor(() => expect(core?.snapshot().status.state).not.toBe('checking'), { timeout: 10_000 });
  const changed = events.filter((event) => event.name === 'server:status-changed');
  expect(changed).toHaveLength(1);
  expect(changed[0]?.payload).toMatchObject({ baseUrl });
});
