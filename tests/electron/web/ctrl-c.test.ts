/**
 * Ctrl-C as a terminal really sends it: SIGINT to the whole foreground process group, here
 * `npm run web` (npm and node; web mode starts each `lms` in a group of its own and ends it
 * itself). npm forwards its own copy to node, so one press reaches web mode twice; that must still be one clean stop (exit 0, no `lms` left), while
 * a press more than SAME_REQUEST_MS later forces the exit.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { SAME_REQUEST_MS } from '../../../electron/web/signals';
import { MARKER_VARIABLE, newMarker, processesWithMarker } from '../../robustness/processes';
import { invokeOver, openSocket } from './helpers';
import { type LauncherRun, processGroup, START_TIMEOUT_MS, spawnLauncher, waitForOpenLine } from './launcher-process';

const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let sandbox: string;
let sim: Simulator;
const started: ChildProcess[] = [];

beforeAll(async () => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-ctrl-c-'));
  // Slow enough that the download is still running when the signal comes.
  sim = await startSimulator({ downloadBytesPerSecond: 1_000_000 });
});
const markers: string[] = [];

afterEach(() => {
  // A forced exit leaves its children by design (each `lms` in a process group of its own); a
  // failed test must not leave anything either.
  const pids = [
    ...started.splice(0).map((child) => (child.pid ? -child.pid : 0)),
    ...markers.splice(0).flatMap(processesWithMarker),
  ];
  for (const pid of pids) {
    try {
      if (pid !== 0) process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});
afterAll(async () => {
  await sim.close();
  rmSync(sandbox, { recursive: true, force: true });
});

function isLmsGet(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('get');
  } catch {
    return false; // it ended meanwhile
  }
}

/** `npm run web` in its own process group, against the simulator, with a download running. */
async function webModeWithDownload(
  name: string,
  lmsPath: string,
): Promise<{ run: LauncherRun; pgid: number; marker: string }> {
  const marker = newMarker();
  markers.push(marker);
  const run = spawnLauncher({
    launcher: { npmScript: 'web' },
    args: ['--no-open', '--config-dir', path.join(sandbox, name), '--base-url', sim.baseUrl, '--lms', lmsPath],
    cwd: PROJECT_ROOT,
    env: { HOME: sim.homeDir, [MARKER_VARIABLE]: marker, npm_config_update_notifier: 'false' },
    started,
  });
  const pgid = run.child.pid as number;
  const { port, token } = await waitForOpenLine(run);
  const attempt = await openSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: `http://127.0.0.1:${port}` });
  if (!('ws' in attempt)) throw new Error(`WebSocket refused: ${attempt.status}`);
  const answer = await invokeOver(attempt.ws, 'downloads:start', { model: 'qwen/qwen3-8b' });
  expect(answer).toMatchObject({ ok: true, value: { status: expect.not.stringMatching(/failed|cancelled/) } });
  attempt.ws.terminate();
  await vi.waitFor(() => expect(processesWithMarker(marker).filter(isLmsGet)).not.toEqual([]), {
    timeout: 15_000,
    interval: 50,
  });
  return { run, pgid, marker };
}

describe('Ctrl-C in a terminal running npm run web', () => {
  it(
    'exits 0 and leaves no lms when the whole process group gets SIGINT during a download',
    async () => {
      const { run, pgid, marker } = await webModeWithDownload('one-press', sim.lmsPath);
      process.kill(-pgid, 'SIGINT');
      expect(await run.exited, run.stderr()).toEqual({ code: 0, signal: null });
      await vi.waitFor(
        () => {
          expect(processGroup(pgid)).toEqual([]);
          expect(processesWithMarker(marker)).toEqual([]);
        },
        { timeout: 10_000, interval: 100 },
      );
    },
    START_TIMEOUT_MS + 30_000,
  );

  it(
    'forces the exit on a second Ctrl-C more than SAME_REQUEST_MS after the first',
    async () => {
      // An `lms get` deaf to SIGINT and SIGTERM: the stop waits for it (then SIGKILLs it), so it
      // is still running when the user presses Ctrl-C again.
      const stubbornLms = path.join(sandbox, 'stubborn-lms');
      writeFileSync(
        stubbornLms,
        `#!/bin/sh\nif [ "$1" = get ]; then trap '' INT TERM HUP; echo 'Downloading qwen/qwen3-8b'; sleep 60; exit 1; fi\nexec "${sim.lmsPath}" "$@"\n`,
      );
      chmodSync(stubbornLms, 0o755);
      const { run, pgid } = await webModeWithDownload('two-presses', stubbornLms);
      process.kill(-pgid, 'SIGINT');
      await vi.waitFor(() => expect(run.stderr() + run.stdout()).toContain('SIGINT: stopping LM Studio Tray'), {
        timeout: 10_000,
        interval: 20,
      });
      // The stop began at least this long before the second press is sent.
      await new Promise((resolve) => setTimeout(resolve, SAME_REQUEST_MS + 100));
      expect(run.child.exitCode).toBeNull();
      process.kill(-pgid, 'SIGINT');
      expect(await run.exited).toEqual({ code: 130, signal: null });
      expect(run.stderr() + run.stdout()).toContain('SIGINT again: exiting without waiting');
    },
    START_TIMEOUT_MS + 30_000,
  );
});
