/**
 * The memory parsers against recordings of lms (fixtures/estimate-*, runtime-survey-*): GiB
 * builds (since 2026-02-07) and GB builds, both verdicts, `Confidence: LOW`, the optional lines,
 * a `Model:` line with a key or (builds before 2026-02-11) a path, leaked colour codes; the
 * unknown-option error of an lms without `--estimate-only`; both enum casings of the survey.
 */
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../../../electron/core/errors';
import type { LmsEstimate } from '../../../../../electron/core/interfaces';
import {
  isEstimateUnsupported,
  parseEstimateOutput,
  parseMemorySize,
  parseRuntimeSurveyJson,
} from '../../../../../electron/core/lmstudio/lms/estimate-parsers';
import { parseLsPathsJson } from '../../../../../electron/core/lmstudio/lms/parsers';
import { CHUNK_SIZES, decodedChunks, fixtureBytes, fixtureText } from './fixtures';

const GiB = 1024 ** 3;

describe('parseMemorySize', () => {
  it.each([
    ['5.20 GiB', Math.round(5.2 * GiB)],
    ['65.68 GB', 65_680_000_000],
    ['512.00 MiB', 512 * 1024 ** 2],
    ['1.50 TiB', Math.round(1.5 * 1024 ** 4)],
    ['900.00 KB', 900_000],
    ['0 GiB', 0],
    ['0 Bytes', 0],
    ['12 B', 12],
  ])('%s -> %d bytes', (text, bytes) => {
    expect(parseMemorySize(text)).toBe(bytes);
  });

  it.each(['', 'NaN GiB', '5.20', 'GiB', '-1 GiB', '5.20 gigs', '1e3 GB'])('%j is unreadable', (text) => {
    expect(parseMemorySize(text)).toBeNull();
  });
});

describe('parseEstimateOutput', () => {
  const cases: Array<[string, LmsEstimate]> = [
    [
      'estimate-gib-pass.stderr',
      {
        model: 'qwen/qwen3-4b',
        gpuBytes: Math.round(5.2 * GiB),
        totalBytes: Math.round(5.2 * GiB),
        confidence: 'high',
        passesGuardrails: true,
      },
    ],
    [
      'estimate-gib-fail-low.stderr',
      {
        model: 'openai/gpt-oss-120b',
        gpuBytes: 0,
        totalBytes: Math.round(71.34 * GiB),
        confidence: 'low',
        passesGuardrails: false,
      },
    ],
    [
      'estimate-gb-docs.stderr',
      {
        model: 'openai/gpt-oss-120b',
        gpuBytes: 65_680_000_000,
        totalBytes: 65_680_000_000,
        confidence: 'high',
        passesGuardrails: true,
      },
    ],
    [
      'estimate-gb-path.stderr',
      {
        model: 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf',
        gpuBytes: 1_730_000_000,
        totalBytes: 6_910_000_000,
        confidence: 'low',
        passesGuardrails: false,
      },
    ],
    [
      'estimate-colour.stderr',
      {
        model: 'qwen/qwen3-4b',
        gpuBytes: Math.round(9.8 * GiB),
        totalBytes: Math.round(10.25 * GiB),
        confidence: 'low',
        passesGuardrails: false,
      },
    ],
  ];

  it.each(cases)('%s', (fixture, expected) => {
    expect(parseEstimateOutput(fixtureText(fixture))).toEqual(expected);
  });

  it('reads the same estimate however the bytes were cut and joined (CRLF too)', () => {
    for (const [fixture, expected] of cases) {
      for (const size of CHUNK_SIZES) {
        expect(parseEstimateOutput(decodedChunks(fixtureBytes(fixture), size).join(''))).toEqual(expected);
      }
      expect(parseEstimateOutput(fixtureText(fixture).replace(/\n/g, '\r\n'))).toEqual(expected);
    }
  });

  it('without a GPU line the GPU figure is unknown, not zero', () => {
    const text = fixtureText('estimate-gib-pass.stderr').replace(/^Estimated GPU Memory:.*\n/m, '');
    expect(parseEstimateOutput(text)).toMatchObject({ gpuBytes: null, totalBytes: Math.round(5.2 * GiB) });
  });

  it.each([
    ['no Model: line', (text: string) => text.replace(/^Model:.*\n/m, '')],
    ['no total', (text: string) => text.replace(/^Estimated Total Memory:.*\n/m, '')],
    ['an unreadable total', (text: string) => text.replace(/5\.20 GiB\n\n/, 'NaN undefined\n\n')],
    ['no verdict', (text: string) => text.replace(/^Estimate:.*\n/m, '')],
    ['a verdict in other words', (text: string) => text.replace('may be loaded', 'could perhaps be loaded')],
  ])('is not an estimate with %s', (_what, edit) => {
    expect(parseEstimateOutput(edit(fixtureText('estimate-gib-pass.stderr')))).toBeNull();
  });

  it.each([
    'estimate-unknown-option.stderr',
    'estimate-not-found.stderr',
    'load-guardrail.stderr',
    'load-current.stderr',
  ])('%s holds no estimate', (fixture) => {
    expect(parseEstimateOutput(fixtureText(fixture))).toBeNull();
  });
});

describe('isEstimateUnsupported', () => {
  it("recognises commander's unknown-option error of an lms before 0.3.27", () => {
    expect(isEstimateUnsupported(fixtureText('estimate-unknown-option.stderr'))).toBe(true);
    expect(isEstimateUnsupported("error: unknown option '--estimate-only'\n(Did you mean --exact?)\n")).toBe(true);
    expect(isEstimateUnsupported("\u001b[31merror: unknown option '--estimate-only'\u001b[39m\r\n")).toBe(true);
  });

  it('is not fooled by other failures, or by an unknown option that is another one', () => {
    expect(isEstimateUnsupported(fixtureText('estimate-not-found.stderr'))).toBe(false);
    expect(isEstimateUnsupported(fixtureText('load-guardrail.stderr'))).toBe(false);
    expect(isEstimateUnsupported("error: unknown option '--exact'\n")).toBe(false);
    expect(isEstimateUnsupported('')).toBe(false);
  });
});

describe('parseRuntimeSurveyJson', () => {
  it('current casing: RAM, VRAM and the total from memoryInfo, each GPU with its dedicated memory; llama.cpp over an incompatible MLX', () => {
    expect(parseRuntimeSurveyJson(fixtureText('runtime-survey-current.stdout'))).toEqual({
      ramBytes: 66_206_793_728,
      vramBytes: 38_642_122_752,
      totalMemoryBytes: 104_848_916_480,
      gpus: [
        { name: 'NVIDIA GeForce RTX 4090', vramBytes: 25_757_220_864 },
        { name: 'NVIDIA GeForce RTX 3060', vramBytes: 12_884_901_888 },
      ],
    });
  });

  it('capitalised enums (before 2026-03-05) read the same', () => {
    expect(parseRuntimeSurveyJson(fixtureText('runtime-survey-capitalised.stdout'))).toEqual({
      ramBytes: 66_206_793_728,
      vramBytes: 34_208_743_424,
      totalMemoryBytes: 100_415_537_152,
      gpus: [{ name: 'AMD Radeon RX 7900 XTX', vramBytes: 25_753_026_560 }],
    });
  });

  it('no GPU: VRAM unknown, RAM known', () => {
    expect(parseRuntimeSurveyJson(fixtureText('runtime-survey-no-gpu.stdout'))).toEqual({
      ramBytes: 16_777_216_000,
      vramBytes: null,
      totalMemoryBytes: 16_777_216_000,
      gpus: [],
    });
  });

  it('without memoryInfo, an integrated GPU counts its total memory and VRAM adds up the GPUs (no total)', () => {
    expect(parseRuntimeSurveyJson(fixtureText('runtime-survey-integrated.stdout'))).toEqual({
      ramBytes: null,
      vramBytes: 48 * GiB,
      totalMemoryBytes: null,
      gpus: [{ name: 'Apple M2 Max', vramBytes: 48 * GiB }],
    });
  });

  it.each([
    ['no compatible backends', { status: 'noCompatibleBackends', engines: [] }],
    ['NoCompatibleBackends', { status: 'NoCompatibleBackends' }],
    ['engines not a list', { status: 'ok', engines: 'llama.cpp' }],
    ['an engine with nothing', { status: 'ok', engines: [{}] }],
    [
      'absurd numbers',
      {
        engines: [
          {
            memoryInfo: { ramCapacity: 1.5, vramCapacity: 2 ** 60, totalMemory: 'lots' },
            hardwareSurvey: {
              gpuSurveyResult: { gpuInfo: [{ name: 'x', dedicatedMemoryCapacityBytes: -5 }, null, 7] },
            },
          },
        ],
      },
    ],
  ])('tolerates missing or odd parts: %s', (_what, json) => {
    expect(parseRuntimeSurveyJson(JSON.stringify(json, null, 2))).toEqual({
      ramBytes: null,
      vramBytes: null,
      totalMemoryBytes: null,
      gpus: [],
    });
  });

  it('skips a line printed before the JSON and names a GPU without a name', () => {
    const json = {
      engines: [{ hardwareSurvey: { gpuSurveyResult: { gpuInfo: [{ totalMemoryCapacityBytes: GiB }] } } }],
    };
    expect(parseRuntimeSurveyJson(`Waking up LM Studio service...\n${JSON.stringify(json, null, 2)}\n`)).toEqual({
      ramBytes: null,
      vramBytes: GiB,
      totalMemoryBytes: null,
      gpus: [{ name: 'GPU', vramBytes: GiB }],
    });
  });

  it('output that is not JSON is lms-failed, saying what it printed', () => {
    const error = (() => {
      try {
        parseRuntimeSurveyJson("error: unknown command 'survey'\n");
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).message).toBe(
      '`lms runtime survey --json` did not print JSON (it printed "error: unknown command \'survey\'").',
    );
  });
});

describe('parseLsPathsJson', () => {
  it('gives each downloaded model its key and path (null when lms gives none)', () => {
    const text = JSON.stringify([
      { type: 'llm', modelKey: 'qwen/qwen3-4b', path: 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf' },
      { type: 'embedding', modelKey: 'nomic-embed', path: '' },
      { type: 'llm', modelKey: 'old/model' },
    ]);
    expect(parseLsPathsJson(text)).toEqual([
      { modelKey: 'qwen/qwen3-4b', path: 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf' },
      { modelKey: 'nomic-embed', path: null },
      { modelKey: 'old/model', path: null },
    ]);
  });
});
