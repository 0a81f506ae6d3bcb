import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../../../../electron/core/errors';
import type { LmsGetEvent, ProcessRegistry } from '../../../../../electron/core/interfaces';
import {
  createLmsCli,
  lmsErrorLine,
  lmsErrorMessage,
  loadArguments,
} from '../../../../../electron/core/lmstudio/lms/cli';
import { systemClock } from '../../../../../electron/core/node-ports';
import type { Clock, Logger, SpawnFn } from '../../../../../electron/core/ports';
import { createProcessRegistry } from '../../../../../electron/core/processes';

const FAKE_LMS = fileURLToPath(new URL('./fixtures/fake-lms.mjs', import.meta.url));
const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

let dir: string;
let logFile: string;
let registry: ProcessRegistry;
const spawned: Array<{ command: string; args: readonly string[]; shell: unknown; stdio: unknown }> = [];
const spawnedDetached: unknown[] = [];
const recordingSpawn: SpawnFn = (command, args, options) => {
  spawned.push({ command, args, shell: options.shell, stdio: options.stdio });
  spawnedDetached.push(options.detached);
  return spawn(command, [...args], options);
};

/** A clock running `factor` times faster than real time, so multi-second limits pass in milliseconds. */
function fastClock(factor: number): Clock {
  const origin = Date.now();
  return {
    now: () => origin + (Date.now() - origin) * factor,
    setTimeout: (fn, ms) => setTimeout(fn, ms / factor),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    setInterval: (fn, ms) => setInterval(fn, ms / factor),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  };
}

function cli(mode = '', options: { clock?: Clock; platform?: NodeJS.Platform; timeoutMs?: number } = {}) {
  return createLmsCli({
    path: FAKE_LMS,
    spawn: recordingSpawn,
    registry,
    clock: options.clock ?? systemClock,
    logger,
    platform: options.platform ?? 'linux',
    timeoutMs: options.timeoutMs,
    env: { ...process.env, FAKE_LMS_MODE: mode, FAKE_LMS_LOG: logFile, FORCE_COLOR: '3' },
  });
}

async function invocations(): Promise<Array<{ args: string[]; env: Record<string, string>; appPid?: number }>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function rejection(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lms-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
let run = 0;
beforeEach(() => {
  logFile = path.join(dir, `log-${run++}.jsonl`);
  registry = createProcessRegistry({ clock: systemClock, logger });
  spawned.length = 0;
});
afterEach(async () => {
  expect(registry.running()).toEqual([]);
  await registry.endAll(100);
});

describe('createLmsCli: how lms is run', () => {
  it('spawns with an argument array and piped stdio, never a shell, colours off', async () => {
    await cli().serverStatus();
    expect(spawned).toEqual([
      { command: FAKE_LMS, args: ['server', 'status', '--json'], shell: undefined, stdio: ['pipe', 'pipe', 'pipe'] },
    ]);
    expect((await invocations())[0]?.env).toEqual({ FORCE_COLOR: '0', NO_COLOR: '1' });
  });

  it("runs lms in its own process group, so a terminal's Ctrl+C reaches only the app (not on Windows)", async () => {
    spawnedDetached.length = 0;
    await cli().serverStatus();
    expect(spawnedDetached).toEqual([true]);
  });

  it('registers every child in the process registry while it runs', async () => {
    const registered: string[] = [];
    const watching: ProcessRegistry = {
      track: (label, child) => {
        registered.push(label);
        registry.track(label, child);
      },
      running: () => registry.running(),
      endAll: (grace) => registry.endAll(grace),
    };
    const lms = createLmsCli({
      path: FAKE_LMS,
      spawn: recordingSpawn,
      registry: watching,
      clock: systemClock,
      logger,
      platform: 'linux',
    });
    await lms.ps();
    expect(registered).toEqual(['lms ps --json']);
  });

  it('validates keys before they reach argv, and spawns nothing for a bad one', async () => {
    const lms = cli();
    expect((await rejection(lms.load('--help', {}, () => {}))).code).toBe('invalid-input');
    expect((await rejection(lms.unload('$(reboot)'))).code).toBe('invalid-input');
    expect(() => lms.get('http://evil.example/x', () => {})).toThrow(CoreError);
    expect(spawned).toEqual([]);
  });

  it('reports a missing executable as lms-missing', async () => {
    const lms = createLmsCli({
      path: path.join(dir, 'no-such-lms'),
      spawn: recordingSpawn,
      registry,
      clock: systemClock,
      logger,
      platform: 'linux',
    });
    const error = await rejection(lms.version());
    expect(error.code).toBe('lms-missing');
    expect(error.message).toMatch(/Could not run LM Studio's `lms` at .*no-such-lms \(.*ENOENT/);
  });

  it('kills a hung lms and says which command did not answer', async () => {
    const error = await rejection(cli('hang', { clock: fastClock(100) }).ps());
    expect(error.code).toBe('lms-failed');
    expect(error.message).toBe(
      '`lms ps --json` did not answer within 30 s and was stopped. LM Studio may be busy or stuck: try again, or restart LM Studio.',
    );
  });

  it('uses the short limit for status commands', async () => {
    const error = await rejection(cli('hang', { clock: fastClock(100) }).serverStatus());
    expect(error.message).toMatch(/^`lms server status --json` did not answer within 5 s/);
  });

  it('does not wait for LM Studio, started by lms, to release the pipes it inherited', async () => {
    expect(await cli('wakes-app').ps()).toEqual([]);
    const appPid = (await invocations()).find((entry) => entry.appPid !== undefined)?.appPid;
    expect(appPid).toBeGreaterThan(0);
    process.kill(appPid!, 'SIGKILL');
  });

  it('gives a waking LM Studio extra time', async () => {
    // 2 s of waking at 20x is 40 s: past the 30 s limit, within the 65 s wake allowance.
    expect(await cli('waking-slow', { clock: fastClock(20) }).ps()).toEqual([]);
  });
});

describe('createLmsCli: commands', () => {
  it('reads server status, daemon status and version', async () => {
    const lms = cli();
    expect(await lms.serverStatus()).toEqual({ running: true, port: 1234 });
    expect(await lms.daemonStatus()).toEqual({ running: true, pid: 4242 });
    expect(await lms.version()).toBe('f13588d');
    expect(await cli('old-version').version()).toBe('0.0.47');
    expect(await cli('no-json-flag').version()).toBeNull();
  });

  it("reads LM Studio's version from the plain daemon status, which never wakes it", async () => {
    expect(await cli().lmStudioVersion()).toBe('0.4.2');
    expect(await cli('app-not-running').lmStudioVersion()).toBeNull();
    expect((await invocations()).map((call) => call.args)).toEqual([
      ['daemon', 'status'],
      ['daemon', 'status'],
    ]);
  });

  it('lists models and loaded instances', async () => {
    const lms = cli();
    expect((await lms.ls()).map((model) => model.key)).toEqual(['qwen/qwen3-4b']);
    expect(await lms.ps()).toEqual([]);
    expect((await invocations()).map((call) => call.args)).toEqual([
      ['ls', '--json'],
      ['ps', '--json'],
    ]);
  });

  it('turns unreadable output into lms-failed', async () => {
    const error = await rejection(cli('garbage').ls());
    expect(error.code).toBe('lms-failed');
    expect(error.message).toMatch(/did not print JSON/);
  });

  it("starts the server on a port, and reports lms's error line when it cannot", async () => {
    await cli().serverStart({ port: 4321 });
    expect((await invocations())[0]?.args).toEqual(['server', 'start', '--port', '4321']);
    const error = await rejection(cli('fail').serverStart());
    expect(error.message).toBe('Failed to verify the server is running. Please try to use another port.');
    expect((await rejection(cli().serverStart({ port: 0 }))).code).toBe('invalid-input');
  });

  it('stops the server, and treats an already stopped server as done', async () => {
    await cli().serverStop();
    await cli('stopped').serverStop();
  });

  it('unloads by identifier; an unknown identifier (exit 0 with a "not found" block) is not-found', async () => {
    await cli().unload('known');
    const error = await rejection(cli().unload('gemma-3-1b-it-qat:2'));
    expect(error.code).toBe('not-found');
    expect(error.message).toBe(
      'No loaded model has the identifier "gemma-3-1b-it-qat:2". It may have been unloaded already.',
    );
    expect(await cli().unloadAll()).toBe(2);
  });

  it('loads with options after the flags, reports progress and returns the identifier', async () => {
    const progress: Array<number | null> = [];
    const result = await cli().load('qwen/qwen3-4b', { contextLength: 8192, gpuOffload: 0.5, ttlSeconds: 600 }, (p) =>
      progress.push(p),
    );
    expect(result).toEqual({ identifier: 'qwen/qwen3-4b' });
    expect(progress).toEqual([0, 0.12, 0.47, 0.88, 1]);
    expect((await invocations())[0]?.args).toEqual([
      'load',
      '--yes',
      '--context-length',
      '8192',
      '--gpu',
      '0.5',
      '--ttl',
      '600',
      'qwen/qwen3-4b',
    ]);
  });

  it("reports a failed load with lms's message, and a missing model as not-found", async () => {
    const failed = await rejection(cli('load-fail').load('qwen/qwen3-4b', {}, () => {}));
    expect(failed).toMatchObject({ code: 'lms-failed', message: 'Failed to load the model: not enough memory.' });
    const missing = await rejection(cli('load-missing').load('nope', {}, () => {}));
    expect(missing).toMatchObject({ code: 'not-found' });
  });

  it('stops a load that shows no sign of life', async () => {
    const error = await rejection(cli('silent', { clock: fastClock(1000) }).load('qwen/qwen3-4b', {}, () => {}));
    expect(error.message).toMatch(/showed no sign of progress for 120 s/);
  });
});

describe('createLmsCli: get', () => {
  function collect(lms: ReturnType<typeof cli>, model = 'qwen/qwen3-4b') {
    const events: LmsGetEvent[] = [];
    const process = lms.get(model, (event) => events.push(event));
    return { events, process };
  }

  it('streams progress and completes', async () => {
    const { events, process } = collect(cli());
    expect(process.pid).toBeGreaterThan(0);
    expect(await process.done).toEqual({ kind: 'completed' });
    expect(events.filter((event) => event.type === 'progress')).toHaveLength(6);
    expect(events.at(-1)).toEqual({ type: 'completed' });
    expect((await invocations())[0]?.args).toEqual(['get', '--yes', 'qwen/qwen3-4b']);
  });

  it("reports already downloaded with lms's message", async () => {
    expect(await collect(cli('get-already')).process.done).toEqual({
      kind: 'already-downloaded',
      message: 'Model already downloaded. To use, run: lms load qwen/qwen3-4b',
    });
  });

  it('fails with the Error: message, or the exit code when there is none', async () => {
    expect(await collect(cli('get-fail')).process.done).toEqual({
      kind: 'failed',
      message: 'Cannot find variant q9_x.',
      exitCode: 1,
    });
    expect(await collect(cli('get-exit-3')).process.done).toEqual({
      kind: 'failed',
      message: 'lms get exited with code 3.',
      exitCode: 3,
    });
  });

  it('cancel: SIGINT, then N at the prompt; the download is cancelled', async () => {
    const { events, process } = collect(cli('get-interruptible'));
    await vi.waitFor(() => expect(events.some((event) => event.type === 'progress')).toBe(true));
    await process.cancel();
    expect(await process.done).toEqual({ kind: 'cancelled' });
    expect(events.slice(-2)).toEqual([{ type: 'prompt' }, { type: 'cancelled' }]);
  });

  it('detach: SIGINT, then Y; the download continues in LM Studio', async () => {
    const { events, process } = collect(cli('get-interruptible'));
    await vi.waitFor(() => expect(events.some((event) => event.type === 'progress')).toBe(true));
    await process.detach();
    expect(await process.done).toEqual({ kind: 'continuing' });
    expect(events.slice(-2)).toEqual([{ type: 'prompt' }, { type: 'continuing' }]);
  });

  it('kills an lms that ignores the answer; unconfirmed, the download is reported as continuing', async () => {
    const { events, process } = collect(cli('get-deaf', { clock: fastClock(20) }));
    await vi.waitFor(() => expect(events.some((event) => event.type === 'progress')).toBe(true));
    await process.cancel();
    expect(await process.done).toEqual({ kind: 'continuing' });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/did not exit after the answer/));
  });

  it('on Windows, where SIGINT is a hard kill, cancel stops tracking and the download continues', async () => {
    const { events, process } = collect(cli('get-interruptible', { platform: 'win32', clock: fastClock(20) }));
    await vi.waitFor(() => expect(events.some((event) => event.type === 'progress')).toBe(true));
    await process.cancel();
    expect(await process.done).toEqual({ kind: 'continuing' });
  });

  it('cancel after the process has ended is harmless', async () => {
    const { process } = collect(cli('get-already'));
    await process.done;
    await process.cancel();
    expect(await process.done).toMatchObject({ kind: 'already-downloaded' });
  });
});

// Found by the lms-faults robustness suite (tests/robustness/lms-faults).
describe('createLmsCli: faults', () => {
  function collect(lms: ReturnType<typeof cli>) {
    const events: LmsGetEvent[] = [];
    const process = lms.get('qwen/qwen3-4b', (event) => events.push(event));
    return { events, process };
  }

  it('an lms that exits 0 after an Error: line has failed, whatever the command', async () => {
    const lms = cli('error-exit-0');
    const commands: Array<() => Promise<unknown>> = [
      () => lms.serverStatus(),
      () => lms.daemonStatus(),
      () => lms.ls(),
      () => lms.ps(),
      () => lms.serverStart(),
      () => lms.serverStop(),
      () => lms.load('qwen/qwen3-4b', {}, () => {}),
      () => lms.unload('known'),
      () => lms.unloadAll(),
    ];
    for (const command of commands) {
      expect((await rejection(command())).message).toBe('Could not reach LM Studio.');
    }
    expect(await lms.get('qwen/qwen3-4b', () => {}).done).toEqual({
      kind: 'failed',
      message: 'Could not reach LM Studio.',
      exitCode: 0,
    });
  });

  it('an lms killed by a signal is reported as stopped by it, not by the last thing it said', async () => {
    const lms = cli('killed-after-waking');
    expect((await rejection(lms.ls())).message).toBe('`lms ls --json` was stopped by SIGKILL.');
    expect((await rejection(lms.load('qwen/qwen3-4b', {}, () => {}))).message).toBe(
      '`lms load --yes qwen/qwen3-4b` was stopped by SIGKILL.',
    );
  });

  it('cancelling a download that has already failed reports the failure, not a cancel', async () => {
    const { events, process } = collect(cli('get-error-lingers'));
    await vi.waitFor(() => expect(events).toContainEqual({ type: 'error', message: 'Cannot find variant q9.' }));
    await process.cancel();
    expect(await process.done).toEqual({ kind: 'failed', message: 'Cannot find variant q9.', exitCode: 1 });
  });

  it('a stop that comes after lms has exited (its pipes still draining) is not read as its cause', async () => {
    const child = Object.assign(new EventEmitter(), {
      pid: 4242,
      exitCode: null as number | null,
      signalCode: null,
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      kill: vi.fn(() => true),
    });
    const lms = createLmsCli({
      path: '/fake/lms',
      spawn: () => child as unknown as ChildProcess,
      registry,
      clock: systemClock,
      logger,
      platform: 'linux',
    });
    const events: LmsGetEvent[] = [];
    const download = lms.get('qwen/qwen3-4b', (event) => events.push(event));
    child.stdout.write('⠋ [█   ] 5.00% | 1.00 GB / 2.00 GB | 1.00 MB/s | ETA 02:00\r');
    await vi.waitFor(() => expect(events).toContainEqual(expect.objectContaining({ type: 'progress' })));
    child.exitCode = 1;
    child.emit('exit', 1, null); // 'close' comes later: something still holds the pipes
    const detached = download.detach();
    child.emit('close');
    await detached;
    expect(child.kill).not.toHaveBeenCalled();
    expect(await download.done).toEqual({ kind: 'failed', message: 'lms get exited with code 1.', exitCode: 1 });
  });

  it('a download killed by a signal nobody here sent has failed, even while a cancel was on its way', async () => {
    const { events, process } = collect(cli('killed-after-waking'));
    await vi.waitFor(() => expect(events).toContainEqual({ type: 'waking' }));
    await process.cancel();
    expect(await process.done).toEqual({ kind: 'failed', message: 'lms get was stopped by SIGKILL.', exitCode: null });
  });
});

describe('helpers', () => {
  it('lmsErrorMessage prefers the Error: line over the stack and other lines', () => {
    expect(lmsErrorMessage('W something\nError: It broke.\n    at x (y:1:1)\n')).toBe('It broke.');
    expect(lmsErrorMessage('\nModel Not Found\n\nNo model found.\n')).toBe('No model found.');
    expect(lmsErrorMessage('')).toBeNull();
  });

  it('lmsErrorMessage gives a message fit to show: no control characters, not a page long', () => {
    expect(lmsErrorMessage('Error: bad\u0000 \u0007thing\u001b\n')).toBe('bad thing');
    expect(lmsErrorMessage('\u0001?|]\u007f/]6{\u0008\n')).toBe('?|] /]6{');
    const long = lmsErrorMessage(`Error: ${'x'.repeat(100_000)}\n`)!;
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
    expect(lmsErrorLine('Waking up LM Studio service...\n')).toBeNull();
  });

  it('loadArguments validates every option', () => {
    expect(loadArguments('a/b', { gpuOffload: 'max' })).toEqual(['load', '--yes', '--gpu', 'max', 'a/b']);
    expect(() => loadArguments('a/b', { contextLength: 12.5 })).toThrow(/whole number/);
    expect(() => loadArguments('a/b', { gpuOffload: 2 })).toThrow(/GPU offload/);
    expect(() => loadArguments('a/b', { ttlSeconds: -1 })).toThrow(/whole number/);
  });
});
