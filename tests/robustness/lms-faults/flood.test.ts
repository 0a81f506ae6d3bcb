/**
 * A flood (issue 8, item 3: bounded memory): 128 MB of output through the runner in a node whose
 * heap is half that. Kept output stops at the runner's cap, parsed output is never kept, so
 * the child finishes with the normal outcomes instead of running out of memory.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canListProcesses, MARKER_VARIABLE, newMarker, processesWithMarker } from '../processes';
import { recordTally } from '../tally';
import { LOG_STREAM_EVENTS } from './fake-lms';

const CHILD = fileURLToPath(new URL('./flood-child.ts', import.meta.url));
const FLOOD_MB = 128;
const HEAP_MB = 64;

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())('lms flood', () => {
  it(`${FLOOD_MB} MB of output through a ${HEAP_MB} MB heap: capped where kept, never kept where parsed`, async () => {
    const marker = newMarker();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', `--max-old-space-size=${HEAP_MB}`, CHILD, String(FLOOD_MB)],
          { env: { ...process.env, [MARKER_VARIABLE]: marker }, maxBuffer: 1024 * 1024 },
          (error, out, err) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out, stderr: err }),
        );
        child.stdin?.end();
      },
    );
    expect(stderr.slice(-2000)).not.toMatch(/heap out of memory/);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      ls: { ok: false, message: '`lms ls --json` printed far more output than expected and was stopped.' },
      load: { ok: true, value: { identifier: 'qwen/qwen3-4b' } },
      get: { ok: true, value: { kind: 'completed' } },
      // The flood is one unfinished line: held as its head and tail, then dropped; the events after it all arrive.
      stream: { ok: true, value: { events: LOG_STREAM_EVENTS, exit: { code: 0, signal: null } } },
      running: 0,
    });
    expect(processesWithMarker(marker)).toEqual([]);
    recordTally({ family: 'lms faults', cases: 4, hangs: 0, processesLeft: 0 });
  }, 60_000);
});
