/**
 * A stand-in for `lms get` whose progress frames the bench releases one at a time: each line
 * `PERCENT` received on the control connection (127.0.0.1:argv[2]) writes one redraw, byte for
 * byte as lms draws its bar, and answers with Date.now() just after the write. Silent otherwise,
 * so the bench can make a frame arrive after a quiet spell. Bundled and run by the progress group.
 */
import { connect } from 'node:net';

const TOTAL_BYTES = 8_000_000_000;

function frame(percent: number): string {
  const done = Math.round((percent / 100) * TOTAL_BYTES);
  const full = Math.floor((percent / 100) * 22);
  const bar = '█'.repeat(full).padEnd(22, ' ');
  const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`.padStart(8);
  return `\x1b[?25l\x1b[s\r⠋ [${bar}] ${percent.toFixed(2)}% | ${gb(done)} / ${gb(TOTAL_BYTES)} | 25.10 MB/s | ETA 02:00          \x1b[u`;
}

const control = connect(Number(process.argv[2]), '127.0.0.1');
let pending = '';
control.setEncoding('utf8').on('data', (chunk: string) => {
  pending += chunk;
  for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
    const percent = Number(pending.slice(0, newline));
    pending = pending.slice(newline + 1);
    process.stdout.write(frame(percent));
    control.write(`${Date.now()}\n`);
  }
});
control.on('close', () => process.exit(1));
control.on('error', () => process.exit(1));
process.on('SIGINT', () => process.exit(1));
