/**
 * The memory meter's reading: the loaded models' sizes (an instance's own, else its model's)
 * against the survey's total when known, else the OS's; local servers only; nothing loaded while
 * LM Studio is closed; no sum when a size is unknown; the survey asked only for a local server.
 */
import { describe, expect, it } from 'vitest';
import { memoryUse, RAM_UNKNOWN, readMemoryUse } from '../../../../electron/core/fit/memory-use';
import type { RuntimeSurvey } from '../../../../electron/core/interfaces';
import type { Logger } from '../../../../electron/core/ports';
import type { LoadedInstance, ModelEntry, ModelsSnapshot, ServerStatus } from '../../../../electron/shared/contract';

const GiB = 1024 ** 3;
const RAM = { totalBytes: 32 * GiB, freeBytes: 12 * GiB };
const SURVEY: RuntimeSurvey = {
  ramBytes: 32 * GiB,
  vramBytes: 8 * GiB,
  totalMemoryBytes: 40 * GiB,
  gpus: [{ name: 'NVIDIA GeForce RTX 4060', vramBytes: 8 * GiB }],
};

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

function instance(identifier: string, modelKey: string, sizeBytes: number | null): LoadedInstance {
  return { identifier, modelKey, contextLength: 4096, ttlMs: null, lastUsedTime: null, activity: null, sizeBytes };
}

function model(key: string, sizeBytes: number | null): ModelEntry {
  return {
    key,
    displayName: key,
    publisher: null,
    type: 'llm',
    format: 'gguf',
    quantization: null,
    paramsString: null,
    sizeBytes,
    maxContextLength: null,
    vision: false,
    toolUse: false,
    reasoning: false,
    loadedInstances: [],
  };
}

function models(loaded: LoadedInstance[], entries: ModelEntry[] = []): ModelsSnapshot {
  return { models: entries, loaded, stale: false, updatedAt: 0, source: 'v1' };
}

describe('memoryUse', () => {
  it("adds up each instance's size, else its model's, against the survey's total", () => {
    const answer = memoryUse({
      status: status(),
      models: models(
        [
          instance('qwen/qwen3-4b', 'qwen/qwen3-4b', 2_497_280_256),
          instance('gemma-3-1b:2', 'google/gemma-3-1b', null),
        ],
        [model('google/gemma-3-1b', 720_425_472), model('qwen/qwen3-4b', 99 * GiB)],
      ),
      survey: SURVEY,
      ram: RAM,
    });
    expect(answer).toEqual({
      known: true,
      memory: {
        modelsBytes: 2_497_280_256 + 720_425_472,
        totalBytes: 40 * GiB,
        totalFrom: 'runtime-survey',
        ramTotalBytes: 32 * GiB,
        ramFreeBytes: 12 * GiB,
        vramTotalBytes: 8 * GiB,
      },
    });
  });

  it("falls back to the OS's RAM total without a survey, or one without totalMemory (VRAM still shown)", () => {
    const loaded = models([instance('a', 'a', GiB)]);
    expect(memoryUse({ status: status(), models: loaded, survey: null, ram: RAM })).toEqual({
      known: true,
      memory: {
        modelsBytes: GiB,
        totalBytes: 32 * GiB,
        totalFrom: 'os',
        ramTotalBytes: 32 * GiB,
        ramFreeBytes: 12 * GiB,
        vramTotalBytes: null,
      },
    });
    const noTotal = memoryUse({
      status: status(),
      models: loaded,
      survey: { ...SURVEY, totalMemoryBytes: null },
      ram: RAM,
    });
    expect(noTotal).toMatchObject({
      known: true,
      memory: { totalBytes: 32 * GiB, totalFrom: 'os', vramTotalBytes: 8 * GiB },
    });
  });

  it('nothing loaded: zero of the total; LM Studio closed: zero whatever list was last read', () => {
    expect(memoryUse({ status: status(), models: models([]), survey: SURVEY, ram: RAM })).toMatchObject({
      known: true,
      memory: { modelsBytes: 0, totalBytes: 40 * GiB },
    });
    const closed = memoryUse({
      status: status({ state: 'offline', lmStudioClosed: true }),
      models: models([instance('a', 'a', GiB)]),
      survey: null,
      ram: RAM,
    });
    expect(closed).toMatchObject({ known: true, memory: { modelsBytes: 0 } });
    // Not answering, not known to be closed: the last known list still counts.
    const stuck = memoryUse({
      status: status({ state: 'not-responding' }),
      models: models([instance('a', 'a', GiB)]),
      survey: null,
      ram: RAM,
    });
    expect(stuck).toMatchObject({ known: true, memory: { modelsBytes: GiB } });
  });

  it('a remote server: not this machine, said in one line', () => {
    const answer = memoryUse({
      status: status({ remote: true, baseUrl: 'http://192.168.1.20:1234' }),
      models: models([instance('a', 'a', GiB)]),
      survey: null,
      ram: RAM,
    });
    expect(answer).toEqual({
      known: false,
      reason: "LM Studio runs on another computer (192.168.1.20:1234): its models use that computer's memory.",
    });
  });

  it('a loaded model of unknown size: no sum that would show too little', () => {
    const answer = memoryUse({
      status: status({ apiGeneration: 'openai' }),
      models: models([instance('a', 'a', GiB), instance('mystery', 'mystery', null)], [model('mystery', null)]),
      survey: SURVEY,
      ram: RAM,
    });
    expect(answer).toEqual({
      known: false,
      reason: 'LM Studio did not say how big mystery is, so the memory used by models cannot be added up.',
    });
  });

  it("the OS's memory unreadable: says so", () => {
    expect(memoryUse({ status: status(), models: models([]), survey: SURVEY, ram: null })).toEqual({
      known: false,
      reason: RAM_UNKNOWN,
    });
  });
});

describe('readMemoryUse', () => {
  const logged: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: (message) => logged.push(message),
    warn: (message) => logged.push(message),
    error: () => {},
  };

  it('reads the survey for a local server and the RAM on every call', async () => {
    let surveys = 0;
    let free = 12 * GiB;
    const options = {
      status: () => status(),
      models: () => models([instance('a', 'a', GiB)]),
      runtimeSurvey: async () => {
        surveys += 1;
        return SURVEY;
      },
      systemMemory: () => ({ totalBytes: 32 * GiB, freeBytes: free }),
      logger,
    };
    expect(await readMemoryUse(options)).toMatchObject({
      known: true,
      memory: { modelsBytes: GiB, totalBytes: 40 * GiB, totalFrom: 'runtime-survey', ramFreeBytes: 12 * GiB },
    });
    free = 3 * GiB;
    expect(await readMemoryUse(options)).toMatchObject({ known: true, memory: { ramFreeBytes: 3 * GiB } });
    expect(surveys).toBe(2);
  });

  it('never asks for the survey for a remote server', async () => {
    let surveys = 0;
    const answer = await readMemoryUse({
      status: () => status({ remote: true, baseUrl: 'http://gpu-box:1234' }),
      models: () => models([]),
      runtimeSurvey: async () => {
        surveys += 1;
        return SURVEY;
      },
      systemMemory: () => RAM,
      logger,
    });
    expect(answer).toMatchObject({ known: false, reason: expect.stringContaining('gpu-box:1234') });
    expect(surveys).toBe(0);
  });

  it('a failing survey or RAM reading leaves the OS total, or the reason, and a log line', async () => {
    logged.length = 0;
    const failingSurvey = await readMemoryUse({
      status: () => status(),
      models: () => models([]),
      runtimeSurvey: async () => {
        throw new Error('boom');
      },
      systemMemory: () => RAM,
      logger,
    });
    expect(failingSurvey).toMatchObject({ known: true, memory: { totalBytes: 32 * GiB, totalFrom: 'os' } });
    const failingRam = await readMemoryUse({
      status: () => status(),
      models: () => models([]),
      runtimeSurvey: async () => SURVEY,
      systemMemory: () => {
        throw new Error('no /proc');
      },
      logger,
    });
    expect(failingRam).toEqual({ known: false, reason: RAM_UNKNOWN });
    expect(logged).toEqual([
      'The runtime survey could not be read; the OS total stands in',
      "Could not read the machine's memory",
    ]);
  });
});
