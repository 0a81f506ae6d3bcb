/**
 * The memory estimator with a fake lms that records every run: it never runs a waking command
 * while LM Studio is down, asks for exactly the model (`--exact PATH`, or an unambiguous key),
 * checks the `Model:` line, caches per model and options until the loaded set changes, shares a
 * run between identical requests, finds out once that an lms is too old, and says why in one line
 * whenever there is no estimate.
 */
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../../electron/core/errors';
import {
  createMemoryEstimator,
  ESTIMATES_OFF,
  LMS_NOT_FOUND,
  NOT_RUNNING,
  TOO_OLD,
} from '../../../../electron/core/fit/memory';
import type { LmsCli, LmsEstimate, RuntimeSurvey } from '../../../../electron/core/interfaces';
import type { Logger } from '../../../../electron/core/ports';
import type { LoadOptions, ServerStatus } from '../../../../electron/shared/contract';

const GiB = 1024 ** 3;
const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const QWEN_PATH = 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf';
const SURVEY: RuntimeSurvey = {
  ramBytes: 64 * GiB,
  vramBytes: 24 * GiB,
  totalMemoryBytes: 88 * GiB,
  gpus: [{ name: 'NVIDIA GeForce RTX 4090', vramBytes: 24 * GiB }],
};
const WAKING = ['lsPaths', 'ls', 'runtimeSurvey', 'estimate'];

function status(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    state: 'online',
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
    lmStudioClosed: false,
    ...overrides,
  };
}

interface FakeLmsOptions {
  models?: Array<{ modelKey: string; path: string | null }>;
  /** What `estimate` answers (the `Model:` line defaults to the key asked for). */
  estimate?: (
    modelKey: string,
    options: LoadOptions,
    exactPath?: string,
  ) => Promise<{ supported: true; estimate: LmsEstimate } | { supported: false }>;
  survey?: () => Promise<RuntimeSurvey>;
  /** Without `lsPaths` (an lms implementation that cannot list paths). */
  noPaths?: boolean;
}

/** A fake lms: `running` is what `lms daemon status` says; `calls` records every run, in order. */
function fakeLms(options: FakeLmsOptions = {}) {
  const calls: Array<{ name: string; args: unknown[] }> = [];
  const state = { running: true, models: options.models ?? [{ modelKey: 'qwen/qwen3-4b', path: QWEN_PATH }] };
  const record = (name: string, ...args: unknown[]) => {
    calls.push({ name, args });
    if (WAKING.includes(name) && !state.running) throw new Error(`${name} ran while LM Studio was down`);
  };
  const lms = {
    daemonStatus: async () => {
      record('daemonStatus');
      return { running: state.running, pid: state.running ? 42 : null };
    },
    ls: async () => {
      record('ls');
      return state.models.map((model) => ({ key: model.modelKey }));
    },
    ...(options.noPaths
      ? {}
      : {
          lsPaths: async () => {
            record('lsPaths');
            return state.models.map((model) => ({ ...model }));
          },
        }),
    runtimeSurvey: async () => {
      record('runtimeSurvey');
      return options.survey ? options.survey() : SURVEY;
    },
    estimate: async (modelKey: string, loadOptions: LoadOptions, exactPath?: string) => {
      record('estimate', modelKey, loadOptions, exactPath);
      if (options.estimate) return options.estimate(modelKey, loadOptions, exactPath);
      return {
        supported: true as const,
        estimate: {
          model: modelKey,
          gpuBytes: 5 * GiB + (loadOptions.contextLength ?? 0) * 1024,
          totalBytes: 6 * GiB + (loadOptions.contextLength ?? 0) * 1024,
          confidence: 'high' as const,
          passesGuardrails: true,
        },
      };
    },
  } as unknown as LmsCli;
  const names = () => calls.map((call) => call.name);
  return { lms, calls, names, state };
}

function estimator(
  lms: LmsCli | null,
  overrides: { status?: () => ServerStatus; enabled?: () => boolean; lms?: () => LmsCli | null } = {},
) {
  return createMemoryEstimator({
    lms: overrides.lms ?? (() => lms),
    status: overrides.status ?? (() => status()),
    systemMemory: () => ({ totalBytes: 32 * GiB, freeBytes: 12 * GiB }),
    enabled: overrides.enabled ?? (() => true),
    logger,
  });
}

describe('an estimate', () => {
  it('asks for exactly the model (--exact with its path), after checking LM Studio runs before every run', async () => {
    const fake = fakeLms();
    const answer = await estimator(fake.lms).estimate('qwen/qwen3-4b', { contextLength: 8192, gpuOffload: 'max' });
    expect(answer).toEqual({
      estimate: {
        modelKey: 'qwen/qwen3-4b',
        options: { contextLength: 8192, gpuOffload: 'max' },
        gpuBytes: 5 * GiB + 8192 * 1024,
        totalBytes: 6 * GiB + 8192 * 1024,
        confidence: 'high',
        passesGuardrails: true,
      },
      unavailableReason: null,
      memory: {
        ramTotalBytes: 32 * GiB,
        ramFreeBytes: 12 * GiB,
        vramTotalBytes: 24 * GiB,
        gpus: [{ name: 'NVIDIA GeForce RTX 4090', vramBytes: 24 * GiB }],
      },
    });
    expect(fake.names()).toEqual([
      'daemonStatus',
      'lsPaths',
      'daemonStatus',
      'runtimeSurvey',
      'daemonStatus',
      'estimate',
    ]);
    expect(fake.calls.at(-1)?.args).toEqual(['qwen/qwen3-4b', { contextLength: 8192, gpuOffload: 'max' }, QWEN_PATH]);
  });

  it('accepts a `Model:` line that names the path (builds before 2026-02-11)', async () => {
    const fake = fakeLms({
      estimate: async () => ({
        supported: true,
        estimate: { model: QWEN_PATH, gpuBytes: null, totalBytes: GiB, confidence: 'low', passesGuardrails: false },
      }),
    });
    const answer = await estimator(fake.lms).estimate('qwen/qwen3-4b', {});
    expect(answer.estimate).toMatchObject({
      gpuBytes: null,
      totalBytes: GiB,
      confidence: 'low',
      passesGuardrails: false,
    });
  });

  it('a `Model:` line naming another model is no estimate, and says so', async () => {
    const fake = fakeLms({
      estimate: async () => ({
        supported: true,
        estimate: {
          model: 'qwen/qwen3-4b-2507',
          gpuBytes: GiB,
          totalBytes: GiB,
          confidence: 'high',
          passesGuardrails: true,
        },
      }),
    });
    const memory = estimator(fake.lms);
    const answer = await memory.estimate('qwen/qwen3-4b', {});
    expect(answer.estimate).toBeNull();
    expect(answer.unavailableReason).toBe(
      'LM Studio estimated qwen/qwen3-4b-2507 instead of qwen/qwen3-4b, so no estimate is shown.',
    );
    // What LM Studio said is kept like an estimate: asking again runs nothing.
    const runs = fake.calls.length;
    expect((await memory.estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(answer.unavailableReason);
    expect(fake.calls).toHaveLength(runs);
  });
});

describe('never wakes LM Studio', () => {
  it('runs nothing at all while the status says LM Studio is closed', async () => {
    const fake = fakeLms();
    for (const closed of [status({ state: 'offline' }), status({ state: 'server-stopped', lmStudioClosed: true })]) {
      const answer = await estimator(fake.lms, { status: () => closed }).estimate('qwen/qwen3-4b', {});
      expect(answer).toMatchObject({ estimate: null, unavailableReason: NOT_RUNNING });
      expect(answer.memory).toEqual({
        ramTotalBytes: 32 * GiB,
        ramFreeBytes: 12 * GiB,
        vramTotalBytes: null,
        gpus: [],
      });
    }
    expect(fake.calls).toEqual([]);
  });

  it('when `lms daemon status` says it is not running, only that non-waking check runs', async () => {
    const fake = fakeLms();
    fake.state.running = false;
    const answer = await estimator(fake.lms).estimate('qwen/qwen3-4b', {});
    expect(answer.unavailableReason).toBe(NOT_RUNNING);
    expect(fake.names()).toEqual(['daemonStatus']);
  });

  it('LM Studio quitting between two runs stops the next one', async () => {
    const fake = fakeLms({
      survey: async () => {
        fake.state.running = false; // it quits while the survey runs
        return SURVEY;
      },
    });
    const answer = await estimator(fake.lms).estimate('qwen/qwen3-4b', {});
    expect(answer.unavailableReason).toBe(NOT_RUNNING);
    expect(fake.names()).toEqual(['daemonStatus', 'lsPaths', 'daemonStatus', 'runtimeSurvey', 'daemonStatus']);
  });
});

describe('cache', () => {
  it('keeps each model and options; the TTL does not count; the survey and the list run once a session', async () => {
    const fake = fakeLms();
    const memory = estimator(fake.lms);
    await memory.estimate('qwen/qwen3-4b', { contextLength: 4096 });
    const first = fake.calls.length;
    const again = await memory.estimate('qwen/qwen3-4b', { contextLength: 4096, ttlSeconds: 600 });
    expect(fake.calls).toHaveLength(first);
    expect(again.estimate?.options).toEqual({ contextLength: 4096, ttlSeconds: 600 });
    await memory.estimate('qwen/qwen3-4b', { contextLength: 8192 });
    expect(fake.names().slice(first)).toEqual(['daemonStatus', 'estimate']);
  });

  it('is cleared when the loaded set changes (LM Studio counts what is loaded)', async () => {
    const fake = fakeLms();
    const memory = estimator(fake.lms);
    await memory.estimate('qwen/qwen3-4b', {});
    const before = fake.calls.length;
    memory.loadedChanged();
    await memory.estimate('qwen/qwen3-4b', {});
    expect(fake.names().slice(before)).toEqual(['daemonStatus', 'estimate']);
  });

  it('a new LM Studio session reads the list and runs the survey again', async () => {
    const fake = fakeLms();
    const memory = estimator(fake.lms);
    await memory.estimate('qwen/qwen3-4b', {});
    const before = fake.calls.length;
    memory.sessionEnded();
    await memory.estimate('qwen/qwen3-4b', {});
    expect(fake.names().slice(before)).toEqual([
      'daemonStatus',
      'lsPaths',
      'daemonStatus',
      'runtimeSurvey',
      'daemonStatus',
      'estimate',
    ]);
  });

  it('identical requests in flight share one run', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fake = fakeLms({
      estimate: async (modelKey) => {
        await gate;
        return {
          supported: true,
          estimate: { model: modelKey, gpuBytes: GiB, totalBytes: 2 * GiB, confidence: 'high', passesGuardrails: true },
        };
      },
    });
    const memory = estimator(fake.lms);
    const first = memory.estimate('qwen/qwen3-4b', {});
    const second = memory.estimate('qwen/qwen3-4b', { ttlSeconds: 60 });
    await waitUntil(() => fake.names().includes('estimate'));
    release();
    expect((await first).estimate?.totalBytes).toBe(2 * GiB);
    expect((await second).estimate).toMatchObject({ totalBytes: 2 * GiB, options: { ttlSeconds: 60 } });
    expect(fake.names().filter((name) => name === 'estimate')).toHaveLength(1);
  });

  it('different requests run one at a time', async () => {
    let running = 0;
    let most = 0;
    const fake = fakeLms({
      estimate: async (modelKey, loadOptions) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        const totalBytes = (loadOptions.contextLength ?? 0) * 1024;
        return {
          supported: true,
          estimate: { model: modelKey, gpuBytes: null, totalBytes, confidence: 'high', passesGuardrails: true },
        };
      },
    });
    const memory = estimator(fake.lms);
    const answers = await Promise.all(
      [2048, 4096, 8192].map((contextLength) => memory.estimate('qwen/qwen3-4b', { contextLength })),
    );
    expect(answers.map((answer) => answer.estimate?.totalBytes)).toEqual([2048 * 1024, 4096 * 1024, 8192 * 1024]);
    expect(most).toBe(1);
  });

  it('a run that started before the loaded set changed is answered but not kept', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const fake = fakeLms({
      estimate: async (modelKey) => {
        runs += 1;
        if (runs === 1) await gate;
        return {
          supported: true,
          estimate: {
            model: modelKey,
            gpuBytes: GiB,
            totalBytes: runs * GiB,
            confidence: 'high',
            passesGuardrails: true,
          },
        };
      },
    });
    const memory = estimator(fake.lms);
    const stale = memory.estimate('qwen/qwen3-4b', {});
    await waitUntil(() => runs === 1);
    memory.loadedChanged();
    const fresh = memory.estimate('qwen/qwen3-4b', {}); // does not join the stale run
    release();
    expect((await stale).estimate?.totalBytes).toBe(GiB);
    expect((await fresh).estimate?.totalBytes).toBe(2 * GiB);
    expect((await memory.estimate('qwen/qwen3-4b', {})).estimate?.totalBytes).toBe(2 * GiB);
    expect(runs).toBe(2);
  });

  it('a failed lms run is said in one line and tried again next time', async () => {
    let fail = true;
    const fake = fakeLms({
      estimate: async (modelKey) => {
        if (fail) throw new CoreError('lms-failed', 'Memory estimate unavailable for this model');
        return {
          supported: true,
          estimate: { model: modelKey, gpuBytes: GiB, totalBytes: GiB, confidence: 'high', passesGuardrails: true },
        };
      },
    });
    const memory = estimator(fake.lms);
    expect((await memory.estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(
      'LM Studio could not estimate qwen/qwen3-4b: Memory estimate unavailable for this model',
    );
    fail = false;
    expect((await memory.estimate('qwen/qwen3-4b', {})).estimate).not.toBeNull();
  });
});

describe('support', () => {
  it('an lms without --estimate-only is found out once: every later answer says so without running lms', async () => {
    const fake = fakeLms({ estimate: async () => ({ supported: false }) });
    const memory = estimator(fake.lms);
    expect((await memory.estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(TOO_OLD);
    const runs = fake.calls.length;
    memory.loadedChanged();
    memory.sessionEnded();
    expect((await memory.estimate('qwen/qwen3-4b', { contextLength: 8192 })).unavailableReason).toBe(TOO_OLD);
    expect((await memory.estimate('other/model', {})).unavailableReason).toBe(TOO_OLD);
    expect(fake.calls).toHaveLength(runs);
    expect(fake.names().filter((name) => name === 'estimate')).toHaveLength(1);
  });

  it('another lms (a new path in Settings) is asked afresh', async () => {
    const old = fakeLms({ estimate: async () => ({ supported: false }) });
    const current = fakeLms();
    let lms = old.lms;
    const memory = estimator(null, { lms: () => lms });
    expect((await memory.estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(TOO_OLD);
    lms = current.lms;
    expect((await memory.estimate('qwen/qwen3-4b', {})).estimate).not.toBeNull();
  });
});

describe('the exact model', () => {
  it('without a usable path, an unambiguous key is estimated by its key', async () => {
    const fake = fakeLms({
      models: [
        { modelKey: 'qwen/qwen3-4b', path: null },
        { modelKey: 'google/gemma-3-1b', path: 'lmstudio-community/gemma-3-1b-GGUF/gemma-3-1b-Q4_K_M.gguf' },
      ],
    });
    const answer = await estimator(fake.lms).estimate('qwen/qwen3-4b', {});
    expect(answer.estimate).not.toBeNull();
    expect(fake.calls.at(-1)?.args).toEqual(['qwen/qwen3-4b', {}, undefined]);
  });

  it('a path lms may not be given is not used: the key stands in when unambiguous, and a `Model:` line naming that path is accepted', async () => {
    const odd = 'odd folder/model file.gguf';
    const fake = fakeLms({
      models: [{ modelKey: 'qwen/qwen3-4b', path: odd }],
      estimate: async () => ({
        supported: true,
        estimate: { model: odd, gpuBytes: GiB, totalBytes: GiB, confidence: 'high', passesGuardrails: true },
      }),
    });
    expect((await estimator(fake.lms).estimate('qwen/qwen3-4b', {})).estimate).not.toBeNull();
    expect(fake.calls.at(-1)?.args).toEqual(['qwen/qwen3-4b', {}, undefined]);
  });

  it('without a path, a key that also matches another model (key or path) is not estimated, and says why', async () => {
    for (const rival of [
      { modelKey: 'qwen/qwen3-4b-2507', path: null },
      { modelKey: 'other', path: 'qwen/qwen3-4b-thinking/model.gguf' },
    ]) {
      const fake = fakeLms({ models: [{ modelKey: 'qwen/qwen3-4b', path: null }, rival] });
      const answer = await estimator(fake.lms).estimate('qwen/qwen3-4b', {});
      expect(answer).toMatchObject({
        estimate: null,
        unavailableReason: `lms matches names loosely: qwen/qwen3-4b also matches ${rival.modelKey}, so it cannot be estimated exactly.`,
      });
      expect(fake.names()).not.toContain('estimate');
    }
  });

  it('an lms that cannot list paths falls back to the keys of `lms ls`', async () => {
    const fake = fakeLms({ noPaths: true });
    expect((await estimator(fake.lms).estimate('qwen/qwen3-4b', {})).estimate).not.toBeNull();
    expect(fake.names()).toContain('ls');
    expect(fake.calls.at(-1)?.args).toEqual(['qwen/qwen3-4b', {}, undefined]);
  });

  it('a model not downloaded: the list is read again once (it may have just finished), then it says so', async () => {
    const fake = fakeLms();
    const memory = estimator(fake.lms);
    await memory.estimate('qwen/qwen3-4b', {});
    const before = fake.calls.length;
    const answer = await memory.estimate('google/gemma-3-1b', {});
    expect(answer.unavailableReason).toBe(
      'google/gemma-3-1b is not among the downloaded models, so it cannot be estimated.',
    );
    expect(fake.names().slice(before)).toEqual(['daemonStatus', 'lsPaths']);

    fake.state.models.push({ modelKey: 'google/gemma-3-1b', path: 'google/gemma-3-1b-GGUF/gemma-3-1b.gguf' });
    expect((await memory.estimate('google/gemma-3-1b', {})).estimate).not.toBeNull();
  });

  it("lms's own not-found is the same sentence", async () => {
    const fake = fakeLms({
      estimate: async () => {
        throw new CoreError('not-found', 'No downloaded model matches "qwen/qwen3-4b".');
      },
    });
    expect((await estimator(fake.lms).estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(
      'qwen/qwen3-4b is not among the downloaded models, so it cannot be estimated.',
    );
  });
});

describe('where no estimate can be had', () => {
  it('the setting off, a remote server, no lms: one line each, nothing run', async () => {
    const fake = fakeLms();
    expect((await estimator(fake.lms, { enabled: () => false }).estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(
      ESTIMATES_OFF,
    );
    const remote = status({ remote: true, baseUrl: 'http://studio.lan:1234' });
    expect((await estimator(fake.lms, { status: () => remote }).estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(
      'LM Studio runs on another computer (studio.lan:1234): memory can only be estimated where it runs.',
    );
    expect((await estimator(null).estimate('qwen/qwen3-4b', {})).unavailableReason).toBe(LMS_NOT_FOUND);
    expect(fake.calls).toEqual([]);
  });

  it('a failed survey leaves VRAM unknown for the session, and the estimate is still given', async () => {
    const fake = fakeLms({
      survey: async () => {
        throw new CoreError('lms-failed', "error: unknown command 'survey'");
      },
    });
    const memory = estimator(fake.lms);
    const answer = await memory.estimate('qwen/qwen3-4b', {});
    expect(answer.estimate).not.toBeNull();
    expect(answer.memory).toMatchObject({ vramTotalBytes: null, gpus: [] });
    memory.loadedChanged();
    await memory.estimate('qwen/qwen3-4b', {});
    expect(fake.names().filter((name) => name === 'runtimeSurvey')).toHaveLength(1);
  });
});

describe('the survey for the memory meter (runtimeSurvey)', () => {
  it("is the estimates' survey: run once a session (after the non-waking check), shared both ways", async () => {
    const fake = fakeLms();
    const memory = estimator(fake.lms);
    expect(await memory.runtimeSurvey()).toEqual(SURVEY);
    expect(fake.names()).toEqual(['daemonStatus', 'runtimeSurvey']);
    expect(await memory.runtimeSurvey()).toEqual(SURVEY);
    await memory.estimate('qwen/qwen3-4b', {});
    expect(fake.names().filter((name) => name === 'runtimeSurvey')).toHaveLength(1);

    // The other way round: a survey an estimate ran is read without running anything.
    const afterEstimate = fakeLms();
    const estimated = estimator(afterEstimate.lms);
    await estimated.estimate('qwen/qwen3-4b', {});
    const before = afterEstimate.calls.length;
    expect(await estimated.runtimeSurvey()).toEqual(SURVEY);
    expect(afterEstimate.calls).toHaveLength(before);

    memory.sessionEnded();
    await memory.runtimeSurvey();
    expect(fake.names().filter((name) => name === 'runtimeSurvey')).toHaveLength(2);
  });

  it('never wakes LM Studio: nothing runs while the status says it is closed, only the check when lms says so', async () => {
    const fake = fakeLms();
    for (const closed of [status({ state: 'offline' }), status({ state: 'server-stopped', lmStudioClosed: true })]) {
      expect(await estimator(fake.lms, { status: () => closed }).runtimeSurvey()).toBeNull();
    }
    expect(fake.calls).toEqual([]);
    fake.state.running = false;
    const memory = estimator(fake.lms);
    expect(await memory.runtimeSurvey()).toBeNull();
    expect(fake.names()).toEqual(['daemonStatus']);
    // Started since: the next reading surveys.
    fake.state.running = true;
    expect(await memory.runtimeSurvey()).toEqual(SURVEY);
  });

  it('keeps what this session surveyed while the status says closed, until the session ends', async () => {
    const fake = fakeLms();
    let current = status();
    const memory = estimator(fake.lms, { status: () => current });
    await memory.runtimeSurvey();
    current = status({ state: 'offline' });
    expect(await memory.runtimeSurvey()).toEqual(SURVEY);
    memory.sessionEnded();
    expect(await memory.runtimeSurvey()).toBeNull();
    expect(fake.names()).toEqual(['daemonStatus', 'runtimeSurvey']);
  });

  it('a remote server or no lms: null, nothing run; the estimates setting does not matter', async () => {
    const fake = fakeLms();
    const remote = status({ remote: true, baseUrl: 'http://studio.lan:1234' });
    expect(await estimator(fake.lms, { status: () => remote }).runtimeSurvey()).toBeNull();
    expect(await estimator(null).runtimeSurvey()).toBeNull();
    expect(fake.calls).toEqual([]);
    expect(await estimator(fake.lms, { enabled: () => false }).runtimeSurvey()).toEqual(SURVEY);
  });

  it('a failed survey is null for the session and not run again', async () => {
    const fake = fakeLms({
      survey: async () => {
        throw new CoreError('lms-failed', "error: unknown command 'survey'");
      },
    });
    const memory = estimator(fake.lms);
    expect(await memory.runtimeSurvey()).toBeNull();
    expect(await memory.runtimeSurvey()).toBeNull();
    expect(fake.names()).toEqual(['daemonStatus', 'runtimeSurvey']);
  });
});

/** Polls until `condition` holds (a run reached the fake), without timing anything. */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !condition(); turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}
