/**
 * Crash safety (issue 10): the log file is one per process (`<configDir>/logs/web.log`,
 * `desktop.log`), so no two processes write the same file; what can go wrong is a process
 * killed while it writes or rotates. A writer is killed with SIGKILL at random (seeded) moments,
 * again and again on the same folder: every line in the files is a whole entry (its timestamp
 * first, or a continuation line of one) or the cut-short start of one where a killed write
 * stopped (never two entries run together: the next start begins a line of its own), the files
 * stay within their cap, and each next start appends after what the killed one left.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MARKER_VARIABLE, newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile } from './settings-process';

const KILLS = scaled(30, 300);
const SEED = 20_261_204;
const LINES_PER_RUN = 2_000;

const driver = bundledSettingsDriverForThisFile('log-file-driver.ts');

/**
 * The last line a killed writer left may be cut short (the kernel may stop a write between
 * pages): then it is the start of an entry, never two entries run together.
 */
const CUT_LINE = /^[\d:.TZ-][\d:.TZ INFOrunlixatfm-]*$/;
const TWO_ENTRIES = /\d{3}Z .*\d{4}-\d\d-\d\dT/;

/** An entry's first line, or its continuation. */
const WHOLE_LINE = /^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO run \d+ line \d+ x*| {4}at frame \d+)$/;

async function logLines(dir: string): Promise<{ files: string[]; lines: string[]; sizes: number[] }> {
  const logs = path.join(dir, 'logs');
  const files = (await readdir(logs).catch(() => [] as string[])).sort();
  const lines: string[] = [];
  const sizes: number[] = [];
  // Oldest first: web.log.2, web.log.1, web.log.
  for (const name of [...files].reverse()) {
    const text = await readFile(path.join(logs, name), 'utf8');
    sizes.push(Buffer.byteLength(text));
    lines.push(...text.split('\n').filter((line) => line !== ''));
  }
  return { files, lines, sizes };
}

describe('crash safety: the log file', () => {
  it(
    `keeps whole lines when its writer is killed with SIGKILL (${KILLS} kills), and the next start appends`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-log-crash-'));
      const marker = newMarker();
      const delays = fc.sample(fc.noBias(fc.integer({ min: 50, max: 400 })), { seed: SEED, numRuns: KILLS });
      let corruptFiles = 0;
      let killsMidWrite = 0;
      let cutLines = 0;
      try {
        for (const [run, delay] of delays.entries()) {
          // The driver takes its own arguments (`<config folder> <run> <lines>`), not settings-process's.
          const child = spawn(process.execPath, [driver().file, dir, String(run), String(LINES_PER_RUN)], {
            env: { ...process.env, [MARKER_VARIABLE]: marker },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            out += chunk;
          });
          const exited = new Promise<NodeJS.Signals | null>((resolve) =>
            child.once('close', (_c, signal) => resolve(signal)),
          );
          await new Promise<void>((resolve) => {
            const check = () => (out.includes('writing\n') ? resolve() : setTimeout(check, 5));
            check();
          });
          await new Promise((resolve) => setTimeout(resolve, delay / 10));
          child.kill('SIGKILL');
          const signal = await exited;
          if (signal === 'SIGKILL' && !out.includes('done')) killsMidWrite++;

          const { lines, sizes } = await logLines(dir);
          const broken = lines.filter(
            (line) => !WHOLE_LINE.test(line) && !(CUT_LINE.test(line) && !TWO_ENTRIES.test(line)),
          );
          cutLines = lines.length - broken.length - lines.filter((line) => WHOLE_LINE.test(line)).length;
          // Three files at most (the file and two rotated), each within its cap plus one burst.
          if (broken.length > 0 || sizes.length > 3 || sizes.some((size) => size > 64 * 1024 + 8 * 1024)) {
            corruptFiles++;
          }
          expect(broken.slice(0, 3)).toEqual([]);
        }

        // The next start appends: its lines come after every earlier run's.
        const last = spawn(process.execPath, [driver().file, dir, String(KILLS), '5'], {
          env: { ...process.env, [MARKER_VARIABLE]: marker },
          stdio: 'ignore',
        });
        await new Promise((resolve) => last.once('close', resolve));
        const { lines } = await logLines(dir);
        const runs = lines.map((line) => Number(/ run (\d+) /.exec(line)?.[1] ?? Number.NaN)).filter(Number.isFinite);
        expect(runs.at(-1)).toBe(KILLS);
        expect(runs).toEqual([...runs].sort((a, b) => a - b));
        const processesLeft = processesWithMarker(marker).length;

        expect(corruptFiles).toBe(0);
        expect(processesLeft).toBe(0);
        expect(killsMidWrite).toBeGreaterThan(0);
        console.info(
          `crash safety (log file): ${killsMidWrite} of ${KILLS} kills while writing, ${cutLines} lines cut short at the end of a file (each next start began a new line), ${corruptFiles} broken files`,
        );
        recordTally({ family: 'crash safety', cases: KILLS, corruptFiles, processesLeft, crashes: 0, hangs: 0 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    scaled(120_000, 30 * 60_000),
  );
});
