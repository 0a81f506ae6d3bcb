/**
 * The runner's memory commands (`load --estimate-only`, `runtime survey`, `ls` for paths) and
 * the guardrail refusal of a real load, through a fake spawn that replays the recordings in
 * fixtures/ with an exit code: the arguments lms gets and what each outcome becomes.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../../../../electron/core/errors';
import type { LmsCli, ProcessRegistry } from '../../../../../electron/core/interfaces';
import { createLmsCli, estimateArguments } from '../../../../../electron/core/lmstudio/lms/cli';
import { systemClock } from '../../../../../electron/core/node-ports';
import type { Logger, SpawnFn } from '../../../../../electron/core/ports';
import { fixtureText } from './fixtures';

const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
const registry: ProcessRegistry = { track: () => {}, running: () => [], endAll: async () => {} };

interface Reply {
  stdout?: string;
  stderr?: string;
  code: number;
}

/** An lms whose every run answers `reply(args)`: output on the next turn, then exit and close. */
function fakeLms(reply: (args: readonly string[]) => Reply): { lms: LmsCli; calls: string[][] } {
  const calls: string[][] = [];
  const spawn: SpawnFn = (_command, args) => {
    calls.push([...args]);
    const answer = reply(args);
    const child = Object.assign(new EventEmitter(), {
      pid: 4000 + calls.length,
      exitCode: null as number | null,
      signalCode: null,
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      kill: vi.fn(() => true),
    });
    setImmediate(() => {
      if (answer.stdout) child.stdout.write(answer.stdout);
      if (answer.stderr) child.stderr.write(answer.stderr);
      child.exitCode = answer.code;
      child.emit('exit', answer.code, null);
      child.stdout.end();
      child.stderr.end();
      child.emit('close', answer.code, null);
    });
    return child as unknown as ChildProcess;
  };
  const lms = createLmsCli({ path: '/fake/lms', spawn, registry, clock: systemClock, logger, platform: 'linux' });
  return { lms, calls };
}

const replay = (stderr: string, code: number): Reply => ({ stderr: fixtureText(stderr), code });

async function rejection(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

const PATH = 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf';

describe('estimate', () => {
  it('runs `load --estimate-only --yes` with the memory options and the key last; the TTL is left out', async () => {
    const { lms, calls } = fakeLms(() => replay('estimate-gib-pass.stderr', 0));
    const result = await lms.estimate('qwen/qwen3-4b', { contextLength: 8192, gpuOffload: 'max', ttlSeconds: 600 });
    expect(calls).toEqual([
      ['load', '--estimate-only', '--yes', '--context-length', '8192', '--gpu', 'max', 'qwen/qwen3-4b'],
    ]);
    expect(result).toEqual({
      supported: true,
      estimate: {
        model: 'qwen/qwen3-4b',
        gpuBytes: Math.round(5.2 * 1024 ** 3),
        totalBytes: Math.round(5.2 * 1024 ** 3),
        confidence: 'high',
        passesGuardrails: true,
      },
    });
  });

  it('with a path, `--exact PATH` takes the key’s place (`--exact` is a switch)', async () => {
    const { lms, calls } = fakeLms(() => replay('estimate-gb-path.stderr', 0));
    const result = await lms.estimate('qwen/qwen3-4b', { gpuOffload: 0.5 }, PATH);
    expect(calls).toEqual([['load', '--estimate-only', '--yes', '--gpu', '0.5', '--exact', PATH]]);
    expect(result).toMatchObject({ supported: true, estimate: { model: PATH, passesGuardrails: false } });
  });

  it('"will fail to load" exits 0 too: an estimate that does not pass, not an error', async () => {
    const { lms } = fakeLms(() => replay('estimate-gib-fail-low.stderr', 0));
    expect(await lms.estimate('openai/gpt-oss-120b', { gpuOffload: 'off' })).toMatchObject({
      supported: true,
      estimate: { confidence: 'low', passesGuardrails: false },
    });
  });

  it("an lms without --estimate-only (commander's unknown-option error, exit 1) is unsupported", async () => {
    const { lms } = fakeLms(() => replay('estimate-unknown-option.stderr', 1));
    expect(await lms.estimate('qwen/qwen3-4b', {})).toEqual({ supported: false });
  });

  it('a model lms does not have is not-found', async () => {
    const { lms } = fakeLms(() => replay('estimate-not-found.stderr', 1));
    const error = await rejection(lms.estimate('nope/nope', {}));
    expect(error).toMatchObject({
      code: 'not-found',
      message: 'No downloaded model matches "nope/nope", so LM Studio cannot estimate it.',
    });
  });

  it("an estimator that threw (stack on stderr, exit 1) fails with lms's Error: line, not the stack", async () => {
    const { lms } = fakeLms(() => ({
      stderr: 'Error: Memory estimate unavailable for this model\n    at estimate (/snapshot/lms/dist/index.js:1:1)\n',
      code: 1,
    }));
    const error = await rejection(lms.estimate('qwen/qwen3-4b', {}));
    expect(error).toMatchObject({ code: 'lms-failed', message: 'Memory estimate unavailable for this model' });
  });

  it('exit 0 without an estimate is a failure that says so', async () => {
    const { lms } = fakeLms(() => ({ stderr: 'Waking up LM Studio service...\n', code: 0 }));
    const error = await rejection(lms.estimate('qwen/qwen3-4b', {}));
    expect(error.message).toBe('`lms load --estimate-only --yes qwen/qwen3-4b` printed no estimate.');
  });

  it('validates the key, the path and the options before anything runs', async () => {
    const { lms, calls } = fakeLms(() => replay('estimate-gib-pass.stderr', 0));
    expect((await rejection(lms.estimate('--help', {}))).code).toBe('invalid-input');
    expect((await rejection(lms.estimate('qwen/qwen3-4b', {}, '../../etc/passwd'))).code).toBe('invalid-input');
    expect((await rejection(lms.estimate('qwen/qwen3-4b', {}, '--all'))).code).toBe('invalid-input');
    expect((await rejection(lms.estimate('qwen/qwen3-4b', { contextLength: 12.5 }))).code).toBe('invalid-input');
    expect((await rejection(lms.estimate('qwen/qwen3-4b', { gpuOffload: 2 }))).code).toBe('invalid-input');
    expect(calls).toEqual([]);
  });

  it('estimateArguments puts the flags before the target', () => {
    expect(estimateArguments('a/b', { contextLength: 4096 })).toEqual([
      'load',
      '--estimate-only',
      '--yes',
      '--context-length',
      '4096',
      'a/b',
    ]);
    expect(estimateArguments('a/b', {}, 'a/b-GGUF/b.gguf')).toEqual([
      'load',
      '--estimate-only',
      '--yes',
      '--exact',
      'a/b-GGUF/b.gguf',
    ]);
  });
});

describe('runtimeSurvey and lsPaths', () => {
  it('runtime survey --json: the capacities', async () => {
    const { lms, calls } = fakeLms(() => ({ stdout: fixtureText('runtime-survey-capitalised.stdout'), code: 0 }));
    expect(await lms.runtimeSurvey()).toEqual({
      ramBytes: 66_206_793_728,
      vramBytes: 34_208_743_424,
      totalMemoryBytes: 100_415_537_152,
      gpus: [{ name: 'AMD Radeon RX 7900 XTX', vramBytes: 25_753_026_560 }],
    });
    expect(calls).toEqual([['runtime', 'survey', '--json']]);
  });

  it('an lms without `runtime survey` fails with its own words', async () => {
    const { lms } = fakeLms(() => ({ stderr: "error: unknown command 'survey'\n", code: 1 }));
    expect(await rejection(lms.runtimeSurvey())).toMatchObject({
      code: 'lms-failed',
      message: "error: unknown command 'survey'",
    });
  });

  it('ls --json: keys with paths', async () => {
    const { lms, calls } = fakeLms(() => ({
      stdout: `${JSON.stringify([{ type: 'llm', modelKey: 'qwen/qwen3-4b', path: PATH }])}\n`,
      code: 0,
    }));
    expect(await lms.lsPaths?.()).toEqual([{ modelKey: 'qwen/qwen3-4b', path: PATH }]);
    expect(calls).toEqual([['ls', '--json']]);
  });
});

describe("a real load that LM Studio's guardrails refuse", () => {
  it.each([
    ['load-guardrail.stderr', ' (it needs about 22.92 GB)'],
    ['load-guardrail-legacy.stderr', ''],
  ])('%s: one message naming the setting, no stack trace', async (fixture, needs) => {
    const { lms } = fakeLms(() => replay(fixture, 1));
    const error = await rejection(lms.load('qwen/qwen3-4b', { contextLength: 110_000 }, () => {}));
    expect(error).toMatchObject({
      code: 'lms-failed',
      message: `LM Studio refused to load qwen/qwen3-4b: its "Model loading guardrails" setting says there is not enough memory${needs}. Choose a shorter context length or less GPU offload, unload another model, or change "Model loading guardrails" in LM Studio's settings.`,
    });
  });
});
