/**
 * The activity monitor with a fake lms and fake timers: the stream is never started (nor kept)
 * while LM Studio is down, and `lms daemon status` runs right before every start, so nothing
 * here wakes it; a child that starts waking it is stopped at once; never more than one child; a
 * dead stream comes back after 1, 2, 4 … s; three early exits and it gives up, saying so; an lms
 * too old for `--source` is not asked again; its exit and a closed socket are evidence for the
 * health monitor; `Authentication required` keeps it running. Then what it publishes: coalesced,
 * nothing while nothing changes, no timer while idle, a stuck request notified once; and, through
 * the real runner, no word of a prompt in anything it publishes or logs.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createActivityMonitor,
  GAVE_UP,
  LMS_MISSING,
  RESTARTING,
  remoteMessage,
  TOO_OLD,
} from '../../../../electron/core/activity/monitor';
import type { ActivityMonitor, LmsCli, LmsLogStream, LogStreamEvent } from '../../../../electron/core/interfaces';
import { createLmsCli } from '../../../../electron/core/lmstudio/lms/cli';
import { systemClock } from '../../../../electron/core/node-ports';
import type { Logger, SpawnFn } from '../../../../electron/core/ports';
import type { ActivitySnapshot, LoadedInstance, ServerState, ServerStatus } from '../../../../electron/shared/contract';
import { fixtureBytes, fixtureText } from '../lmstudio/lms/fixtures';

const T0 = 1_786_253_700_000;
const QWEN = 'qwen/qwen3-4b';

function status(state: ServerState, overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    state,
    detail: '',
    baseUrl: 'http://127.0.0.1:1234',
    port: 1234,
    remote: false,
    apiGeneration: 'v1',
    lmsPath: '/usr/bin/lms',
    lmsSearched: [],
    since: 0,
    checkedAt: 0,
    unstable: false,
    lmStudioClosed: state === 'offline',
    ...overrides,
  };
}

interface FakeStream {
  handlers: { onEvent(event: LogStreamEvent): void; onStderrLine(line: string): void };
  stop: ReturnType<typeof vi.fn>;
  exit(code?: number | null, signal?: NodeJS.Signals | null): void;
  exitedYet: boolean;
}

/**
 * A fake lms: `running` is what `daemon status` says; `calls` records every command in order;
 * every `logStream` is a FakeStream whose `stop()` makes it exit 0 (unless `stopHangs`).
 */
function fakeLms() {
  const calls: string[] = [];
  const streams: FakeStream[] = [];
  const state = { running: true, stopHangs: false };
  const lms = {
    path: '/usr/bin/lms',
    daemonStatus: async () => {
      calls.push('daemonStatus');
      return { running: state.running, pid: state.running ? 42 : null };
    },
    logStream(handlers: FakeStream['handlers']): LmsLogStream {
      calls.push('logStream');
      if (!state.running) throw new Error('logStream ran while LM Studio was down: it would wake it');
      let settle!: (outcome: { code: number | null; signal: NodeJS.Signals | null }) => void;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        settle = resolve;
      });
      const stream: FakeStream = {
        handlers,
        exitedYet: false,
        exit(code = 0, signal = null) {
          if (stream.exitedYet) return;
          stream.exitedYet = true;
          settle({ code, signal });
        },
        stop: vi.fn(async () => {
          if (!state.stopHangs) stream.exit(0);
          await exited;
        }),
      };
      streams.push(stream);
      return { pid: 7000 + streams.length, exited, stop: stream.stop as unknown as () => Promise<void> };
    },
  };
  return { lms: lms as unknown as LmsCli, calls, streams, state };
}

const logged: string[] = [];
const logger: Logger = {
  debug: (...args) => logged.push(args.map(String).join(' ')),
  info: (...args) => logged.push(args.map(String).join(' ')),
  warn: (...args) => logged.push(args.map(String).join(' ')),
  error: (...args) => logged.push(args.map(String).join(' ')),
};

function harness(lms: LmsCli | null = fakeLms().lms) {
  const current = { lms };
  let evidence = 0;
  const published: ActivitySnapshot[] = [];
  const stuck: Array<[string, number]> = [];
  const monitor: ActivityMonitor = createActivityMonitor({
    lms: () => current.lms,
    clock: systemClock,
    logger,
    evidence: () => {
      evidence += 1;
    },
  });
  monitor.onChange((activity) => published.push(activity));
  monitor.onStuck((identifier, ms) => stuck.push([identifier, ms]));
  return { monitor, current, published, stuck, evidence: () => evidence };
}

/** Waits (in fake time) until the next child has started. */
async function restarted(streams: FakeStream[]): Promise<void> {
  const count = streams.length;
  while (streams.length === count) await vi.advanceTimersByTimeAsync(250);
}

/** Lets promises and timers due now run. */
const settle = () => vi.advanceTimersByTimeAsync(0);
const input = (modelIdentifier = QWEN): LogStreamEvent => ({ type: 'input', at: Date.now(), modelIdentifier });
const output = (tokensPerSecond = 40, modelIdentifier = QWEN): LogStreamEvent => ({
  type: 'output',
  at: Date.now(),
  modelIdentifier,
  tokensPerSecond,
  timeToFirstTokenSec: 0.25,
  promptTokens: 12,
  predictedTokens: 200,
});

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  logged.length = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('when the stream runs', () => {
  it('never while LM Studio is down or its state is unknown: no lms command at all', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    for (const state of ['checking', 'offline', 'not-responding', 'foreign'] as const) {
      h.monitor.serverChanged(status(state));
      await vi.advanceTimersByTimeAsync(120_000);
    }
    h.monitor.serverChanged(status('server-stopped', { lmStudioClosed: true }));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fake.calls).toEqual([]);
    expect(h.monitor.snapshot()).toEqual({ state: 'waiting', message: null, models: [] });
  });

  it('starts once LM Studio is up, with `lms daemon status` right before', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    expect(fake.calls).toEqual(['daemonStatus', 'logStream']);
    expect(h.monitor.snapshot().state).toBe('following');
  });

  it('the status says up but daemon status says not running: nothing spawned, the health monitor told, checked again later', async () => {
    const fake = fakeLms();
    fake.state.running = false;
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    expect(fake.calls).toEqual(['daemonStatus']);
    expect(h.evidence()).toBe(1);
    fake.state.running = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fake.calls).toEqual(['daemonStatus', 'daemonStatus', 'logStream']);
  });

  it('stopped when LM Studio goes down, and not kept or restarted while it is down', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    fake.state.running = false;
    h.monitor.serverChanged(status('offline'));
    await settle();
    expect(fake.streams[0]!.stop).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fake.calls).toEqual(['daemonStatus', 'logStream']);
    expect(h.monitor.snapshot().state).toBe('waiting');
    // Our own stop is not evidence of anything.
    expect(h.evidence()).toBe(0);
  });

  it('keeps running under Authentication required and Server stopped (LM Studio is up; lms has its own key)', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    h.monitor.serverChanged(status('unauthorized'));
    h.monitor.serverChanged(status('server-stopped'));
    h.monitor.serverChanged(status('online'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.calls).toEqual(['daemonStatus', 'logStream']);
    expect(fake.streams[0]!.stop).not.toHaveBeenCalled();
  });

  it('starts under Authentication required too', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('unauthorized'));
    await settle();
    expect(fake.calls).toEqual(['daemonStatus', 'logStream']);
  });

  it('never more than one child: repeated changes while checking, and a return while the old one is still exiting', async () => {
    const fake = fakeLms();
    fake.state.stopHangs = true;
    const h = harness(fake.lms);
    for (let i = 0; i < 5; i += 1) h.monitor.serverChanged(status('online', { checkedAt: i }));
    await settle();
    expect(fake.calls).toEqual(['daemonStatus', 'logStream']);
    // Down, and back before the first child has exited: it must exit before another starts.
    h.monitor.serverChanged(status('offline'));
    h.monitor.serverChanged(status('online'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.calls.filter((call) => call === 'logStream')).toHaveLength(1);
    fake.streams[0]!.exit(0);
    await settle();
    expect(fake.calls.filter((call) => call === 'logStream')).toHaveLength(2);
    expect(fake.streams[1]!.exitedYet).toBe(false);
  });

  it('remote server or no lms: unavailable, in one line, and nothing runs', async () => {
    const fake = fakeLms();
    const remote = harness(fake.lms);
    remote.monitor.serverChanged(status('online', { remote: true, baseUrl: 'http://gpu-box.lan:1234' }));
    await settle();
    expect(remote.monitor.snapshot()).toEqual({
      state: 'unavailable',
      message: remoteMessage('http://gpu-box.lan:1234'),
      models: [],
    });
    expect(remoteMessage('http://gpu-box.lan:1234')).toBe(
      'Live activity is shown only for LM Studio on this computer, not for gpu-box.lan:1234.',
    );
    const none = harness(null);
    none.monitor.serverChanged(status('online'));
    await settle();
    expect(none.monitor.snapshot()).toEqual({ state: 'unavailable', message: LMS_MISSING, models: [] });
    expect(fake.calls).toEqual([]);
  });

  it('another lms set in Settings: the old child ends, then one of the new lms starts', async () => {
    const first = fakeLms();
    const second = fakeLms();
    const h = harness(first.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    h.current.lms = second.lms;
    h.monitor.serverChanged(status('online', { lmsPath: '/opt/lms' }));
    await settle();
    expect(first.streams[0]!.stop).toHaveBeenCalled();
    expect(second.calls).toEqual(['daemonStatus', 'logStream']);
  });
});

describe('when the stream ends on its own', () => {
  it('restarts while LM Studio still runs, after 1, 2, 4 … s, each after daemon status; exit is evidence', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    const starts: number[] = [Date.now() - T0];
    for (const delay of [1_000, 2_000, 4_000, 8_000]) {
      await vi.advanceTimersByTimeAsync(10_000); // a run long enough not to count as an early exit
      fake.streams.at(-1)!.exit(0);
      await settle();
      expect(h.monitor.snapshot()).toMatchObject({ state: 'following', message: RESTARTING });
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(fake.streams.at(-1)!.exitedYet).toBe(true);
      await vi.advanceTimersByTimeAsync(1);
      expect(fake.streams.at(-1)!.exitedYet).toBe(false);
      starts.push(Date.now() - T0);
    }
    expect(starts).toEqual([0, 11_000, 23_000, 37_000, 55_000]);
    expect(fake.calls).toEqual(Array.from({ length: 5 }, () => ['daemonStatus', 'logStream']).flat());
    expect(h.evidence()).toBe(4);
    expect(h.monitor.snapshot()).toMatchObject({ state: 'following', message: null });
  });

  it('the back-off stops growing at 60 s, and starts over after a run of a minute or more', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    const gaps: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      await vi.advanceTimersByTimeAsync(6_000);
      fake.streams.at(-1)!.exit(1);
      const exitAt = Date.now();
      const count = fake.streams.length;
      while (fake.streams.length === count) await vi.advanceTimersByTimeAsync(1_000);
      gaps.push(Date.now() - exitAt);
    }
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    await vi.advanceTimersByTimeAsync(60_000);
    fake.streams.at(-1)!.exit(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fake.streams.at(-1)!.exitedYet).toBe(false);
  });

  it('three exits in a row each within 5 s of starting: gives up and says so, until LM Studio restarts', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    for (let i = 0; i < 3; i += 1) {
      if (i > 0) await restarted(fake.streams);
      await vi.advanceTimersByTimeAsync(4_000);
      fake.streams.at(-1)!.exit(0);
    }
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fake.streams).toHaveLength(3);
    expect(h.monitor.snapshot()).toEqual({ state: 'unavailable', message: GAVE_UP, models: [] });
    await vi.advanceTimersByTimeAsync(3_600_000);
    h.monitor.serverChanged(status('online', { checkedAt: 1 }));
    await settle();
    expect(fake.streams).toHaveLength(3);
    expect(h.published.at(-1)).toMatchObject({ state: 'unavailable', message: GAVE_UP });
    // LM Studio quit and started again (perhaps updated): one more try.
    h.monitor.serverChanged(status('offline'));
    h.monitor.serverChanged(status('online'));
    await settle();
    expect(fake.streams).toHaveLength(4);
  });

  it('an exit after a long run resets the count of early exits', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    for (const [i, ranFor] of [1_000, 1_000, 30_000, 1_000, 1_000].entries()) {
      if (i > 0) await restarted(fake.streams);
      await vi.advanceTimersByTimeAsync(ranFor);
      fake.streams.at(-1)!.exit(0);
    }
    await restarted(fake.streams);
    expect(fake.streams).toHaveLength(6);
    expect(h.monitor.snapshot().state).toBe('following');
  });

  it('an lms before LM Studio 0.3.26 refuses --source: unavailable, never asked again', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    fake.streams[0]!.handlers.onStderrLine("error: unknown option '--source'");
    fake.streams[0]!.exit(1);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fake.streams).toHaveLength(1);
    expect(h.monitor.snapshot()).toEqual({ state: 'unavailable', message: TOO_OLD, models: [] });
    expect(TOO_OLD).toContain('needs LM Studio 0.3.26 or newer');
  });

  it('a child that starts waking LM Studio is stopped at once; the health monitor is told; no restart while it is down', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    fake.state.running = false; // LM Studio quit between the check and the stream's connection
    fake.streams[0]!.handlers.onStderrLine('Waking up LM Studio service...');
    expect(fake.streams[0]!.stop).toHaveBeenCalledTimes(1);
    expect(h.evidence()).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    // Still said to be up (the health check has not answered): only daemon status ran, never a stream.
    expect(fake.calls.filter((call) => call === 'logStream')).toHaveLength(1);
    expect(fake.calls.filter((call) => call === 'daemonStatus').length).toBeGreaterThan(1);
    h.monitor.serverChanged(status('offline'));
    const before = fake.calls.length;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fake.calls).toHaveLength(before);
  });

  it('`WebSocket connection closed` is evidence at once, and the exit that follows once more', async () => {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    const closed =
      '[LMStudioClient][Diagnostics][ClientPort][WsClientTransport:AuthenticatedWsClientTransport] WebSocket error: Error: WebSocket connection closed';
    fake.streams[0]!.handlers.onStderrLine(closed);
    fake.streams[0]!.handlers.onStderrLine(closed);
    expect(h.evidence()).toBe(1);
    fake.streams[0]!.exit(0);
    await settle();
    expect(h.evidence()).toBe(2);
  });
});

describe('what it publishes', () => {
  async function following() {
    const fake = fakeLms();
    const h = harness(fake.lms);
    h.monitor.serverChanged(status('online'));
    await settle();
    await vi.advanceTimersByTimeAsync(1_000);
    return { ...h, fake, stream: fake.streams[0]! };
  }

  it('events become per-model activity: Generating while a request runs, then its figures', async () => {
    const h = await following();
    h.stream.handlers.onEvent(input());
    expect(h.monitor.snapshot().models).toEqual([
      expect.objectContaining({ identifier: QWEN, inProgress: 1, busySince: Date.now() }),
    ]);
    await vi.advanceTimersByTimeAsync(3_000);
    h.stream.handlers.onEvent(output(41.2));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.published.at(-1)?.models).toEqual([
      expect.objectContaining({ identifier: QWEN, inProgress: 0, requestsLast5Min: 1, medianTokensPerSecond: 41.2 }),
    ]);
  });

  it('coalesced to at most 4 a second, ending with the latest; nothing while nothing changes', async () => {
    const h = await following();
    const before = h.published.length;
    for (let i = 0; i < 100; i += 1) {
      h.stream.handlers.onEvent(input());
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    const burst = h.published.length - before;
    expect(burst).toBeGreaterThan(1);
    expect(burst).toBeLessThanOrEqual(5); // 1 s of events plus the trailing one, at 4 a second
    expect(h.published.at(-1)?.models[0]?.inProgress).toBe(100);
    const after = h.published.length;
    h.monitor.serverChanged(status('online', { checkedAt: 5 }));
    h.monitor.loadedChanged([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.published).toHaveLength(after);
  });

  it('no timer while idle; while a request runs, only the one its stuck check (or a window) needs', async () => {
    const h = await following();
    expect(vi.getTimerCount()).toBe(0);
    h.stream.handlers.onEvent(input());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(1);
    h.stream.handlers.onEvent(output());
    // The answer leaves the 10-minute window, then all is quiet and nothing is left running.
    await vi.advanceTimersByTimeAsync(10 * 60_000 + 1_000);
    expect(h.published.at(-1)?.models).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a request running over 10 minutes is notified once as possibly stuck and shown in its row', async () => {
    const h = await following();
    h.stream.handlers.onEvent(input());
    const began = Date.now();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(h.stuck).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.stuck).toEqual([[QWEN, 10 * 60_000 + 1]]);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(h.stuck).toHaveLength(1);
    expect(h.monitor.snapshot().models[0]).toMatchObject({ possiblyStuckSince: began, inProgress: 1 });
  });

  it('counts reset when the stream restarts and when the model unloads', async () => {
    const h = await following();
    h.monitor.loadedChanged([{ identifier: QWEN } as LoadedInstance]);
    h.stream.handlers.onEvent(input());
    h.stream.handlers.onEvent(input());
    expect(h.monitor.snapshot().models[0]?.inProgress).toBe(2);
    h.monitor.loadedChanged([]);
    expect(h.monitor.snapshot().models[0]?.inProgress).toBe(0);
    h.stream.handlers.onEvent(input());
    await vi.advanceTimersByTimeAsync(10_000);
    h.stream.exit(0);
    await settle();
    expect(h.monitor.snapshot().models[0]?.inProgress).toBe(0);
  });

  it('stop(): the child stopped, nothing restarts or publishes afterwards', async () => {
    const h = await following();
    h.stream.handlers.onEvent(input());
    await h.monitor.stop();
    expect(h.stream.stop).toHaveBeenCalled();
    const published = h.published.length;
    h.monitor.serverChanged(status('online', { checkedAt: 9 }));
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(h.fake.streams).toHaveLength(1);
    expect(h.published).toHaveLength(published);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('privacy, through the real runner', () => {
  it('no word of a prompt or an answer in anything published, notified or logged', async () => {
    let child: (EventEmitter & { stdout: PassThrough; stderr: PassThrough }) | null = null;
    const spawn: SpawnFn = (_command, args) => {
      const fake = Object.assign(new EventEmitter(), {
        pid: 9000,
        exitCode: null as number | null,
        signalCode: null,
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        kill: vi.fn(() => true),
      });
      if (args[0] === 'daemon') {
        setImmediate(() => {
          fake.stdout.end('{"status":"running","pid":42,"isDaemon":false}\n');
          fake.stderr.end();
          fake.exitCode = 0;
          fake.emit('exit', 0, null);
          fake.emit('close', 0, null);
        });
      } else {
        child = fake;
      }
      return fake as unknown as ChildProcess;
    };
    const lms = createLmsCli({
      path: '/fake/lms',
      spawn,
      registry: { track: () => {}, running: () => [], endAll: async () => {} },
      clock: systemClock,
      logger,
      platform: 'linux',
    });
    const h = harness(lms);
    h.monitor.serverChanged(status('online'));
    await vi.advanceTimersByTimeAsync(10);
    expect(child).not.toBeNull();
    child!.stderr.write(fixtureBytes('log-stream-banner.stderr'));
    child!.stdout.write(fixtureBytes('log-stream-current.stdout'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.monitor.snapshot().models.map((model) => model.identifier)).toEqual([
      'gemma-3-1b-it-qat:2',
      'ornith-1.0-35b-mlx-oq8',
      'qwen/qwen3-4b',
    ]);
    const seen = JSON.stringify({ published: h.published, stuck: h.stuck, logged, snapshot: h.monitor.snapshot() });
    for (const word of ['zeppelin', 'pineapple', 'marmalade', 'pong', '日本語']) {
      expect(fixtureText('log-stream-current.stdout')).toContain(word);
      expect(seen).not.toContain(word);
    }
  });
});
