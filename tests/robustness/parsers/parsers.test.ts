/**
 * Property tests of every parser in `registry.ts` (issue 8, item 8): over arbitrary strings,
 * arbitrary bytes decoded as the runner decodes them, and recorded output mutated (cut,
 * duplicated, bytes flipped, lines shuffled, numbers made absurd, values swapped for other JSON)
 * and chunked at random points, each parser never throws (beyond its own CoreError) and always
 * returns a result of its type. Plus the settings validator on update, with random patches.
 */
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../electron/core/errors';
import { createSettingsStore } from '../../../electron/core/settings/store';
import { SettingsFieldSchemas } from '../../../electron/shared/contract-schemas';
import { recordTally, scaled } from '../tally';
import { chunkSizes, decode, mutate, mutation } from './mutations';
import { isAllowedError, memoryFs, PARSERS, type ParserEntry, silent } from './registry';

const RUNS = scaled(150, 5_000);
let cases = 0;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

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
