/**
 * `lms log stream` in the runner, through a fake spawn: the arguments (the explicit filter), the
 * child in the process registry, stdout read line by line into events (the text never reaches a
 * listener or the log), stderr passed on line by line, the last line flushed at exit; `stop()` is
 * SIGINT then SIGKILL after a grace, once; `exited` settles with the code or signal.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogStreamEvent, ProcessRegistry } from '../../../../../electron/core/interfaces';
import { createLmsCli } from '../../../../../electron/core/lmstudio/lms/cli';
import { systemClock } from '../../../../../electron/core/node-ports';
import type { Logger, SpawnFn } from '../../../../../electron/core/ports';
import { fixtureBytes, fixtureText } from './fixtures';

type FakeChild = EventEmitter & {
  pid: number;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
  stdin: PassThrough;
  stdout: PassThrough;
  stderr: PassThrough;
  kill: ReturnType<typeof vi.fn>;
  /** Ends the fake process as a real one would: exit, then its pipes close. */
  finish(code: number | null, signal?: NodeJS.Signals | null): void;
};

function fakeChild(pid: number, onSignal: (child: FakeChild, signal: string) => void): FakeChild {
  const child = Object.assign(new EventEmitter(), {
    pid,
    exitCode: null as number | null,
    signalCode: null as NodeJS.Signals | null,
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    kill: vi.fn(),
    finish(code: number | null, signal: NodeJS.Signals | null = null) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.exitCode = code;
      child.signalCode = signal;
      child.emit('exit', code, signal);
      child.stdout.end();
      child.stderr.end();
      setImmediate(() => child.emit('close', code, signal));
    },
  }) as FakeChild;
  child.kill.mockImplementation((signal: string) => {
    onSignal(child, signal);
    return true;
  });
  return child;
}

const logged: unknown[][] = [];
const logger: Logger = {
  debug: (...args) => logged.push(args),
  info: (...args) => logged.push(args),
  warn: (...args) => logged.push(args),
  error: (...args) => logged.push(args),
};

let children: FakeChild[];
let calls: string[][];
let tracked: string[];
/** How the next fake reacts to a signal: a current lms exits 0 on SIGINT; SIGKILL always ends it. */
let onSignal: (child: FakeChild, signal: string) => void;

const registry: ProcessRegistry = {
  track: (label) => tracked.push(label),
  running: () => [],
  endAll: async () => {},
};

function lmsWith(spawn?: SpawnFn) {
  const fake: SpawnFn = (_command, args) => {
    calls.push([...args]);
    const child = fakeChild(5000 + calls.length, (c, signal) => onSignal(c, signal));
    children.push(child);
    return child as unknown as ChildProcess;
  };
  return createLmsCli({
    path: '/fake/lms',
    spawn: spawn ?? fake,
    registry,
    clock: systemClock,
    logger,
    platform: 'linux',
  });
}

function follow(spawn?: SpawnFn) {
  const events: LogStreamEvent[] = [];
  const stderr: string[] = [];
  const stream = lmsWith(spawn).logStream({
    onEvent: (event) => events.push(event),
    onStderrLine: (line) => stderr.push(line),
  });
  return { stream, events, stderr, child: children.at(-1)! };
}

beforeEach(() => {
  children = [];
  calls = [];
  tracked = [];
  logged.length = 0;
  onSignal = (child, signal) => {
    if (signal === 'SIGINT') setImmediate(() => child.finish(0));
    if (signal === 'SIGKILL') setImmediate(() => child.finish(null, 'SIGKILL'));
  };
});
afterEach(() => {
  vi.useRealTimers();
});

describe('logStream', () => {
  it('runs `lms log stream --source model --filter input,output --json`, tracked in the registry', async () => {
    const { stream, child } = follow();
    expect(calls).toEqual([['log', 'stream', '--source', 'model', '--filter', 'input,output', '--json']]);
    expect(tracked).toEqual(['lms log stream --source model --filter input,output --json']);
    expect(stream.pid).toBe(child.pid);
    child.finish(0);
    await stream.exited;
  });

  it('turns stdout into events line by line and passes stderr lines on; the last line is read at exit', async () => {
    const { stream, events, stderr, child } = follow();
    child.stderr.write(fixtureBytes('log-stream-banner.stderr'));
    const bytes = fixtureBytes('log-stream-current.stdout');
    for (let offset = 0; offset < bytes.length; offset += 333) child.stdout.write(bytes.subarray(offset, offset + 333));
    await vi.waitFor(() => expect(events.length).toBe(13));
    // The recording ends without a newline: its last output arrives when the child exits.
    child.stderr.write(
      fixtureBytes('log-stream-socket-closed.stderr').subarray('Streaming logs from LM Studio\n\n'.length),
    );
    child.finish(0);
    expect(await stream.exited).toEqual({ code: 0, signal: null });
    expect(events.length).toBe(14);
    expect(events.map((event) => `${event.type} ${event.modelIdentifier}`).slice(0, 4)).toEqual([
      'input ornith-1.0-35b-mlx-oq8',
      'output ornith-1.0-35b-mlx-oq8',
      'input qwen/qwen3-4b',
      'output qwen/qwen3-4b',
    ]);
    expect(stderr).toEqual([
      'Streaming logs from LM Studio',
      '[LMStudioClient][Diagnostics][ClientPort][WsClientTransport:AuthenticatedWsClientTransport] WebSocket error: Error: WebSocket connection closed',
    ]);
  });

  it('no word of a prompt or an answer reaches a listener or the log', async () => {
    const { stream, events, stderr, child } = follow();
    child.stdout.write(fixtureBytes('log-stream-current.stdout'));
    child.finish(0);
    await stream.exited;
    const seen = JSON.stringify({ events, stderr, logged });
    for (const word of ['zeppelin', 'pineapple', 'marmalade', 'pong', '日本語']) {
      expect(fixtureText('log-stream-current.stdout')).toContain(word);
      expect(seen).not.toContain(word);
    }
  });

  it('stop(): SIGINT, and lms exits 0 (its handler unsubscribes)', async () => {
    const { stream, child } = follow();
    await stream.stop();
    expect(child.kill.mock.calls).toEqual([['SIGINT']]);
    expect(await stream.exited).toEqual({ code: 0, signal: null });
  });

  it('stop(): an lms that ignores SIGINT (builds without the handler, or hung) is killed after the grace', async () => {
    vi.useFakeTimers();
    onSignal = (child, signal) => {
      if (signal === 'SIGKILL') setImmediate(() => child.finish(null, 'SIGKILL'));
    };
    const { stream, child } = follow();
    const stopped = stream.stop();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(child.kill.mock.calls).toEqual([['SIGINT']]);
    await vi.advanceTimersByTimeAsync(1);
    expect(child.kill.mock.calls).toEqual([['SIGINT'], ['SIGKILL']]);
    await vi.advanceTimersByTimeAsync(10);
    await stopped;
    expect(await stream.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('stop() twice sends one SIGINT; stop() after the child exited sends nothing', async () => {
    const first = follow();
    await Promise.all([first.stream.stop(), first.stream.stop()]);
    expect(first.child.kill).toHaveBeenCalledTimes(1);

    const second = follow();
    second.child.finish(1);
    await second.stream.stop();
    expect(second.child.kill).not.toHaveBeenCalled();
    expect(await second.stream.exited).toEqual({ code: 1, signal: null });
  });

  it('a listener that throws does not stop the others or the stream', async () => {
    const events: LogStreamEvent[] = [];
    const stream = lmsWith().logStream({
      onEvent: (event) => {
        events.push(event);
        throw new Error('listener broke');
      },
      onStderrLine: () => {
        throw new Error('listener broke');
      },
    });
    const child = children.at(-1)!;
    child.stderr.write('Streaming logs from LM Studio\n\n');
    child.stdout.write(fixtureBytes('log-stream-cut.stdout'));
    child.finish(0);
    await stream.exited;
    expect(events).toEqual([{ type: 'input', at: 1786253800000, modelIdentifier: 'qwen/qwen3-4b' }]);
  });

  it('an lms that cannot be spawned: exited settles at once, stop() resolves, and the log says why', async () => {
    const { stream } = follow(() => {
      throw Object.assign(new Error('spawn /fake/lms ENOENT'), { code: 'ENOENT' });
    });
    expect(await stream.exited).toEqual({ code: null, signal: null });
    await stream.stop();
    expect(stream.pid).toBeUndefined();
    expect(JSON.stringify(logged)).toContain("Could not run LM Studio's `lms` at /fake/lms (spawn /fake/lms ENOENT)");
  });
});
