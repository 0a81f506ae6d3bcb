/**
 * Hostile input through both ways into the core: the desktop's IPC handlers (with the fake
 * `electron` module) and web mode's WebSocket (a real server and client). The real core runs
 * against the simulator, with `lms` found and LM Studio online, so a name that slipped through
 * would really reach `lms get` or LM Studio's load API.
 *
 * Every case must come back as a clear refusal (`invalid-input` with a short message), nothing
 * may crash, no `lms` may be started for a name, no POST may reach LM Studio, and nothing may run
 * through a shell. A valid download at the end proves the spies would have seen one.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { createTrayCore } from '../../../electron/core/app';
import type { TrayCore } from '../../../electron/core/interfaces';
import { nodeFileSystem, spawnWithoutShell, systemClock } from '../../../electron/core/node-ports';
import type { Logger } from '../../../electron/core/ports';
import { type IpcMainLike, setupIpc } from '../../../electron/main/ipc';
import { COMMAND_NAMES, type CommandName, isCommandName, type Result } from '../../../electron/shared/contract';
import { CLOSE_CODES, MAX_CLIENT_MESSAGE_BYTES } from '../../../electron/shared/web-protocol';
import { startWebServer, type WebServer } from '../../../electron/web/server';
import { invokeOver, openSocket } from '../../electron/web/helpers';
import { ipcMain, resetElectron } from '../../mocks/electron';
import { MARKER_VARIABLE, newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import {
  HOSTILE_NAMES,
  hostileName,
  mutatedName,
  NAME_COMMANDS,
  payloadFields,
  refusedCommand,
} from './hostile-values';

/** Seeded, so a failure replays; `LMSTRAY_FUZZ_SEED` tries another stretch of the space. */
const SEED = Number(process.env.LMSTRAY_FUZZ_SEED ?? 8_004);
const RANDOM_COMMANDS = scaled(4_000, 40_000);
const MUTATED_NAMES = scaled(300, 3_000);
const UNKNOWN_NAMES = scaled(300, 3_000);
const TOKEN = 'robustness-input-token-0123456789abcdef';
/** Generous for a loaded machine: alone, each part takes a few seconds (tests never assert durations). */
const PART_TIMEOUT_MS = scaled(180_000, 30 * 60_000);

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Spawned {
  command: string;
  args: readonly string[];
  shell: SpawnOptions['shell'];
}

let sim: Simulator;
let core: TrayCore;
let server: WebServer;
let socket: WebSocket;
let configDir: string;
const marker = newMarker();
const spawned: Spawned[] = [];
let disposeIpc: () => void;
const counted = { cases: 0, crashes: 0 };

/** The trusted popup's event: these tests are about payloads, not senders (ipc.test.ts covers those). */
const POPUP_EVENT = {} as never;

const entryPoints: Record<'IPC' | 'WebSocket', (name: CommandName, payload: unknown) => Promise<Result<unknown>>> = {
  IPC: async (name, payload) => (await ipcMain.invoke(name, POPUP_EVENT, payload)) as Result<unknown>,
  WebSocket: sendOverWebSocket,
};

async function connect(): Promise<void> {
  const attempt = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${TOKEN}`, {
    origin: `http://127.0.0.1:${server.port}`,
  });
  if (!('ws' in attempt)) throw new Error(`WebSocket refused: ${attempt.status} ${attempt.body}`);
  socket = attempt.ws;
}

/**
 * One command over the page's socket. A message past the server's size limit is refused by
 * closing that socket with 1009 (what a browser page sees), so that counts as the refusal and
 * the next case gets a fresh socket.
 */
async function sendOverWebSocket(name: CommandName, payload: unknown): Promise<Result<unknown>> {
  const bytes = Buffer.byteLength(JSON.stringify({ type: 'invoke', id: Number.MAX_SAFE_INTEGER, name, payload }));
  if (bytes <= MAX_CLIENT_MESSAGE_BYTES) return invokeOver(socket, name, payload);
  const code = await invokeOver(socket, name, payload).then(
    () => null,
    (error: { code?: number }) => error.code ?? null,
  );
  await connect();
  return code === CLOSE_CODES.messageTooBig
    ? { ok: false, error: { code: 'invalid-input', message: `Closed with ${code}: the message is too big.` } }
    : { ok: false, error: { code: 'internal', message: `expected a 1009 close for ${bytes} bytes, got ${code}` } };
}

beforeAll(async () => {
  sim = await startSimulator({ loaded: ['qwen/qwen3-4b'] });
  configDir = await mkdtemp(path.join(os.tmpdir(), 'robustness-input-'));
  core = createTrayCore({
    clock: systemClock,
    // The spawn port, spied: every child the core starts is recorded, with its options.
    spawn: (command, args, options): ChildProcess => {
      spawned.push({ command, args, shell: options.shell });
      return spawnWithoutShell(command, args, options);
    },
    fs: nodeFileSystem,
    notifier: { show() {} },
    logger: silent,
    environment: {
      platform: process.platform,
      homedir: sim.homeDir,
      env: { PATH: process.env.PATH, [MARKER_VARIABLE]: marker },
    },
    configDir,
    overrides: { pollIntervalMs: 60_000 },
    transport: 'web',
    appVersion: '0.0.0-test',
    which: async () => null,
  });
  await core.start();
  expect(core.snapshot().status.state).toBe('online');
  expect(core.snapshot().status.lmsPath).not.toBeNull();

  resetElectron();
  disposeIpc = setupIpc({
    ipcMain: ipcMain as unknown as IpcMainLike,
    core,
    isTrustedSender: () => true,
    onPageReady() {},
    onDismiss() {},
    // Only refused payloads reach these here: a call would be a side effect the suite catches.
    saveDiagnostics: () => Promise.reject(new Error('saveDiagnostics ran for a refused payload')),
    openLogFolder: () => Promise.reject(new Error('openLogFolder ran for a refused payload')),
  });
  server = await startWebServer({
    core,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    staticDir: configDir,
    logger: silent,
    // This suite is about what a payload may hold, not how fast pages send (the websocket suite
    // floods): thousands of cases over one socket would otherwise meet the per-page rate limit.
    rateLimits: { messagesPerSecond: 1e9, messageBurst: 1e9, bytesPerSecond: 1e12, byteBurst: 1e12 },
  });
  await connect();
});

afterAll(async () => {
  socket?.terminate();
  disposeIpc?.();
  await server?.close();
  await core?.shutdown({ cancelDownloads: true });
  await sim?.close();
  await rm(configDir, { recursive: true, force: true });
});

/** What the spies saw that a refused command must never cause. */
function sideEffects() {
  return {
    lmsWithName: spawned.filter((s) => ['get', 'load', 'unload'].includes(s.args[0] ?? '')),
    notLms: spawned.filter((s) => s.command !== core.snapshot().status.lmsPath || s.shell),
    lmsInvocations: sim.state.lmsInvocations().filter((argv) => ['get', 'load', 'unload'].includes(argv[0] ?? '')),
    posts: sim.state.requests().filter((request) => request.method !== 'GET'),
    // A kept model is saved in settings.json and loaded by the keeper later: a name must not get that far.
    kept: core.snapshot().kept,
    keptInSettings: core.snapshot().settings.keepLoaded,
  };
}
const NO_SIDE_EFFECTS = { lmsWithName: [], notLms: [], lmsInvocations: [], posts: [], kept: [], keptInSettings: [] };

/** `invalid-input` with a message a person can read: short, plain, never the raw input echoed back. */
function expectClearRefusal(result: Result<unknown>, what: string): void {
  if (result.ok || result.error.code !== 'invalid-input') {
    counted.crashes += 1;
    expect.fail(`${what} was not refused: ${JSON.stringify(result).slice(0, 300)}`);
  }
  const { message } = result.error;
  expect(message, what).toMatch(/^[A-Z"a-z]/);
  expect(message.length, what).toBeLessThan(1200);
  expect(message, what).not.toMatch(/undefined|\[object Object\]|at .*\.ts:\d+/);
}

describe('the generator', () => {
  it('reads each payload’s fields from the contract’s schemas', () => {
    expect(payloadFields('downloads:start')).toEqual(['model', 'loadWhenDone']);
    expect(payloadFields('models:keep')).toEqual(['modelKey', 'keep', 'options']);
    expect(payloadFields('models:estimate')).toEqual(['modelKey', 'options']);
    expect(payloadFields('downloads:disk-space')).toEqual([]);
    expect(payloadFields('models:load')).toEqual(['modelKey', 'options']);
    expect(payloadFields('settings:update')).toContain('pollIntervalMs');
    expect(payloadFields('server:start')).toEqual([]);
  });
});

describe.each(Object.keys(entryPoints) as Array<keyof typeof entryPoints>)('hostile input through %s', (entry) => {
  const send = entryPoints[entry];

  it(
    'refuses every command of the contract given random and wrong-typed payloads',
    async () => {
      let cases = 0;
      const seen = new Set<CommandName>();
      await fc.assert(
        fc.asyncProperty(refusedCommand, async ({ name, payload }) => {
          cases += 1;
          seen.add(name);
          expectClearRefusal(await send(name, payload), `${name} ${JSON.stringify(payload)?.slice(0, 200)}`);
        }),
        { seed: SEED, numRuns: RANDOM_COMMANDS, endOnFailure: true },
      );
      // Every command of the registry took part, today's and any added later.
      expect([...seen].sort()).toEqual([...COMMAND_NAMES].sort());
      counted.cases += cases;
      expect(sideEffects()).toEqual(NO_SIDE_EFFECTS);
    },
    PART_TIMEOUT_MS,
  );

  it(
    'refuses hostile names for download, load and unload, each with its reason',
    async () => {
      let cases = 0;
      for (const { name, payload } of NAME_COMMANDS) {
        for (const value of HOSTILE_NAMES) {
          cases += 1;
          expectClearRefusal(await send(name, payload(value)), `${name} ${JSON.stringify(value).slice(0, 80)}`);
        }
      }
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...NAME_COMMANDS), mutatedName, async ({ name, payload }, value) => {
          cases += 1;
          expectClearRefusal(await send(name, payload(value)), `${name} ${JSON.stringify(value)}`);
        }),
        { seed: SEED, numRuns: MUTATED_NAMES, endOnFailure: true },
      );
      counted.cases += cases;
      expect(sideEffects()).toEqual(NO_SIDE_EFFECTS);
    },
    PART_TIMEOUT_MS,
  );
});

describe('hostile command names through the WebSocket', () => {
  // Over IPC a name outside the contract has no channel at all (ipc.test.ts checks the list).
  it(
    'answers a name outside the contract with a refusal naming it, and keeps the socket',
    async () => {
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(hostileName, fc.constantFrom('__proto__', 'constructor', 'toString', 'app:get-snapshot ')),
          async (name) => {
            fc.pre(!isCommandName(name) && name.length <= 100);
            cases += 1;
            expectClearRefusal(await invokeOver(socket, name, undefined), `command ${JSON.stringify(name)}`);
          },
        ),
        { seed: SEED, numRuns: UNKNOWN_NAMES, endOnFailure: true },
      );
      counted.cases += cases;
      expect(sideEffects()).toEqual(NO_SIDE_EFFECTS);
    },
    PART_TIMEOUT_MS,
  );
});

describe('after the hostile input', () => {
  it('still answers, and a real name does reach lms get (the spies can see one)', async () => {
    for (const send of Object.values(entryPoints)) {
      expect(await send('app:get-snapshot', undefined)).toMatchObject({ ok: true });
    }
    expect(await entryPoints.WebSocket('downloads:start', { model: 'qwen/qwen3-8b' })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(sideEffects().lmsWithName.map((s) => s.args[0])).toContain('get'), {
      timeout: 10_000,
      interval: 25,
    });
    expect(sideEffects().notLms).toEqual([]);
    // And a real key does reach `lms load --estimate-only` and the kept list.
    expect(
      await entryPoints.IPC('models:estimate', { modelKey: 'qwen/qwen3-4b', options: { contextLength: 4096 } }),
    ).toMatchObject({ ok: true });
    expect(sideEffects().lmsWithName.some((s) => s.args.includes('--estimate-only'))).toBe(true);
    expect(await entryPoints.IPC('models:keep', { modelKey: 'qwen/qwen3-4b', keep: true })).toMatchObject({ ok: true });
    expect(sideEffects().keptInSettings.map((kept) => kept.modelKey)).toEqual(['qwen/qwen3-4b']);
    expect(sideEffects().notLms).toEqual([]);

    await core.shutdown({ cancelDownloads: true });
    await vi.waitFor(() => expect(processesWithMarker(marker)).toEqual([]), { timeout: 10_000, interval: 50 });

    expect(counted.crashes).toBe(0);
    recordTally({ family: 'hostile input', cases: counted.cases, crashes: 0, hangs: 0, processesLeft: 0 });
  });
});
