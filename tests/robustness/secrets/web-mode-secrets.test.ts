/**
 * The real `npm run web` process, logging at debug, given both secrets (the web token in
 * LMSTUDIO_TRAY_TOKEN, the API token in LM_API_TOKEN) and used well and badly: the web token is on
 * stdout once, in the Open line, and nowhere else; the API token is nowhere; no file in its
 * settings folder holds either.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { closed, collectMessages, httpRequest, openSocket } from '../../electron/web/helpers';
import { spawnLauncher } from '../../electron/web/launcher-process';
import { recordTally } from '../tally';
import { CANARIES, CANARY_API_TOKEN, CANARY_WEB_TOKEN } from './canaries';
import { filesUnder, findLeaksInFiles, findLeaksInOutput } from './scan';

const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Generous: the first run may build the popup with vite. */
const START_TIMEOUT_MS = 120_000;

let sandbox: string;
let sim: Simulator;
const started: ChildProcess[] = [];

beforeAll(async () => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-web-secrets-'));
  sim = await startSimulator({ token: CANARY_API_TOKEN, loaded: ['qwen/qwen3-4b'] });
});
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
});
afterAll(async () => {
  await sim.close();
  rmSync(sandbox, { recursive: true, force: true });
});

/** Starts web mode with the canary web token; `extra` adds flags and environment. */
function startWebMode(configDir: string, extra: { args?: string[]; env?: Record<string, string> } = {}) {
  return spawnLauncher({
    launcher: 'electron/web/launch.mjs',
    args: [
      '--port',
      '0',
      '--config-dir',
      configDir,
      '--base-url',
      sim.baseUrl,
      '--lms',
      sim.lmsPath,
      ...(extra.args ?? []),
    ],
    cwd: PROJECT_ROOT,
    env: {
      HOME: sim.homeDir,
      LMSTUDIO_TRAY_TOKEN: CANARY_WEB_TOKEN,
      LM_API_TOKEN: CANARY_API_TOKEN,
      LMSTUDIO_TRAY_LOG: 'debug',
      ...extra.env,
    },
    started,
  });
}

async function openLinePort(run: ReturnType<typeof spawnLauncher>): Promise<number> {
  let port = 0;
  await vi.waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`web mode exited early:\n${run.stderr()}`);
      const match = /^Open http:\/\/127\.0\.0\.1:(\d+)\/\?token=/m.exec(run.stdout());
      expect(match).not.toBeNull();
      port = Number(match?.[1]);
    },
    { timeout: START_TIMEOUT_MS, interval: 100 },
  );
  return port;
}

describe('web mode with both secrets', () => {
  it(
    'prints the web token only in the Open line and the API token nowhere, whatever the pages do',
    async () => {
      const configDir = path.join(sandbox, 'config');
      const run = startWebMode(configDir, { args: ['--no-open'] });
      const port = await openLinePort(run);
      const origin = `http://127.0.0.1:${port}`;

      // Wrong tokens and cookies, on pages and on the socket: refused, and logged as refused.
      expect((await httpRequest(port, '/?token=wrong')).status).toBe(403);
      expect((await httpRequest(port, '/', { headers: { host: 'evil.example' } })).status).toBe(403);
      const refused = await openSocket(`ws://127.0.0.1:${port}/ws?token=wrong`, { origin });
      expect(refused).toMatchObject({ status: 403 });
      const foreign = await openSocket(`ws://127.0.0.1:${port}/ws?token=${CANARY_WEB_TOKEN}`, {
        origin: 'http://evil.example',
      });
      expect(foreign).toMatchObject({ status: 403 });

      // The right token: signed in, a page that works, settings saved, a hostile frame.
      const login = await httpRequest(port, `/?token=${CANARY_WEB_TOKEN}`);
      expect(login.status).toBe(303);
      const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
      const page = await httpRequest(port, '/', { headers: { cookie } });
      expect(page.status).toBe(200);
      for (const text of [page.body, JSON.stringify(login.headers), JSON.stringify(page.headers)]) {
        expect(findLeaksInOutput(text, CANARIES, 'a page')).toEqual([]);
      }
      const attempt = await openSocket(`ws://127.0.0.1:${port}/ws`, { origin, headers: { cookie } });
      if (!('ws' in attempt)) throw new Error(`socket refused: ${attempt.status}`);
      const ws: WebSocket = attempt.ws;
      const messages = collectMessages(ws);
      ws.send(JSON.stringify({ type: 'invoke', id: 1, name: 'app:get-snapshot' }));
      ws.send(JSON.stringify({ type: 'invoke', id: 2, name: 'settings:update', payload: { pollIntervalMs: 2000 } }));
      ws.send(JSON.stringify({ type: 'invoke', id: 3, name: 'models:load', payload: { modelKey: 'no/such-model' } }));
      await vi.waitFor(
        () => expect(messages.filter((m) => (m as { type: string }).type === 'result')).toHaveLength(3),
        {
          timeout: 30_000,
        },
      );
      expect(messages).toContainEqual(
        expect.objectContaining({ id: 1, result: expect.objectContaining({ ok: true }) }),
      );
      // LM Studio now wants another token: the page hears about it.
      sim.configure({ token: 'not-the-one-web-mode-has-0123456789', greetingNeedsToken: true });
      await vi.waitFor(() => expect(JSON.stringify(messages)).toContain('"state":"unauthorized"'), { timeout: 30_000 });
      const closing = closed(ws);
      ws.send('not json');
      expect((await closing).code).toBe(1007);
      sim.configure({ token: CANARY_API_TOKEN, greetingNeedsToken: false });

      process.kill(run.child.pid as number, 'SIGINT');
      expect((await run.exited).code, run.stderr()).toBe(0);

      const stdoutLines = run.stdout().split('\n').filter(Boolean);
      expect(stdoutLines).toEqual([`Open ${origin}/?token=${encodeURIComponent(CANARY_WEB_TOKEN)}`]);
      // The debug log said something about every step above, and none of it holds a secret.
      expect(run.stderr()).toContain('refused');
      const files = filesUnder([configDir]);
      expect(files.map((file) => path.basename(file))).toContain('settings.json');
      const leaks = [
        ...findLeaksInOutput(run.stdout(), CANARIES, 'stdout'),
        ...findLeaksInOutput(run.stderr(), CANARIES, 'stderr'),
        ...findLeaksInOutput(JSON.stringify(messages), CANARIES, 'the page'),
        ...findLeaksInFiles(files, CANARIES),
      ];
      expect(leaks).toEqual([]);
      recordTally({ family: 'secrets', cases: CANARIES.length * (3 + files.length), leakedSecrets: 0 });
    },
    START_TIMEOUT_MS + 60_000,
  );

  it(
    'hands the browser opener a one-time link, never the token: command lines are visible to every user',
    async () => {
      // A stand-in xdg-open that writes down the command line it was given.
      const bin = path.join(sandbox, 'bin');
      const argvFile = path.join(sandbox, 'xdg-open-argv');
      mkdirSync(bin, { recursive: true });
      writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`, { mode: 0o755 });
      const run = startWebMode(path.join(sandbox, 'config-open'), {
        env: { DISPLAY: ':0', PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
      });
      const port = await openLinePort(run);
      await vi.waitFor(() => expect(existsSync(argvFile)).toBe(true), { timeout: 15_000 });
      const argv = readFileSync(argvFile, 'utf8').trim();
      expect(argv).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?signin=[A-Za-z0-9_-]+$`));
      expect(findLeaksInOutput(argv, CANARIES, 'the opener command line')).toEqual([]);

      const link = new URL(argv);
      const first = await httpRequest(port, `${link.pathname}${link.search}`);
      expect(first.status).toBe(303);
      expect(first.headers['set-cookie']?.[0]).toMatch(new RegExp(`^lmstudio_tray_${port}=`));
      expect((await httpRequest(port, `${link.pathname}${link.search}`)).status).toBe(403);

      process.kill(run.child.pid as number, 'SIGINT');
      expect((await run.exited).code, run.stderr()).toBe(0);
      expect(findLeaksInOutput(run.stderr(), CANARIES, 'stderr')).toEqual([]);
      recordTally({ family: 'secrets', cases: CANARIES.length * 2, leakedSecrets: 0 });
    },
    START_TIMEOUT_MS + 30_000,
  );
});
