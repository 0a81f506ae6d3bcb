/**
 * The API token through the real core, against the LM Studio simulator and a server that quotes
 * the token back: whatever happens (accepted, refused, failures, a server that stops), the token
 * is in no log line (debug included), no event the page gets, no command answer, no notification,
 * and a token from `LM_API_TOKEN` is never written to settings.json. A token typed in the desktop
 * app is stored encrypted. Issue 9's parts repeat LM Studio's words too (a kept model's failed
 * load, a download's failure and its retries) and keep files of their own (downloads.json,
 * keep-ready.json): a server that quotes the token in a guardrail refusal and in a download's
 * failure drives the keeper and the supervisor, and the token is in none of them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { guardrailErrorBody } from '../../../e2e/simulator/http-server';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { createTrayCore } from '../../../electron/core/app';
import type { TrayCore } from '../../../electron/core/interfaces';
import { createConsoleLogger, nodeFileSystem, spawnWithoutShell, systemClock } from '../../../electron/core/node-ports';
import type { SecretCodec } from '../../../electron/core/ports';
import type { CommandName, DownloadState, KeptModelState, ServerState } from '../../../electron/shared/contract';
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
    await run.invoke('downloads:start', { model: 'qwen/qwen3-8b', loadWhenDone: true });
    // Issue 9's commands: an estimate (lms), the disk, a kept model (keep-ready.json beside settings.json).
    await run.invoke('models:estimate', { modelKey: 'qwen/qwen3-4b', options: { contextLength: 8192 } });
    await run.invoke('downloads:disk-space');
    await run.invoke('models:keep', { modelKey: 'qwen/qwen3-4b', keep: true, options: { contextLength: 8192 } });
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

/**
 * The simulator behind a proxy that quotes the token it was sent in a guardrail refusal of every
 * load and in the failure of every download start: the keeper's load and the supervisor's
 * download fail with the token in LM Studio's words (a 404 for `qwen/quoted-missing`, a dropped
 * connection otherwise). Everything else is the simulator's own answer.
 */
async function quotingProxy(sim: Simulator): Promise<string> {
  const target = new URL(sim.baseUrl);
  const server: Server = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method === 'POST' && req.url === '/api/v1/models/load') {
        return reply(
          500,
          guardrailErrorBody(
            `Error loading model. Model loading was stopped due to insufficient system resources. Under the current settings, this model requires approximately 9.80 GB of memory (request signed with ${token}).`,
          ),
        );
      }
      if (req.method === 'POST' && req.url === '/api/v1/models/download') {
        return body.includes('quoted-missing')
          ? reply(404, { error: { code: 'model_not_found', message: `Model not found for key ${token}.` } })
          : reply(500, { error: { message: `fetch failed: ECONNRESET while key ${token} was downloading` } });
      }
      const forward = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
}

describe("issue 9's parts over a server that quotes the token back", () => {
  it('the keeper, the supervisor, their rows, states, notifications and files hold no token', async () => {
    const sim = await simulator({ token: CANARY_API_TOKEN, loaded: [] });
    const baseUrl = await quotingProxy(sim);
    // No lms: loads and downloads go through LM Studio's REST API, where the proxy quotes the token.
    const home = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-secrets-home-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const run = await startCore(baseUrl, null, { home });
    await run.stateIs('online');
    await run.invoke('models:refresh');

    // The keeper loads the kept model at once, is refused, backs off and notifies once.
    await run.invoke('models:keep', { modelKey: 'qwen/qwen3-4b', keep: true, options: { contextLength: 8192 } });
    const kept = () => run.core.snapshot().kept.find((state: KeptModelState) => state.modelKey === 'qwen/qwen3-4b');
    await vi.waitFor(() => expect(kept()?.state).toBe('backing-off'), WAIT);
    expect(kept()?.message).toMatch(/guardrails/);

    // A download whose start fails with a dropped connection is retried; one not found is final.
    const retried = (await run.invoke('downloads:start', { model: 'qwen/qwen3-8b', loadWhenDone: true })) as {
      value: DownloadState;
    };
    const missing = (await run.invoke('downloads:start', { model: 'qwen/quoted-missing' })) as { value: DownloadState };
    const row = (id: string) => run.core.snapshot().downloads.find((download) => download.id === id);
    await vi.waitFor(() => expect(row(retried.value.id)?.status).toBe('retrying'), WAIT);
    await vi.waitFor(() => expect(row(missing.value.id)?.status).toBe('failed'), WAIT);
    // LM Studio's words reach the row, the token taken out of them.
    expect(row(retried.value.id)?.message).toContain('[redacted]');
    expect(row(missing.value.id)?.failureKind).toBe('not-found');
    await vi.waitFor(
      () => expect(run.said.filter((line) => line.startsWith('notification:')).length).toBeGreaterThanOrEqual(2),
      WAIT,
    );
    await run.invoke('app:get-snapshot');
    // Quitting leaves the retried download in downloads.json, to be picked up at the next start.
    await run.core.shutdown();
    const files = readdirSync(run.configDir);
    expect(files).toEqual(expect.arrayContaining(['downloads.json', 'keep-ready.json', 'settings.json']));
    expect(readFileSync(path.join(run.configDir, 'downloads.json'), 'utf8')).toContain('qwen/qwen3-8b');

    const notifications = run.said.filter((line) => line.startsWith('notification:'));
    expect(notifications.some((line) => line.includes('Could not load qwen/qwen3-4b'))).toBe(true);
    expect(notifications.some((line) => line.includes('qwen/quoted-missing'))).toBe(true);
    // The rows' messages and warnings, the kept states, the notifications: all in what the core said.
    expect(run.said.some((line) => line.includes('"status":"retrying"'))).toBe(true);
    expect(run.said.some((line) => line.includes('"state":"backing-off"'))).toBe(true);
    cases += expectNoLeaks(run);
  }, 60_000);
});

describe('tally', () => {
  it('records the secrets family', () => {
    expect(cases).toBeGreaterThan(0);
    recordTally({ family: 'secrets', cases, leakedSecrets: 0 });
  });
});
