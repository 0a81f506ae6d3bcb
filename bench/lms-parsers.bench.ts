/**
 * Throughput of the `lms get` output parser on a 10 MB stream of progress redraws, fed in
 * 64 KiB reads (a pipe's usual chunk) through a StringDecoder, as the runner does.
 *
 *   node --import tsx bench/lms-parsers.bench.ts
 */
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import { createGetOutputParser } from '../electron/core/lmstudio/lms/parsers';

const STREAM_BYTES = 10 * 1024 * 1024;
const READ_BYTES = 64 * 1024;
const ROUNDS = 5;

/** One redraw as lms writes it (lmstudio-protocol.md §3), every 8th with the `\x1b[2K` clear. */
function frame(i: number, total: number): string {
  const done = Math.min(total, i * 1_000_000);
  const ratio = done / total;
  const full = Math.floor(ratio * 22);
  const bar = '█'.repeat(full).padEnd(22, ' ');
  const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`.padStart(8);
  const clear = i % 8 === 0 ? '\x1b[2K' : '';
  return `\x1b[?25l\x1b[s${clear}\r⠋ [${bar}] ${(ratio * 100).toFixed(2)}% | ${gb(done)} / ${gb(total)} | 25.10 MB/s | ETA 02:00          \x1b[u`;
}

function buildStream(): { bytes: Buffer; frames: number } {
  const parts: string[] = [];
  let size = 0;
  let frames = 0;
  while (size < STREAM_BYTES) {
    const text = frame(frames++, 200_000_000_000);
    parts.push(text);
    size += Buffer.byteLength(text);
  }
  return { bytes: Buffer.from(parts.join('')), frames };
}

export interface LmsParserBenchResult {
  megabytesPerSecond: number;
  framesPerSecond: number;
  frames: number;
  events: number;
}

/** Runs the benchmark and returns the best of a few rounds. */
export function runLmsParserBench(): LmsParserBenchResult {
  const { bytes, frames } = buildStream();
  let best = Number.POSITIVE_INFINITY;
  let events = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const parser = createGetOutputParser();
    const decoder = new StringDecoder('utf8');
    let count = 0;
    const start = process.hrtime.bigint();
    for (let offset = 0; offset < bytes.length; offset += READ_BYTES) {
      count += parser.stdout(decoder.write(bytes.subarray(offset, offset + READ_BYTES))).length;
    }
    count += parser.stdout(decoder.end()).length;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.min(best, seconds);
    events = count;
  }
  return {
    megabytesPerSecond: bytes.length / 1024 / 1024 / best,
    framesPerSecond: frames / best,
    frames,
    events,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = runLmsParserBench();
  console.log(
    `lms get parser: ${result.megabytesPerSecond.toFixed(1)} MB/s, ${Math.round(result.framesPerSecond).toLocaleString('en')} frames/s ` +
      `(${result.frames.toLocaleString('en')} frames in 10 MB, ${result.events.toLocaleString('en')} events; best of ${ROUNDS})`,
  );
  if (result.events !== result.frames) {
    console.error(`expected one progress event per frame, got ${result.events} for ${result.frames}`);
    process.exitCode = 1;
  }
}
