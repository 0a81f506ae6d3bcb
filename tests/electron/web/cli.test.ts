/**
 * The real `npm run web` command line, as a child process (the launcher and web mode's bundle):
 * the real core, the real popup build, real HTTP and WebSocket. Slow-ish (the first run may build the popup), so the heavy checks
 * share two runs: one stopped with SIGINT, one with SIGTERM.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator } from '../../../e2e/simulator/index';
import type { AppSnapshot, Result } from '../../../electron/shared/contract';
import { CANARY_WEB_TOKEN } from '../../robustness/secrets/canaries';
import { closed, httpRequest, invokeOver, openSocket } from './helpers';
import { type LauncherRun, processGroup, START_TIMEOUT_MS, spawnLauncher, waitForOpenLine } from './launcher-process';

const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let sandbox: string;
let closedPortUrl: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-cli-'));
  // A port nothing listens on: LM Studio is "not running" for this run.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as import('node:net').AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  closedPortUrl = `http://127.0.0.1:${port}`;
});
afterEach(() => {
  // A failed test must not leave a server running.
  for (const child of started.splice(0)) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
});
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** Starts the CLI in its own process group, so everything it leaves behind can be found after it exits. */
function startCli(args: string[], env: Record<string, string> = {}): LauncherRun {
  return spawnLauncher({
    launcher: 'electron/web/launch.mjs',
    args,
    cwd: PROJECT_ROOT,
    env: { HOME: sandbox, ...env },
    started,
  });
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((child) => child > 0);
  } catch {
    return [];
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signs in like a browser and checks the page, an asset and a command over the WebSocket. */
async function usePage(port: number, token: string): Promise<void> {
  const login = await httpRequest(port, `/?token=${token}`);
  expect(login.status).toBe(303);
  expect(login.headers.location).toBe('/');
  const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  expect(cookie).toMatch(new RegExp(`^lmstudio_tray_${port}=`));

  const page = await httpRequest(port, '/', { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['referrer-policy']).toBe('no-referrer');
  expect(page.body).toContain('<div id="root">');
  const script = /<script[^>]+src="\.?\/?([^"]+\.js)"/.exec(page.body)?.[1];
  expect(script).toBeDefined();
  const asset = await httpRequest(port, `/${script}`, { headers: { cookie } });
  expect(asset.status).toBe(200);
  expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect((await httpRequest(port, '/')).status).toBe(401);

  const attempt = await openSocket(`ws://127.0.0.1:${port}/ws`, {
    origin: `http://127.0.0.1:${port}`,
    headers: { cookie },
  });
  if (!('ws' in attempt)) throw new Error(`WebSocket refused: ${attempt.status} ${attempt.body}`);
  const ws = attempt.ws;
  const result = (await invokeOver(ws, 'app:get-snapshot')) as Result<AppSnapshot>;
  expect(result.ok).toBe(true);
  if (result.ok) {
    expect(result.value.app.transport).toBe('web');
    // The --base-url flag is in force for this run.
    expect(result.value.status.baseUrl).toBe(closedPortUrl);
  }
  const wsClosed = closed(ws);
  ws.close();
  await wsClosed;
}

describe('npm run web (the real CLI)', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'prints the Open line, serves the page with the token, and exits 0 on %s leaving no process behind',
    async (signal) => {
      const configDir = path.join(sandbox, `config-${signal}`);
      const run = startCli(['--no-open', '--port', '0', '--config-dir', configDir, '--base-url', closedPortUrl]);
      const pid = run.child.pid as number;
      const { port, token } = await waitForOpenLine(run);
      await usePage(port, token);

      const children = childrenOf(pid);
      process.kill(pid, signal);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      // Its own log file holds what it logged, up to the stop, and never the token it printed.
      const log = readFileSync(path.join(configDir, 'logs', 'web.log'), 'utf8');
      expect(log).toContain(`${signal}: stopping LM Studio Tray`);
      expect(log).not.toContain(token);
      expect(log).not.toContain(encodeURIComponent(token));
      await vi.waitFor(
        () => {
          expect(processGroup(pid)).toEqual([]);
          expect(children.filter(isRunning)).toEqual([]);
        },
        { timeout: 10_000, interval: 100 },
      );
    },
    START_TIMEOUT_MS + 30_000,
  );

  it(
    'ends a running `lms get` child on SIGINT, and still exits 0',
    async () => {
      // A download slow enough to be running when the signal comes.
      const sim = await startSimulator({ downloadBytesPerSecond: 1_000_000 });
      try {
        const run = startCli(
          [
            '--no-open',
            '--config-dir',
            path.join(sandbox, 'config-lms'),
            '--base-url',
            sim.baseUrl,
            '--lms',
            sim.lmsPath,
          ],
          { HOME: sim.homeDir },
        );
        const pid = run.child.pid as number;
        const { port, token } = await waitForOpenLine(run);
        const attempt = await openSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, {
          origin: `http://127.0.0.1:${port}`,
        });
        if (!('ws' in attempt)) throw new Error(`WebSocket refused: ${attempt.status}`);
        expect(await invokeOver(attempt.ws, 'downloads:start', { model: 'qwen/qwen3-8b' })).toMatchObject({ ok: true });
        let children: number[] = [];
        await vi.waitFor(
          () => {
            children = childrenOf(pid);
            expect(children.length).toBeGreaterThan(0);
          },
          { timeout: 15_000, interval: 50 },
        );
        attempt.ws.terminate();

        process.kill(pid, 'SIGINT');
        expect(await run.exited, run.stderr()).toEqual({ code: 0, signal: null });
        await vi.waitFor(
          () => {
            expect(processGroup(pid)).toEqual([]);
            expect(children.filter(isRunning)).toEqual([]);
          },
          { timeout: 10_000, interval: 100 },
        );
      } finally {
        await sim.close();
      }
    },
    START_TIMEOUT_MS + 30_000,
  );

  it(
    'uses the token from LMSTUDIO_TRAY_TOKEN',
    async () => {
      // A canary: the Open line prints it, so the secret scan looks for it everywhere else, and a
      // literal here would be found in the test runner's cache of this compiled file.
      const token = CANARY_WEB_TOKEN;
      const run = startCli(
        ['--no-open', '--config-dir', path.join(sandbox, 'config-env'), '--base-url', closedPortUrl],
        {
          LMSTUDIO_TRAY_TOKEN: token,
        },
      );
      const open = await waitForOpenLine(run);
      expect(open.token).toBe(token);
      process.kill(run.child.pid as number, 'SIGINT');
      expect((await run.exited).code).toBe(0);
    },
    START_TIMEOUT_MS + 30_000,
  );

  it('exits 2 with a clear message for an unknown flag or a bad value, without starting anything', async () => {
    const unknown = startCli(['--no-such-flag']);
    expect((await unknown.exited).code).toBe(2);
    expect(unknown.stderr()).toContain('Unknown option --no-such-flag');
    const badPort = startCli(['--port', 'http']);
    expect((await badPort.exited).code).toBe(2);
    expect(badPort.stderr()).toContain('--port must be a number');
    expect(badPort.stdout()).toBe('');
  });

  it('prints the usage for --help and exits 0', async () => {
    const help = startCli(['--help']);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout()).toContain('Usage: npm run web --');
  });
});
