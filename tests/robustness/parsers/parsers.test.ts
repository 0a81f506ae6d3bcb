/**
 * Property tests of every parser in `registry.ts` (issue 8, item 8): over arbitrary strings,
 * arbitrary bytes decoded as the runner decodes them, and recorded output mutated (cut,
 * duplicated, bytes flipped, lines shuffled, numbers made absurd, values swapped for other JSON)
 * and chunked at random points, each parser never throws (beyond its own CoreError) and always
 * returns a result of its type. Plus the settings validator on update, with random patches.
 */
import { StringDecoder } from 'node:string_decoder';
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../electron/core/errors';
import { createSettingsStore } from '../../../electron/core/settings/store';
import { SettingsFieldSchemas } from '../../../electron/shared/contract-schemas';
import { recordTally, scaled } from '../tally';
import { isAllowedError, memoryFs, PARSERS, type ParserEntry, silent } from './registry';

const RUNS = scaled(150, 5_000);
let cases = 0;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** Decodes bytes cut at the given sizes, as the runner's StringDecoder does. */
function decode(bytes: Uint8Array, sizes: number[]): string[] {
  const decoder = new StringDecoder('utf8');
  const chunks: string[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i += 1) {
    const size = sizes.length > 0 ? sizes[i % sizes.length]! : bytes.length;
    chunks.push(decoder.write(Buffer.from(bytes.subarray(offset, offset + size))));
    offset += size;
  }
  chunks.push(decoder.end());
  return chunks.filter(Boolean);
}

type Mutation =
  | { kind: 'cut'; from: number; to: number }
  | { kind: 'duplicate'; from: number; to: number; at: number }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'shuffle lines'; order: number[] }
  | { kind: 'absurd number'; nth: number; digits: string }
  | { kind: 'other JSON value'; nth: number; json: string };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), from: position, to: position }).map((m) => ({
    kind: 'cut' as const,
    from: Math.min(m.from, m.to),
    to: Math.max(m.from, m.to),
  })),
  fc.record({ kind: fc.constant('duplicate' as const), from: position, to: position, at: position }),
  fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('shuffle lines' as const), order: fc.array(fc.nat(), { maxLength: 12 }) }),
  fc.record({
    kind: fc.constant('absurd number' as const),
    nth: fc.nat(40),
    digits: fc.oneof(
      fc.stringMatching(/^-?\d{1,400}(\.\d{1,20})?(e[+-]?\d{1,4})?$/),
      fc.constantFrom('-1', '1e400', '18446744073709551616', 'NaN', 'Infinity', '-0', '0x10'),
    ),
  }),
  fc.record({
    kind: fc.constant('other JSON value' as const),
    nth: fc.nat(40),
    json: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? 'null'),
  }),
);

const at = (fraction: number, length: number) => Math.floor(fraction * length);

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let bytes = input;
  for (const m of mutations) {
    const n = bytes.length;
    switch (m.kind) {
      case 'cut':
        bytes = Buffer.concat([bytes.subarray(0, at(m.from, n)), bytes.subarray(at(m.to, n))]);
        break;
      case 'duplicate': {
        const [from, to] = [at(Math.min(m.from, m.to), n), at(Math.max(m.from, m.to), n)];
        const where = at(m.at, n);
        bytes = Buffer.concat([bytes.subarray(0, where), bytes.subarray(from, to), bytes.subarray(where)]);
        break;
      }
      case 'flip':
        if (n > 0) {
          bytes = Buffer.from(bytes);
          bytes[Math.min(n - 1, at(m.at, n))]! ^= m.mask;
        }
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at(m.at, n)), m.bytes, bytes.subarray(at(m.at, n))]);
        break;
      case 'shuffle lines': {
        const lines = bytes.toString('latin1').split('\n');
        const shuffled = lines.map((line, i) => ({ line, key: m.order[i % Math.max(1, m.order.length)] ?? i }));
        shuffled.sort((a, b) => a.key - b.key);
        bytes = Buffer.from(shuffled.map((entry) => entry.line).join('\n'), 'latin1');
        break;
      }
      case 'absurd number':
      case 'other JSON value': {
        // Replace the nth number (or, for JSON values, the nth value after a colon).
        const text = bytes.toString('utf8');
        const pattern = m.kind === 'absurd number' ? /\d+(?:\.\d+)?/g : /(?<=:)(?:"[^"]*"|[^,}\]]+)/g;
        const matches = [...text.matchAll(pattern)];
        if (matches.length === 0) break;
        const target = matches[m.nth % matches.length]!;
        const replacement = m.kind === 'absurd number' ? m.digits : m.json;
        bytes = Buffer.from(text.slice(0, target.index) + replacement + text.slice(target.index + target[0].length));
        break;
      }
    }
  }
  return bytes;
}

/** How an entry is fed: chunks for a stream, one text otherwise. */
function feed(entry: ParserEntry, bytes: Uint8Array, sizes: number[]): string[] {
  return entry.streamed ? decode(bytes, sizes) : [decode(bytes, []).join('')];
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

/** Runs the entry on `input`: a result of its type, or one of its own errors; anything else fails. */
async function holds(entry: ParserEntry, input: string[]): Promise<void> {
  cases += 1;
  let result: unknown;
  try {
    result = await entry.run(input);
  } catch (error) {
    if (isAllowedError(entry, error)) return;
    throw new Error(`${entry.name} threw ${error instanceof Error ? error.stack : String(error)}`);
  }
  const checked = v.safeParse(entry.result, result);
  if (!checked.success) {
    const issue = checked.issues[0]!;
    throw new Error(
      `${entry.name} returned ${JSON.stringify(result)?.slice(0, 400)}: at ${v.getDotPath(issue) ?? '(top)'}, ${issue.message}`,
    );
  }
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });

describe('parsers: never throw, always a typed result', () => {
  for (const entry of PARSERS) {
    describe(entry.name, () => {
      it('arbitrary strings', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.string({ unit: 'binary', maxLength: 200 }), { minLength: 1, maxLength: 6 }),
            (parts) => holds(entry, entry.streamed ? parts : [parts.join('')]),
          ),
          { numRuns: RUNS },
        );
      });

      it('arbitrary bytes, decoded in chunks', async () => {
        await fc.assert(
          fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), chunkSizes, (bytes, sizes) =>
            holds(entry, feed(entry, bytes, sizes)),
          ),
          { numRuns: RUNS },
        );
      });

      it('recorded output, mutated and chunked', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...entry.recorded),
            fc.array(mutation, { maxLength: 4 }),
            chunkSizes,
            (recorded, mutations, sizes) => holds(entry, feed(entry, mutate(recorded, mutations), sizes)),
          ),
          { numRuns: RUNS * 2 },
        );
      });

      it('recorded output, unchanged, in every chunking', async () => {
        for (const recorded of entry.recorded) {
          for (const size of [1, 2, 3, 7, 64, 4096]) await holds(entry, feed(entry, recorded, [size]));
        }
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The settings validator on update
// ---------------------------------------------------------------------------------------------

const FIELD_NAMES = Object.keys(SettingsFieldSchemas);

/** A patch: known fields with values of any type (right or wrong), sometimes an unknown key. */
const patch = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 12 })),
  fc.oneof(
    fc.anything({ maxDepth: 2 }),
    fc.constantFrom(null, 0, 1000, 70_000, 1e12, -1, 'http://127.0.0.1:1234', 'file:///etc/passwd', ''),
  ),
  { maxKeys: 4 },
);

describe('settings validator on update: a typed refusal or a saved value that reads back the same', () => {
  it('random patches', async () => {
    await fc.assert(
      fc.asyncProperty(patch, async (candidate) => {
        cases += 1;
        const files: Record<string, string> = {};
        const store = createSettingsStore({ fs: memoryFs(files), configDir: '/config', logger: silent });
        await store.load();
        let saved: Awaited<ReturnType<typeof store.update>>;
        try {
          saved = await store.update(candidate as never);
        } catch (error) {
          expect(error).toBeInstanceOf(CoreError);
          expect((error as CoreError).code).toBe('invalid-input');
          expect((error as CoreError).message).toMatch(/\S/);
          return;
        }
        for (const field of FIELD_NAMES.filter((name) => name !== 'apiToken')) {
          expect(v.is(SettingsFieldSchemas[field as keyof typeof SettingsFieldSchemas], saved[field as never])).toBe(
            true,
          );
        }
        const reread = createSettingsStore({ fs: memoryFs(files), configDir: '/config', logger: silent });
        await reread.load();
        expect(reread.get()).toEqual(store.get());
        expect(reread.view().messages).toEqual([]);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('parsers tally', () => {
  it('records the cases tried', () => {
    expect(cases).toBeGreaterThan(PARSERS.length * RUNS * 4);
    recordTally({ family: 'parsers', cases });
  });
});
