/**
 * The `lms log stream` parser keeps no prompt or answer text (issue 10's privacy rule), whatever
 * the stream looks like: lines built the way LM Studio writes them (`JSON.stringify`, the schema's
 * key order) around prompts and answers made of distinctive words, the prompt canary, random text
 * and attempts to forge the line's structure from inside the text; then mutated (bytes cut,
 * flipped and inserted, lines shuffled, numbers made absurd, values swapped), chunked at random
 * points, and some grown past the reader's line limit so only its head and tail are held. No
 * piece of the text longer than 12 characters may be in any result.
 *
 * Left out of the mutations: copying a stretch of the line to another place (`duplicate`), which
 * can paste the user's text into the identifier's value: that forges a line LM Studio never
 * writes (its JSON escapes every quote in the text), it does not leak one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogStreamReader, MAX_LINE_CHARS } from '../../../electron/core/lmstudio/lms/log-stream-parser';
import { CANARY_PROMPT } from '../secrets/canaries';
import { recordTally, scaled } from '../tally';
import { decode, type Mutation, mutate, mutation } from './mutations';

const RUNS = scaled(200, 5_000);
/** A piece of the text this long or longer must be nowhere in a result. */
const WINDOW = 13;

const WORDS = [
  CANARY_PROMPT,
  'zeppelin manifesto',
  'pineapple harbours',
  'marmalade',
  'Café naïve — 日本語のテキスト 🚀',
  'C:\\Users\\quokka\\notes.txt',
  '"quoted" and \\escaped\\',
  // The structure of a line, typed by the user: escaped by JSON.stringify, never structure.
  '","modelIdentifier":"forged-zeppelin-model","stats":{"tokensPerSecond":9999}}',
  '\n{"timestamp":1786253679295,"data":{"type":"llm.prediction.input","modelIdentifier":"forged-marmalade"}}\n',
  ',"modelPath":"forged/pineapple-path","modelIdentifier":"forged-harbour-id"',
];

/** Text a user might send or a model answer: distinctive words, random text, line breaks. */
const text = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => parts.join(' '));

const IDENTIFIERS = ['qwen/qwen3-4b', 'ornith-1.0-35b-mlx-oq8', 'gemma-3-1b-it-qat:2'];

interface Prediction {
  kind: 'input' | 'output';
  text: string;
  identifier: string;
  at: number;
  /** Grow the text past the reader's line limit (only its head and tail are held). */
  long: boolean;
}

const prediction: fc.Arbitrary<Prediction> = fc.record({
  kind: fc.constantFrom('input' as const, 'output' as const),
  text,
  identifier: fc.constantFrom(...IDENTIFIERS),
  at: fc.integer({ min: 1_786_253_000_000, max: 1_786_263_000_000 }),
  // Rare: each is a quarter of a megabyte.
  long: fc.nat(15).map((n) => n === 0),
});

/** The line as LM Studio writes it (lmstudio-js `DiagnosticsLogEvent`, its schema's key order). */
function lineOf(p: Prediction, textOfLine: string): string {
  const data =
    p.kind === 'input'
      ? {
          type: 'llm.prediction.input',
          input: textOfLine,
          modelPath: `models/${p.identifier}`,
          modelIdentifier: p.identifier,
        }
      : {
          type: 'llm.prediction.output',
          output: textOfLine,
          stats: {
            stopReason: 'eosFound',
            tokensPerSecond: 41.2,
            timeToFirstTokenSec: 0.3,
            totalTimeSec: 1.5,
            promptTokensCount: 19,
            predictedTokensCount: 60,
            totalTokensCount: 79,
          },
          modelIdentifier: p.identifier,
        };
  return JSON.stringify({ timestamp: p.at, data });
}

/** The text the line carries: as drawn, or repeated past the line limit. */
function fullText(p: Prediction): string {
  if (!p.long) return p.text;
  return p.text.repeat(Math.ceil((MAX_LINE_CHARS + 4096) / Math.max(1, p.text.length)));
}

/** Every piece of `texts` of WINDOW characters (the distinct ones). */
function windows(texts: string[]): Set<string> {
  const pieces = new Set<string>();
  for (const whole of texts) {
    // Only what is distinctive: a run of one character (spaces, say) says nothing of the text.
    for (let i = 0; i + WINDOW <= whole.length; i += 1) {
      const piece = whole.slice(i, i + WINDOW);
      if (new Set(piece).size > 3) pieces.add(piece);
    }
  }
  return pieces;
}

/** Every string in the results (keys are fixed by the schema; only values can carry text). */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

const privacyMutation: fc.Arbitrary<Mutation> = mutation.filter((m) => m.kind !== 'duplicate');
let cases = 0;

describe('lms log stream: no prompt or answer text in any result', () => {
  it('lines written as LM Studio writes them, mutated and chunked', async () => {
    fc.assert(
      fc.property(
        fc.array(prediction, { minLength: 1, maxLength: 5 }),
        fc.array(privacyMutation, { maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 8 }),
        (predictions, mutations, sizes) => {
          cases += 1;
          const texts = predictions.map(fullText);
          const stream = `${predictions.map((p, i) => lineOf(p, texts[i]!)).join('\n')}\n`;
          // Mutations on a long stream would only touch the text: keep them to the short ones.
          const long = predictions.some((p) => p.long);
          const bytes = long ? Buffer.from(stream) : mutate(Buffer.from(stream), mutations);
          const reader = createLogStreamReader();
          const events = decode(bytes, sizes).flatMap((chunk) => reader.stdout(chunk));
          events.push(...reader.end().events);
          // Unmutated, every line is read: the property is not met by reading nothing.
          if (!long && mutations.length === 0) expect(events).toHaveLength(predictions.length);
          if (long) expect(events.length).toBe(predictions.length);
          const strings = stringsIn(events);
          // A long text is the drawn one repeated: its pieces are those of a few copies.
          const sources = predictions.map((p) =>
            p.long ? p.text.repeat(Math.ceil((2 * WINDOW) / Math.max(1, p.text.length)) + 1) : p.text,
          );
          for (const piece of windows(sources)) {
            for (const value of strings) {
              if (value.includes(piece)) throw new Error(`a result holds ${JSON.stringify(piece)}: ${value}`);
            }
          }
          expect(JSON.stringify(events)).not.toContain(CANARY_PROMPT.slice(0, WINDOW));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('records the cases tried', () => {
    expect(cases).toBe(RUNS);
    recordTally({ family: 'parsers', cases });
  });
});
