/** Reads the byte-exact `lms` recordings beside this file and feeds them to parsers in chunks. */
import { readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** The raw bytes of `fixtures/NAME.fixture.txt`. */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(`${name}.fixture.txt`, FIXTURES));
}

/** The fixture decoded as UTF-8. */
export function fixtureText(name: string): string {
  return fixtureBytes(name).toString('utf8');
}

/** Cuts bytes into chunks of `size` (splitting UTF-8 characters and escape sequences anywhere) and decodes them as the runner does. */
export function decodedChunks(bytes: Buffer, size: number): string[] {
  const decoder = new StringDecoder('utf8');
  const chunks: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    const text = decoder.write(bytes.subarray(offset, offset + size));
    if (text) chunks.push(text);
  }
  const rest = decoder.end();
  if (rest) chunks.push(rest);
  return chunks;
}

/** Chunk sizes that split the recordings at many different places. */
export const CHUNK_SIZES = [1, 2, 3, 7, 13, 64, 4096];
