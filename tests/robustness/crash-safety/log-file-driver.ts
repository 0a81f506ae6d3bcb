/**
 * One process writing its log file (electron/core/persistence/log-file.ts) as the app does, for
 * the crash-safety suite: `node log-file-driver.mjs <config folder> <run> <lines>` logs `lines`
 * numbered lines (`run <run> line <n> …`, some with a continuation line), a few per turn of the
 * event loop, with a small size cap so it rotates, then prints `done`.
 */
import { createLogFile } from '../../../electron/core/persistence/log-file';

const [configDir, run, count] = process.argv.slice(2);
if (!configDir || !run || !count) throw new Error('usage: log-file-driver.mjs <config folder> <run> <lines>');
const log = createLogFile({ configDir, process: 'web', maxBytes: 64 * 1024, keep: 2 });
process.stdout.write('writing\n');
const total = Number(count);
let n = 0;
function burst(): void {
  for (let i = 0; i < 7 && n < total; i++, n++) {
    const detail = n % 5 === 0 ? `\n    at frame ${n}` : '';
    log.append(`${new Date().toISOString()} INFO run ${run} line ${n} ${'x'.repeat(n % 97)}${detail}`);
  }
  if (n < total) setImmediate(burst);
  else void log.flush().then(() => process.stdout.write('done\n'));
}
burst();
