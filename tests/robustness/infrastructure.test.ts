import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { summarize } from './global-setup';
import { canListProcesses, MARKER_VARIABLE, newMarker, processesWithMarker } from './processes';
import { scaled } from './tally';

describe('robustness tally', () => {
  it('sums the records of each family into one row', () => {
    const table = summarize([
      { family: 'lms faults', cases: 10, processesLeft: 0 },
      { family: 'bad answers', cases: 300, crashes: 0, hangs: 0 },
      { family: 'lms faults', cases: 5, hangs: 1 },
    ]);
    expect(table.split('\n')).toEqual([
      '| family | cases | crashes | hangs | processes left | corrupt files | leaked secrets |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      '| bad answers | 300 | 0 | 0 | 0 | 0 | 0 |',
      '| lms faults | 15 | 0 | 1 | 0 | 0 | 0 |',
    ]);
  });

  it('uses the short counts inside npm test', () => {
    expect(scaled(100, 1000)).toBe(process.env.LMSTRAY_FUZZ === '1' ? 1000 : 100);
  });
});

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())('processesWithMarker', () => {
  it('finds a child by its marker while it lives, and not after it ends', async () => {
    const marker = newMarker();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {
      env: { ...process.env, [MARKER_VARIABLE]: marker },
      stdio: 'ignore',
    });
    await new Promise((resolve) => child.once('spawn', resolve));
    expect(processesWithMarker(marker)).toEqual([child.pid]);
    expect(processesWithMarker(newMarker())).toEqual([]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(processesWithMarker(marker)).toEqual([]);
  });
});
