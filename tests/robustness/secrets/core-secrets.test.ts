/**
 * The API token through the real core, against the LM Studio simulator and a server that quotes
 * the token back: whatever happens (accepted, refused, failures, a server that stops), the token
 * is in no log line (debug included), no event the page gets, no command answer, no notification,
 * and a token from `LM_API_TOKEN` is never written to settings.json. A token typed in the desktop
 * app is stored encrypted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { createTrayCore } from '../../../electron/core/app';
import type { TrayCore } from '../../../electron/core/interfaces';
import { createConsoleLogger, nodeFileSystem, spawnWithoutShell, systemClock } from '../../../electron/core/node-ports';
import type { SecretCodec } from '../../../electron/core/ports';
import type { CommandName, ServerState } from '../../../electron/shared/contract';
import { recordTally } from '../tally';
import { CANARIES, CANARY_API_TOKEN, CANARY_API_TOKEN_TYPED } from './canaries';
import { findLeaksInFiles, findLeaksInOutput } from './scan';

const WAIT = { timeout: 15_000, interval: 25 };

interface Run {
  core: TrayCore;
  configDir: string;
  /** Everything the core said: log lines, events, answers, notifications. */
  said: string[];
  invoke(name: CommandName, payload?: unknown): Promise<unknown>;
  stateIs(state: ServerState): Promise<void>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A started core with the API token in `LM_API_TOKEN`, everything it says collected. */
async function startCore(
  baseUrl: string,
  lmsPath: string | null,
  options: { home: string; transport?: 'web' | 'electron'; secretCodec?: SecretCodec },
): Promise<Run> {
  const configDir = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-secrets-'));
  cleanups.push(() => rmSync(configDir, { recursive: true, force: true }));
  const said: string[] = [];
  const core = createTrayCore({
    clock: systemClock,
    spawn: spawnWithoutShell,
    fs: nodeFileSystem,
    logger: createConsoleLogger('debug', (line) => said.push(`log: ${line}`)),
    environment: {
      platform: process.platform,
      homedir: options.home,
      env: { PATH: process.env.PATH, LM_API_TOKEN: CANARY_API_TOKEN },
    },
    which: async () => null,
    notifier: { show: (notification) => said.push(`notification: ${JSON.stringify(notification)}`) },
    configDir,
    overrides: { baseUrl, lmsPath, pollIntervalMs: 1000 },
    secretCodec: options.secretCodec,
    transport: options.transport ?? 'web',
    appVersion: '0.0.0-test',
  });
  core.onEvent((event) => said.push(`event: ${JSON.stringify(event)}`));
  cleanups.push(() => core.shutdown());
  await core.start();
  return {
    core,
    configDir,
    said,
    async invoke(name, payload) {
      const result = await core.invoke(name, payload);
      said.push(`answer to ${name}: ${JSON.stringify(result)}`);
      return result;
    },
    stateIs: (state) => vi.waitFor(() => expect(core.snapshot().status.state).toBe(state), WAIT),
  };
}

async function simulator(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const sim = await startSimulator(options);
  cleanups.push(() => sim.close());
  return sim;
}

/**
 * Asserts nothing the core said, and no file in its settings folder, holds a canary; returns the
 * cases checked (secrets × places). A token the user typed may be in settings.json's apiToken
 * field, where web mode keeps it (the scan knows that field; see scan.ts).
 */
function expectNoLeaks(run: Run): number {
  const files = readdirSync(run.configDir).map((name) => path.join(run.configDir, name));
  const leaks = [...findLeaksInOutput(run.said.join('\n'), CANARIES, 'the core'), ...findLeaksInFiles(files, CANARIES)];
  expect(leaks).toEqual([]);
  return CANARIES.length * (files.length + 1);
}

let cases = 0;

describe('the API token through the core', () => {
  it('stays out of logs, events, answers, notifications and settings.json, accepted or refused', async () => {
    const sim = await simulator({ token: CANARY_API_TOKEN, loaded: ['qwen/qwen3-4b'] });
    const run = await startCore(sim.baseUrl, sim.lmsPath, { home: sim.homeDir });
    await run.stateIs('online');
    await run.invoke('models:refresh');
    sim.configure({ failNextLoad: '*' });
    await run.invoke('models:load', { modelKey: 'qwen/qwen3-4b' });
    await run.invoke('downloads:start', { model: 'qwen/qwen3-8b' });
    await run.invoke('app:get-snapshot');

    // LM Studio now wants another token: refused, with a notification.
    sim.configure({ token: 'another-token-the-user-has-not-given', greetingNeedsToken: true });
    await run.stateIs('unauthorized');
    await run.invoke('models:load', { modelKey: 'qwen/qwen3-4b' });
    // The user types a token that is refused as well.
    await run.invoke('settings:update', { apiToken: CANARY_API_TOKEN_TYPED });
    await run.invoke('server:refresh');
    await run.invoke('app:get-snapshot');

    await sim.stopServer();
    await vi.waitFor(() => expect(['offline', 'stopped']).toContain(run.core.snapshot().status.state), WAIT);
    await run.core.shutdown();

    expect(run.said.some((line) => line.startsWith('notification:'))).toBe(true);
    // The typed token is saved as the user asked, in the apiToken field only.
    const saved = readFileSync(path.join(run.configDir, 'settings.json'), 'utf8');
    expect(saved.split(CANARY_API_TOKEN_TYPED)).toHaveLength(2);
    expect(JSON.parse(saved)).toMatchObject({ apiToken: CANARY_API_TOKEN_TYPED });
    cases += expectNoLeaks(run);
  }, 60_000);

  it('is never written to settings.json when it comes from LM_API_TOKEN', async () => {
    const sim = await simulator({ token: CANARY_API_TOKEN });
    const run = await startCore(sim.baseUrl, sim.lmsPath, { home: sim.homeDir });
    await run.stateIs('online');
    await run.invoke('settings:update', { launchAtLogin: false, pollIntervalMs: 2000 });
    expect(readFileSync(path.join(run.configDir, 'settings.json'), 'utf8')).toContain('"pollIntervalMs": 2000');
    cases += expectNoLeaks(run);
  }, 30_000);

  it('is stored encrypted when the desktop app has a working secret store', async () => {
    const sim = await simulator({ token: CANARY_API_TOKEN_TYPED });
    const codec: SecretCodec = {
      available: true,
      encrypt: (plain) => Buffer.from(plain).reverse().toString('base64'),
      decrypt: (stored) => Buffer.from(stored, 'base64').reverse().toString(),
    };
    const run = await startCore(sim.baseUrl, sim.lmsPath, {
      home: sim.homeDir,
      transport: 'electron',
      secretCodec: codec,
    });
    await run.invoke('settings:update', { apiToken: CANARY_API_TOKEN_TYPED });
    await run.stateIs('online');
    const saved = JSON.parse(readFileSync(path.join(run.configDir, 'settings.json'), 'utf8')) as { apiToken: unknown };
    expect(saved.apiToken).toEqual({ encrypted: codec.encrypt(CANARY_API_TOKEN_TYPED) });
    cases += expectNoLeaks(run);
  }, 30_000);
});

/**
 * A server that quotes the `Authorization` header it got in every error, as a careless proxy or
 * a future LM Studio might: the core repeats server messages to the user, never the token in them.
 */
async function quotingServer(): Promise<string> {
  const server: Server = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const body =
      req.url === '/lmstudio-greeting'
        ? { lmstudio: true }
        : { error: { message: `key ${token} is not allowed to ${req.method} ${req.url}` } };
    res.writeHead(req.url === '/lmstudio-greeting' ? 200 : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
}

describe('a server that quotes the token back', () => {
  it('has its messages shown without the token', async () => {
    const baseUrl = await quotingServer();
    const home = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-secrets-home-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const run = await startCore(baseUrl, null, { home });
    await vi.waitFor(() => expect(run.core.snapshot().status.state).not.toBe('checking'), WAIT);
    await run.invoke('models:refresh');
    await run.invoke('models:load', { modelKey: 'qwen/qwen3-4b' });
    await run.invoke('models:unload', { identifier: 'qwen/qwen3-4b' });
    await run.invoke('downloads:start', { model: 'qwen/qwen3-8b' });
    await run.invoke('app:get-snapshot');
    await run.core.shutdown();
    // The server's words still reach the user, with the token taken out.
    expect(run.said.join('\n')).toContain('is not allowed to');
    cases += expectNoLeaks(run);
  }, 30_000);
});

describe('tally', () => {
  it('records the secrets family', () => {
    expect(cases).toBeGreaterThan(0);
    recordTally({ family: 'secrets', cases, leakedSecrets: 0 });
  });
});
