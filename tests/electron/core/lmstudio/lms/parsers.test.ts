import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../../../electron/core/errors';
import type { LmsGetEvent } from '../../../../../electron/core/interfaces';
import {
  cleanLine,
  createGetOutputParser,
  createLoadOutputParser,
  type LoadProgressEvent,
  type LoadStatusEvent,
  messageText,
  parseDaemonStatusJson,
  parseDaemonStatusVersion,
  parseEta,
  parseGetLine,
  parseLsJson,
  parsePlanModelKey,
  parsePsJson,
  parseServerStatusJson,
  parseSize,
  parseVersionJson,
} from '../../../../../electron/core/lmstudio/lms/parsers';
import { CHUNK_SIZES, decodedChunks, fixtureBytes, fixtureText } from './fixtures';

/** Runs a recording of one `lms get` (either stream may be absent) through a fresh parser. */
function getEvents(name: { stdout?: string; stderr?: string }, chunkSize?: number): LmsGetEvent[] {
  const parser = createGetOutputParser();
  const events: LmsGetEvent[] = [];
  const feed = (file: string | undefined, read: (chunk: string) => LmsGetEvent[]) => {
    if (!file) return;
    const chunks = chunkSize ? decodedChunks(fixtureBytes(file), chunkSize) : [fixtureText(file)];
    for (const chunk of chunks) events.push(...read(chunk));
  };
  feed(name.stdout, parser.stdout);
  feed(name.stderr, parser.stderr);
  return events;
}

function loadEvents(name: { stdout?: string; stderr?: string }, chunkSize?: number) {
  const parser = createLoadOutputParser();
  const progress: LoadProgressEvent[] = [];
  const status: LoadStatusEvent[] = [];
  const chunks = (file: string) => (chunkSize ? decodedChunks(fixtureBytes(file), chunkSize) : [fixtureText(file)]);
  if (name.stdout) for (const chunk of chunks(name.stdout)) progress.push(...parser.stdout(chunk));
  if (name.stderr) for (const chunk of chunks(name.stderr)) status.push(...parser.stderr(chunk));
  return { progress, status };
}

const progress = (
  percent: number | null,
  downloadedBytes: number | null,
  totalBytes: number | null,
  bytesPerSecond: number | null,
  etaSeconds: number | null,
): LmsGetEvent => ({ type: 'progress', percent, downloadedBytes, totalBytes, bytesPerSecond, etaSeconds });

describe('the recordings themselves', () => {
  it('hold the raw bytes lms writes: carriage returns, escapes, no newline after a redraw', () => {
    const bytes = fixtureBytes('get-completed.stdout');
    expect(bytes.includes(0x0d)).toBe(true);
    expect(bytes.includes(0x1b)).toBe(true);
    expect(bytes.toString('utf8').endsWith('\x1b[2K\x1b[1G\x1b[?25h')).toBe(true);
    expect(fixtureText('get-cancelled.stderr').startsWith('Continue to download in the background? (Y/N): W')).toBe(
      true,
    );
  });
});

describe('parseSize / parseEta', () => {
  it('reads sizes in base 1000', () => {
    expect(parseSize('12.11 GB')).toBe(12_110_000_000);
    expect(parseSize('52.30 KB')).toBe(52_300);
    expect(parseSize('0.00 B')).toBe(0);
    expect(parseSize('1.21 TB')).toBe(1_210_000_000_000);
    expect(parseSize('12 GiB')).toBeNull();
  });

  it('reads mm:ss and hh:mm:ss, and gives null for the infinite ETA', () => {
    expect(parseEta('02:00')).toBe(120);
    expect(parseEta('03:25:07')).toBe(3 * 3600 + 25 * 60 + 7);
    expect(parseEta('Infinity:NaN:NaN')).toBeNull();
    expect(parseEta('NaN:NaN')).toBeNull();
  });
});

describe('createGetOutputParser', () => {
  const completedEvents: LmsGetEvent[] = [
    { type: 'resolving' },
    { type: 'plan', totalBytes: 2_500_000_000, modelKey: 'qwen/qwen3-4b' },
    progress(0, 0, 2_500_000_000, 0, null),
    progress(0, 52_300, 2_500_000_000, 1_040_000, 40 * 60),
    progress(29.24, 730_000_000, 2_500_000_000, 25_100_000, 70),
    // An identical redraw is still reported: the manager measures stalls by bytes over time.
    progress(29.24, 730_000_000, 2_500_000_000, 25_100_000, 70),
    progress(80.02, 2_000_000_000, 2_500_000_000, 31_400_000, 15),
    progress(100, 2_500_000_000, 2_500_000_000, 31_400_000, 0),
    { type: 'finalizing' },
    { type: 'completed' },
  ];

  it('reads a whole download: plan, progress (padded sizes, \\x1b[2K redraws), finalizing, completed', () => {
    expect(getEvents({ stdout: 'get-completed.stdout', stderr: 'get-completed.stderr' })).toEqual(completedEvents);
  });

  it.each(CHUNK_SIZES)(
    'gives the same events when the bytes arrive in %i-byte reads (mid escape, mid character)',
    (size) => {
      expect(getEvents({ stdout: 'get-completed.stdout', stderr: 'get-completed.stderr' }, size)).toEqual(
        completedEvents,
      );
    },
  );

  it('gives the same events when a redraw is split at every possible character', () => {
    const text = fixtureText('get-attached.stdout');
    const whole = createGetOutputParser().stdout(text);
    for (let cut = 1; cut < text.length; cut++) {
      const parser = createGetOutputParser();
      expect([...parser.stdout(text.slice(0, cut)), ...parser.stdout(text.slice(cut))]).toEqual(whole);
    }
  });

  it('reads an hh:mm:ss ETA, TB sizes and the "About to download" plan', () => {
    expect(getEvents({ stdout: 'get-hours.stdout' })).toEqual([
      { type: 'resolving' },
      { type: 'plan', totalBytes: 1_210_000_000_000, modelKey: 'mlx-community/big' },
      progress(0, 12_340_000, 1_210_000_000_000, 98_700_000, 3 * 3600 + 24 * 60 + 19),
      progress(0.29, 3_500_000_000, 1_210_000_000_000, 101_200_000, 3 * 3600 + 18 * 60 + 41),
    ]);
  });

  it('reads NaN% as an unknown percentage and ETA Infinity:NaN:NaN as an unknown ETA', () => {
    expect(getEvents({ stdout: 'get-nan.stdout' })).toEqual([
      progress(null, 0, 0, 0, null),
      progress(null, 0, 0, 0, null),
    ]);
  });

  it('reports "already downloaded" in the current wording', () => {
    expect(getEvents({ stdout: 'get-already.stdout', stderr: 'get-already.stderr' })).toEqual([
      { type: 'resolving' },
      { type: 'already-downloaded', message: 'Model already downloaded. To use, run: lms load qwen/qwen3-4b' },
    ]);
  });

  it('reports "already downloaded" for non-model artifacts and in the pre-2026-04 wording', () => {
    expect(getEvents({ stderr: 'get-already-everything.stderr' })).toEqual([
      { type: 'already-downloaded', message: 'Everything is already downloaded' },
    ]);
    expect(getEvents({ stderr: 'get-already-legacy.stderr' })).toEqual([
      { type: 'resolving' },
      { type: 'already-downloaded', message: 'You already have this model. You can load it with:' },
    ]);
  });

  it('reads the pre-2026-04 search path: "Downloading NAME (SIZE)" and the long completion line', () => {
    expect(getEvents({ stderr: 'get-legacy-search.stderr' })).toEqual([
      { type: 'resolving' },
      // The search path names the model by its display name only: no key.
      { type: 'plan', totalBytes: 2_500_000_000, modelKey: null },
      { type: 'finalizing' },
      { type: 'completed' },
    ]);
    expect(getEvents({ stdout: 'get-legacy-search.stdout' })).toEqual([
      progress(50, 1_250_000_000, 2_500_000_000, 50_000_000, 25),
      progress(100, 2_500_000_000, 2_500_000_000, 50_000_000, 0),
    ]);
  });

  it('reports attaching to a download already in progress', () => {
    expect(getEvents({ stdout: 'get-attached.stdout' })).toEqual([
      { type: 'resolving' },
      { type: 'attached' },
      progress(29.08, 1_230_000_000, 4_230_000_000, 25_100_000, 119),
    ]);
  });

  it('reports waking LM Studio and an Error: line without its prefix', () => {
    expect(getEvents({ stderr: 'get-waking-error.stderr' })).toEqual([
      { type: 'waking' },
      { type: 'error', message: 'Cannot find variant q9_x.' },
    ]);
  });

  it('reports the Y/N prompt as soon as it is written, although it has no newline', () => {
    const parser = createGetOutputParser();
    expect(parser.stderr('Continue to download in the back')).toEqual([]);
    expect(parser.stderr('ground? (Y/N): ')).toEqual([{ type: 'prompt' }]);
    expect(parser.stderr('W Download canceled.\n')).toEqual([{ type: 'cancelled' }]);
  });

  it.each(CHUNK_SIZES)('reads prompt + "W Download canceled." on one line in %i-byte reads', (size) => {
    expect(getEvents({ stdout: 'get-interrupted.stdout', stderr: 'get-cancelled.stderr' }, size)).toEqual([
      progress(29.08, 1_230_000_000, 4_230_000_000, 25_100_000, 119),
      progress(29.79, 1_260_000_000, 4_230_000_000, 25_100_000, 118),
      { type: 'prompt' },
      { type: 'cancelled' },
    ]);
  });

  it('reads prompt + "Download will continue in the background."', () => {
    expect(getEvents({ stderr: 'get-continuing.stderr' })).toEqual([{ type: 'prompt' }, { type: 'continuing' }]);
  });

  it("takes the model key from the plan's top line only, not from a file line or a malformed key", () => {
    expect(parsePlanModelKey('↓ To download: model qwen/qwen3-4b - 2.50 GB')).toBe('qwen/qwen3-4b');
    expect(parsePlanModelKey('└─ ↓ To download: Qwen3 4B Q4_K_M [GGUF] - 2.50 GB')).toBeNull();
    expect(parsePlanModelKey('✓ Satisfied qwen/qwen3-4b')).toBeNull();
    expect(parsePlanModelKey('↓ To download: model ../../etc - 2.50 GB')).toBeNull();
    expect(parseGetLine('Resolution completed. Downloading 2.50 GB...')).toEqual({
      type: 'plan',
      totalBytes: 2_500_000_000,
      modelKey: null,
    });
  });

  it('keeps the first model key of a plan re-printed many times, in any chunking', () => {
    const block =
      '\r   ↓ To download: model openai/gpt-oss-20b - 12.11 GB\x1b[0K\n\r     └─ ↓ To download: gpt-oss 20B MXFP4 [GGUF] - 12.11 GB\x1b[0K\n';
    const text = `${block.repeat(5)}\rResolution completed. Downloading 12.11 GB...\x1b[0K\n`;
    for (const size of CHUNK_SIZES) {
      const parser = createGetOutputParser();
      const events = decodedChunks(Buffer.from(text), size).flatMap((chunk) => parser.stdout(chunk));
      expect(events).toEqual([
        { type: 'resolving' },
        { type: 'plan', totalBytes: 12_110_000_000, modelKey: 'openai/gpt-oss-20b' },
      ]);
    }
  });

  it('reports a run of re-printed plan lines as one "resolving"', () => {
    const parser = createGetOutputParser();
    const block = '\r   ⠋ a/b - Resolving...\x1b[0K\n\r   ⠙ Resolving download plan...\x1b[0K\n';
    expect(parser.stdout(block.repeat(20))).toEqual([{ type: 'resolving' }]);
  });

  it('ignores a percentage outside a progress bar and unknown lines', () => {
    const parser = createGetOutputParser();
    expect(parser.stderr('Your disk is 93.00% full\nD some debug output\n')).toEqual([]);
  });

  it('keeps memory bounded when a line never ends', () => {
    const parser = createGetOutputParser();
    for (let i = 0; i < 100; i++) parser.stdout('x'.repeat(10_000));
    expect(parser.stdout('\nDownload completed.\n')).toEqual([{ type: 'completed' }]);
  });
});

describe('createLoadOutputParser', () => {
  it('reads the current spinner with NN% as 0..1, each value once', () => {
    expect(loadEvents({ stdout: 'load-current.stdout' }).progress).toEqual([
      { type: 'progress', progress: 0 },
      { type: 'progress', progress: 0.12 },
      { type: 'progress', progress: 0.47 },
      { type: 'progress', progress: 0.88 },
      { type: 'progress', progress: 1 },
    ]);
  });

  it.each(CHUNK_SIZES)('gives the same progress in %i-byte reads', (size) => {
    expect(loadEvents({ stdout: 'load-current.stdout' }, size).progress).toEqual(
      loadEvents({ stdout: 'load-current.stdout' }).progress,
    );
  });

  it('reads the 2025-12..2026-05 spinner without a percentage as unknown progress', () => {
    expect(loadEvents({ stdout: 'load-no-percent.stdout' }).progress).toEqual([{ type: 'progress', progress: null }]);
  });

  it('reads the old 50-cell bar', () => {
    expect(loadEvents({ stdout: 'load-legacy.stdout' }).progress).toEqual([
      { type: 'progress', progress: 0 },
      { type: 'progress', progress: 0.4312 },
      { type: 'progress', progress: 1 },
    ]);
  });

  it('reads the identifier from the success lines, current and old wording', () => {
    expect(loadEvents({ stderr: 'load-current.stderr' }).status).toEqual([
      { type: 'loaded', identifier: null },
      { type: 'loaded', identifier: 'qwen/qwen3-4b' },
    ]);
    expect(loadEvents({ stderr: 'load-legacy.stderr' }).status).toEqual([
      { type: 'loaded', identifier: null },
      { type: 'loaded', identifier: 'qwen3-4b' },
    ]);
  });

  it('reports several matching models, so the caller can check what was loaded', () => {
    expect(loadEvents({ stderr: 'load-ambiguous.stderr' }).status).toEqual([
      {
        type: 'ambiguous',
        message: '2 models match the provided model key on the same device. Loading the first one.',
      },
      { type: 'loaded', identifier: null },
      { type: 'loaded', identifier: 'qwen/qwen3-4b:2' },
    ]);
  });

  it('reports a cancelled load', () => {
    const { progress, status } = loadEvents({ stdout: 'load-cancelled.stdout', stderr: 'load-cancelled.stderr' });
    expect(progress.map((event) => event.progress)).toEqual([0.03, 0.05]);
    expect(status).toEqual([{ type: 'cancelled' }]);
  });

  it('reports waking LM Studio and a failure printed without the Error: prefix', () => {
    expect(loadEvents({ stderr: 'load-waking-error.stderr' }).status).toEqual([
      { type: 'waking' },
      { type: 'error', message: 'Failed to start or connect to local LM Studio API server.' },
    ]);
  });
});

describe('JSON parsers', () => {
  // The real capture quoted in the protocol notes (an MLX vision model).
  const realPs =
    '[{"type":"llm","modelKey":"ornith-1.0-35b-mlx-oq8","format":"safetensors","displayName":"Ornith 1.0 35B OQ8","publisher":"jedisct1","path":"jedisct1/Ornith-1.0-35B-MLX-oQ8","sizeBytes":37726897291,"indexedModelIdentifier":"jedisct1/Ornith-1.0-35B-MLX-oQ8","deviceIdentifier":null,"paramsString":"35B","architecture":"qwen3_5_moe","quantization":{"name":"8bit","bits":8},"identifier":"ornith-1.0-35b-mlx-oq8","ttlMs":null,"lastUsedTime":1786252670392,"vision":true,"trainedForToolUse":true,"maxContextLength":262144,"contextLength":65536,"status":"idle","queued":0,"parallel":2}]\n';

  it('maps `lms ps --json` to loaded instances', () => {
    expect(parsePsJson(realPs)).toEqual([
      {
        identifier: 'ornith-1.0-35b-mlx-oq8',
        modelKey: 'ornith-1.0-35b-mlx-oq8',
        contextLength: 65536,
        ttlMs: null,
        lastUsedTime: 1786252670392,
        activity: 'idle',
        sizeBytes: 37726897291,
      },
    ]);
    expect(parsePsJson('[]\n')).toEqual([]);
  });

  it('maps `lms ls --json` to model entries: vision LLM -> vlm, safetensors -> mlx, embeddings', () => {
    const ls = JSON.stringify([
      JSON.parse(realPs)[0],
      {
        type: 'llm',
        modelKey: 'qwen/qwen3-4b',
        format: 'gguf',
        displayName: 'Qwen3 4B',
        path: 'lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf',
        sizeBytes: 2497280000,
        quantization: { name: 'Q4_K_M', bits: 4 },
        maxContextLength: 40960,
        vision: false,
        trainedForToolUse: true,
        someFieldFromTheFuture: { nested: true },
      },
      {
        type: 'embedding',
        modelKey: 'text-embedding-nomic-embed-text-v1.5',
        format: 'gguf',
        displayName: 'Nomic Embed Text v1.5',
        sizeBytes: 84106624,
        maxContextLength: 2048,
      },
    ]);
    const [mlx, gguf, embedding] = parseLsJson(ls);
    expect(mlx).toMatchObject({ key: 'ornith-1.0-35b-mlx-oq8', type: 'vlm', format: 'mlx', quantization: '8bit' });
    expect(mlx).toMatchObject({ publisher: 'jedisct1', paramsString: '35B', vision: true, toolUse: true });
    expect(gguf).toEqual({
      key: 'qwen/qwen3-4b',
      displayName: 'Qwen3 4B',
      publisher: null,
      type: 'llm',
      format: 'gguf',
      quantization: 'Q4_K_M',
      paramsString: null,
      sizeBytes: 2497280000,
      maxContextLength: 40960,
      vision: false,
      toolUse: true,
      reasoning: false,
      loadedInstances: [],
    });
    expect(embedding).toMatchObject({ key: 'text-embedding-nomic-embed-text-v1.5', type: 'embedding', vision: false });
  });

  it('reads server status, daemon status and version', () => {
    expect(parseServerStatusJson('{"running":true,"port":1234}\n')).toEqual({ running: true, port: 1234 });
    expect(parseServerStatusJson('{"running":false}\n')).toEqual({ running: false, port: null });
    expect(parseDaemonStatusJson('{"status":"running","pid":4242,"isDaemon":true}\n')).toEqual({
      running: true,
      pid: 4242,
    });
    expect(parseDaemonStatusJson('{"status":"not-running"}\n')).toEqual({ running: false, pid: null });
    expect(parseVersionJson('{"version":"f13588d"}\n')).toBe('f13588d');
    expect(parseVersionJson('{"version":"0.0.47"}')).toBe('0.0.47');
  });

  it("reads LM Studio's version from the plain daemon status (§9)", () => {
    expect(parseDaemonStatusVersion(fixtureText('daemon-status-app.stdout'))).toBe('0.4.2');
    expect(parseDaemonStatusVersion(fixtureText('daemon-status-llmster.stdout'))).toBe('0.4.1-beta.2');
    expect(parseDaemonStatusVersion(fixtureText('daemon-status-not-running.stdout'))).toBeNull();
    // Colours and Windows line ends do not hide it; a version in some other sentence is not taken.
    expect(parseDaemonStatusVersion('\u001b[32mLM Studio v0.3.31\u001b[39m is running (PID: 4242)\r\n')).toBe('0.3.31');
    expect(parseDaemonStatusVersion('Update to LM Studio v0.4.3 is running late\n')).toBeNull();
    expect(parseDaemonStatusVersion('')).toBeNull();
  });

  it.each([
    [
      'not JSON',
      () => parseLsJson('You have not downloaded any models yet.'),
      /did not print JSON.*You have not downloaded/,
    ],
    ['empty output', () => parsePsJson(''), /printed nothing/],
    ['an object instead of an array', () => parsePsJson('{"models":[]}'), /unexpected shape/],
    ['a missing modelKey', () => parseLsJson('[{"type":"llm"}]'), /unexpected shape \(at 0\.modelKey/],
    ['a string port', () => parseServerStatusJson('{"running":true,"port":"1234"}'), /unexpected shape \(at port/],
    ['truncated JSON', () => parseVersionJson('{"version":'), /did not print JSON/],
  ])('turns %s into a clear lms-failed error', (_, parse, message) => {
    expect(parse).toThrow(CoreError);
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (error) {
      expect((error as CoreError).code).toBe('lms-failed');
    }
  });
});

// Found by the property tests of tests/robustness/parsers.
describe('absurd values from lms', () => {
  it('caps a progress percentage at 100 and drops numbers too long to be numbers', () => {
    const frame = (percent: string) =>
      parseGetLine(`⠋ [██████] ${percent}% | 1.00 GB / 2.00 GB | 1.00 MB/s | ETA 02:00`);
    expect(frame('400.00')).toMatchObject({ type: 'progress', percent: 100 });
    expect(frame('9'.repeat(400))).toMatchObject({ type: 'progress', percent: null });
    expect(parseEta(`${'9'.repeat(400)}:00`)).toBeNull();
  });

  it('reads negative, infinite and out-of-range numbers in the JSON as unknown, not as values', () => {
    const [model] = parseLsJson('[{"type":"llm","modelKey":"a/b","sizeBytes":-1,"maxContextLength":1e400}]');
    expect(model).toMatchObject({ sizeBytes: null, maxContextLength: null });
    const [instance] = parsePsJson(
      '[{"type":"llm","modelKey":"a/b","identifier":"a/b","ttlMs":-5,"contextLength":1e999}]',
    );
    expect(instance).toMatchObject({ ttlMs: null, contextLength: null });
    expect(parseServerStatusJson('{"running":true,"port":-1}')).toEqual({ running: true, port: null });
    expect(parseServerStatusJson('{"running":true,"port":70000}')).toEqual({ running: true, port: null });
    expect(parseDaemonStatusJson('{"status":"running","pid":0}')).toEqual({ running: true, pid: null });
    // A value of the wrong type is still a shape lms does not print.
    expect(() => parseLsJson('[{"type":"llm","modelKey":"a/b","sizeBytes":"12"}]')).toThrow(CoreError);
  });

  it('turns control characters into spaces and keeps messages short', () => {
    expect(cleanLine('\u0007bad\u0000\u001b thing\u009b')).toBe('bad  thing');
    expect(messageText(`a\u0000b ${'x'.repeat(1000)}`)).toHaveLength(300);
    expect(parseGetLine(`Error: ${'y'.repeat(100_000)}`)).toMatchObject({ type: 'error', message: expect.any(String) });
    expect((parseGetLine(`Error: ${'y'.repeat(100_000)}`) as { message: string }).message).toHaveLength(300);
  });
});
