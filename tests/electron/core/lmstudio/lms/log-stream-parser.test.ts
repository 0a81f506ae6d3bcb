/**
 * The `lms log stream --json` parser against fixtures/log-stream-*: the two real captures of
 * lmstudio-protocol-2.md §1 verbatim (MLX with `numGpuLayers`, then lines in the same schema key
 * order for llama.cpp without it), a long templated prompt with escaped newlines, quotes,
 * backslashes and unicode, concurrent inputs with one timestamp and outputs out of order, other
 * event types, the human format, lines cut short, CRLF, a last line without a newline; and the
 * stderr lines (banner, waking, socket closed, an lms too old for `--source`). Every chunking.
 *
 * Privacy: no word of a prompt or answer survives into an event (every event serialised).
 */
import { describe, expect, it } from 'vitest';
import type { LogStreamEvent } from '../../../../../electron/core/interfaces';
import {
  BoundedLineSplitter,
  classifyLogStreamStderr,
  createLogStreamReader,
  MAX_LINE_CHARS,
  parseLogStreamLine,
  parseOversizedLogStreamLine,
} from '../../../../../electron/core/lmstudio/lms/log-stream-parser';
import { CHUNK_SIZES, decodedChunks, fixtureBytes, fixtureText } from './fixtures';

/** Words that appear only in the fixtures' prompts and answers (and the other sources' text). */
const PRIVATE_WORDS = [
  'zeppelin',
  'pineapple',
  'marmalade',
  'pong',
  'Reply with',
  'assistant',
  '日本語',
  '🚀',
  'forged',
];

const output = (
  at: number,
  modelIdentifier: string,
  figures: Partial<Omit<Extract<LogStreamEvent, { type: 'output' }>, 'type' | 'at' | 'modelIdentifier'>>,
): LogStreamEvent => ({
  type: 'output',
  at,
  modelIdentifier,
  tokensPerSecond: null,
  timeToFirstTokenSec: null,
  promptTokens: null,
  predictedTokens: null,
  ...figures,
});
const input = (at: number, modelIdentifier: string): LogStreamEvent => ({ type: 'input', at, modelIdentifier });

const CURRENT: LogStreamEvent[] = [
  input(1786253679295, 'ornith-1.0-35b-mlx-oq8'),
  output(1786253679909, 'ornith-1.0-35b-mlx-oq8', {
    tokensPerSecond: 131.13535614428483,
    timeToFirstTokenSec: 0.598,
    promptTokens: 19,
    predictedTokens: 2,
  }),
  input(1786253700120, 'qwen/qwen3-4b'),
  output(1786253703480, 'qwen/qwen3-4b', {
    tokensPerSecond: 57.24098454493418,
    timeToFirstTokenSec: 0.057613,
    promptTokens: 13,
    predictedTokens: 3,
  }),
  input(1786253710000, 'gemma-3-1b-it-qat:2'),
  input(1786253710000, 'gemma-3-1b-it-qat:2'),
  output(1786253711350, 'gemma-3-1b-it-qat:2', {
    tokensPerSecond: 88.5,
    timeToFirstTokenSec: 0.21,
    promptTokens: 25,
    predictedTokens: 80,
  }),
  output(1786253713900, 'gemma-3-1b-it-qat:2', {
    tokensPerSecond: 92.75,
    timeToFirstTokenSec: 0.2,
    promptTokens: 22,
    predictedTokens: 256,
  }),
  input(1786253720000, 'qwen/qwen3-4b'),
  output(1786253720450, 'qwen/qwen3-4b', {}),
  input(1786253730000, 'qwen/qwen3-4b'),
  output(1786253731000, 'qwen/qwen3-4b', {}),
  input(1786253740000, 'qwen/qwen3-4b'),
  output(1786253741000, 'qwen/qwen3-4b', {
    tokensPerSecond: 40,
    timeToFirstTokenSec: 0.5,
    promptTokens: 7,
    predictedTokens: 40,
  }),
];

function readAll(name: string, chunkSize: number): { events: LogStreamEvent[]; lines: string[] } {
  const reader = createLogStreamReader();
  const events: LogStreamEvent[] = [];
  const lines: string[] = [];
  for (const chunk of decodedChunks(fixtureBytes(name), chunkSize)) {
    if (name.endsWith('.stdout')) events.push(...reader.stdout(chunk));
    else lines.push(...reader.stderr(chunk));
  }
  const rest = reader.end();
  return { events: [...events, ...rest.events], lines: [...lines, ...rest.stderrLines] };
}

describe('createLogStreamReader: stdout', () => {
  it.each(CHUNK_SIZES)('reads every prediction event of the recording, whatever the chunks (%i bytes)', (size) => {
    expect(readAll('log-stream-current.stdout', size).events).toEqual(CURRENT);
  });

  it('keeps no word of a prompt or an answer: every event serialised holds counts, timings and the model only', () => {
    const { events } = readAll('log-stream-current.stdout', 4096);
    const serialised = JSON.stringify(events);
    for (const word of PRIVATE_WORDS) expect(serialised).not.toContain(word);
    // The fixture does hold them: the test would prove nothing otherwise.
    for (const word of PRIVATE_WORDS) expect(fixtureText('log-stream-current.stdout')).toContain(word);
    for (const event of events) {
      expect(Object.keys(event).sort()).toEqual(
        event.type === 'input'
          ? ['at', 'modelIdentifier', 'type']
          : [
              'at',
              'modelIdentifier',
              'predictedTokens',
              'promptTokens',
              'timeToFirstTokenSec',
              'tokensPerSecond',
              'type',
            ],
      );
    }
  });

  it('drops a line cut short at the end of the stream (the child was killed mid-write)', () => {
    expect(readAll('log-stream-cut.stdout', 7).events).toEqual([input(1786253800000, 'qwen/qwen3-4b')]);
  });

  it('reads a 100 MB prompt from its head and tail, never holding more than a bounded part of it', () => {
    const reader = createLogStreamReader();
    const head =
      '{"timestamp":1786253900000,"data":{"type":"llm.prediction.input","input":"<|im_start|>user\\nzeppelin ';
    const tail =
      'marmalade<|im_end|>\\n","modelPath":"lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf","modelIdentifier":"qwen/qwen3-4b"}}\n';
    const filler = 'pineapple \\"harbour\\" 日本語 '.repeat(4096); // ~110 KB a chunk, escaped quotes included
    const events: LogStreamEvent[] = [...reader.stdout(head)];
    let fed = head.length;
    let mostHeld = 0;
    while (fed < 100 * 1024 * 1024) {
      events.push(...reader.stdout(filler));
      fed += filler.length;
      mostHeld = Math.max(mostHeld, reader.heldChars());
    }
    events.push(...reader.stdout(tail));
    expect(events).toEqual([input(1786253900000, 'qwen/qwen3-4b')]);
    expect(mostHeld).toBeLessThanOrEqual(MAX_LINE_CHARS + filler.length);
    expect(reader.heldChars()).toBe(0);
  });

  it('reads a huge answer from its head and tail, with or without stats', () => {
    const text = `${'"zeppelin",'.repeat(40_000)}`;
    const line = (stats: object | undefined) =>
      `${JSON.stringify({
        timestamp: 1786253950000,
        data:
          stats === undefined
            ? { type: 'llm.prediction.output', output: text, modelIdentifier: 'qwen/qwen3-4b' }
            : { type: 'llm.prediction.output', output: text, stats, modelIdentifier: 'qwen/qwen3-4b' },
      })}\n`;
    const reader = createLogStreamReader();
    const stats = {
      stopReason: 'eosFound',
      tokensPerSecond: 33.3,
      timeToFirstTokenSec: 1.5,
      totalTimeSec: 120,
      promptTokensCount: 50,
      predictedTokensCount: 4000,
      totalTokensCount: 4050,
    };
    expect(line(stats).length).toBeGreaterThan(MAX_LINE_CHARS);
    const events = [...reader.stdout(line(stats)), ...reader.stdout(line(undefined))];
    expect(events).toEqual([
      output(1786253950000, 'qwen/qwen3-4b', {
        tokensPerSecond: 33.3,
        timeToFirstTokenSec: 1.5,
        promptTokens: 50,
        predictedTokens: 4000,
      }),
      output(1786253950000, 'qwen/qwen3-4b', {}),
    ]);
    expect(JSON.stringify(events)).not.toContain('zeppelin');
  });

  it('a huge line of another kind, or garbage, is dropped', () => {
    const reader = createLogStreamReader();
    const server = `${JSON.stringify({ timestamp: 1, data: { type: 'server.log', content: 'x'.repeat(MAX_LINE_CHARS * 2), level: 'info' } })}\n`;
    expect(reader.stdout(server)).toEqual([]);
    expect(reader.stdout(`${'z'.repeat(MAX_LINE_CHARS * 3)}\n`)).toEqual([]);
    expect(reader.heldChars()).toBe(0);
  });
});

describe('parseLogStreamLine', () => {
  it('ignores what is not a prediction event', () => {
    expect(parseLogStreamLine('')).toBeNull();
    expect(parseLogStreamLine('Streaming logs from LM Studio')).toBeNull();
    expect(
      parseLogStreamLine('{"timestamp":1,"data":{"type":"server.log","content":"llm.prediction.input"}}'),
    ).toBeNull();
    expect(
      parseLogStreamLine('[{"timestamp":1,"data":{"type":"llm.prediction.input","modelIdentifier":"a"}}]'),
    ).toBeNull();
  });

  it('needs a timestamp and a model identifier that make sense', () => {
    const line = (timestamp: unknown, modelIdentifier: unknown) =>
      JSON.stringify({ timestamp, data: { type: 'llm.prediction.input', input: 'x', modelIdentifier } });
    expect(parseLogStreamLine(line(5, 'a/b'))).toEqual(input(5, 'a/b'));
    expect(parseLogStreamLine(line('5', 'a/b'))).toBeNull();
    expect(parseLogStreamLine(line(-5, 'a/b'))).toBeNull();
    expect(parseLogStreamLine(line(5, ''))).toBeNull();
    expect(parseLogStreamLine(line(5, 42))).toBeNull();
    expect(parseLogStreamLine(line(5, 'x'.repeat(300)))).toBeNull();
    // Escape codes in an identifier never reach the page.
    expect(parseLogStreamLine(line(5, '\u001b[31mqwen/qwen3-4b\u001b[0m'))).toEqual(input(5, 'qwen/qwen3-4b'));
  });

  it('keeps only figures that make sense (finite, not negative; token counts whole)', () => {
    const line = JSON.stringify({
      timestamp: 7,
      data: {
        type: 'llm.prediction.output',
        output: 'x',
        stats: {
          stopReason: 'eosFound',
          tokensPerSecond: -1,
          timeToFirstTokenSec: '0.5',
          promptTokensCount: 1.5,
          predictedTokensCount: 9,
        },
        modelIdentifier: 'm',
      },
    });
    expect(parseLogStreamLine(line)).toEqual(output(7, 'm', { predictedTokens: 9 }));
  });

  it('the text never reaches the result, even nested under keys it keeps', () => {
    const line = JSON.stringify({
      timestamp: 9,
      data: {
        type: 'llm.prediction.output',
        output: 'zeppelin',
        stats: { tokensPerSecond: 1, extra: { output: 'pineapple' } },
        modelIdentifier: 'm',
        modelPath: 'marmalade',
      },
    });
    const event = parseLogStreamLine(line);
    expect(event).toEqual(output(9, 'm', { tokensPerSecond: 1 }));
    expect(JSON.stringify(event)).not.toMatch(/zeppelin|pineapple|marmalade/);
  });
});

describe('parseOversizedLogStreamLine', () => {
  const head = '{"timestamp":12,"data":{"type":"llm.prediction.input","input":"abc';
  it('text that imitates the keys cannot forge the model: its quotes are escaped', () => {
    const tail = 'x\\",\\"modelIdentifier\\":\\"forged\\"}}","modelPath":"p","modelIdentifier":"real"}}';
    expect(parseOversizedLogStreamLine(head, tail)).toEqual(input(12, 'real'));
  });

  it('a text ending in a backslash or a comma still ends where the structure says', () => {
    expect(parseOversizedLogStreamLine(head, 'a\\\\","modelPath":"p","modelIdentifier":"m"}}')).toEqual(input(12, 'm'));
    expect(parseOversizedLogStreamLine(head, 'a,","modelPath":"p","modelIdentifier":"m"}}')).toEqual(input(12, 'm'));
  });

  it('without the markers, or with another head, nothing', () => {
    expect(parseOversizedLogStreamLine(head, 'no structure here')).toBeNull();
    expect(
      parseOversizedLogStreamLine('{"timestamp":12,"data":{"type":"server.log","content":"', '","level":"info"}}'),
    ).toBeNull();
    expect(parseOversizedLogStreamLine('garbage', '","modelIdentifier":"m"}}')).toBeNull();
  });
});

describe('BoundedLineSplitter', () => {
  it('holds at most the limit, then only the head and the tail of a line (the CR counts in the tail); CRLF and a last line without newline', () => {
    const splitter = new BoundedLineSplitter(10, 3, 4);
    expect(splitter.push('short\r\nabcdefghij')).toEqual([{ text: 'short' }]);
    expect(splitter.heldChars()).toBe(10);
    expect(splitter.push('klmnop')).toEqual([]);
    expect(splitter.heldChars()).toBe(7);
    expect(splitter.push('qrs\r\nnext')).toEqual([{ head: 'abc', tail: 'qrs' }]);
    expect(splitter.end()).toEqual([{ text: 'next' }]);
    expect(splitter.end()).toEqual([]);
  });
});

describe('createLogStreamReader: stderr', () => {
  it.each([
    ['log-stream-banner.stderr', ['Streaming logs from LM Studio'], ['banner']],
    ['log-stream-waking.stderr', ['Waking up LM Studio service...'], ['waking']],
    [
      'log-stream-no-install.stderr',
      [
        'Waking up LM Studio service...',
        'Error: LM Studio daemon is not running and no valid installation could be found or installed.',
        'Error: Failed to start or connect to local LM Studio API server.',
      ],
      ['waking', 'error', 'error'],
    ],
    [
      'log-stream-socket-closed.stderr',
      [
        'Streaming logs from LM Studio',
        '[LMStudioClient][Diagnostics][ClientPort][WsClientTransport:AuthenticatedWsClientTransport] WebSocket error: Error: WebSocket connection closed',
      ],
      ['banner', 'socket-closed'],
    ],
    ['log-stream-unknown-option.stderr', ["error: unknown option '--source'"], ['unsupported']],
    [
      'log-stream-filter-error.stderr',
      ["Error: --filter values must be 'input', 'output', or 'input,output'"],
      ['error'],
    ],
  ])('%s: its lines, and what each means', (name, lines, kinds) => {
    for (const size of CHUNK_SIZES) {
      const read = readAll(name, size).lines;
      expect(read).toEqual(lines);
      expect(read.map(classifyLogStreamStderr)).toEqual(kinds);
    }
  });

  it('an older parser refusing the flags counts as too old; a warning does not', () => {
    expect(classifyLogStreamStderr('Unknown arguments: --source model --filter input,output')).toBe('unsupported');
    expect(classifyLogStreamStderr("W WARNING: 'lms log stream' will show both user and assistant messages")).toBe(
      'other',
    );
  });

  it('cuts a stderr line that never ends', () => {
    const reader = createLogStreamReader();
    reader.stderr('e'.repeat(10 * 1024 * 1024));
    expect(reader.heldChars()).toBeLessThanOrEqual(2048);
    expect(reader.stderr('\n')).toEqual(['e'.repeat(2048)]);
  });
});
