/**
 * How the parser suites make their inputs: bytes decoded in chunks as the runner decodes them,
 * and recorded output mutated (cut, duplicated, bytes flipped, lines shuffled, numbers made
 * absurd, values swapped for other JSON).
 */
import { StringDecoder } from 'node:string_decoder';
import fc from 'fast-check';

/** Decodes bytes cut at the given sizes, as the runner's StringDecoder does. */
export function decode(bytes: Uint8Array, sizes: number[]): string[] {
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

export type Mutation =
  | { kind: 'cut'; from: number; to: number }
  | { kind: 'duplicate'; from: number; to: number; at: number }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'shuffle lines'; order: number[] }
  | { kind: 'absurd number'; nth: number; digits: string }
  | { kind: 'other JSON value'; nth: number; json: string };

const position = fc.double({ min: 0, max: 1, noNaN: true });
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
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

export function mutate(input: Buffer, mutations: Mutation[]): Buffer {
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

export const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });
