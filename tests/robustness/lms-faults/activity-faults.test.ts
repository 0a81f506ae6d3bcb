/**
 * The activity monitor (electron/core/activity/monitor.ts) over an `lms log stream` that breaks,
 * through the real runner and real children, while `lms daemon status` says LM Studio runs:
 * a stream that ends right after it starts (an error, a signal, garbage, exit 0 as the
 * early-exit builds of late 2025 do) is started three times, each exit reported to the health
 * monitor, and then given up on with the message that says so; one that ignores SIGINT is killed
 * after the grace when the monitor stops. No process carrying the case's marker is left.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivityMonitor, GAVE_UP } from '../../../electron/core/activity/monitor';
import { createLmsCli } from '../../../electron/core/lmstudio/lms/cli';
import { spawnWithoutShell } from '../../../electron/core/node-ports';
import type { SpawnFn } from '../../../electron/core/ports';
import { createProcessRegistry } from '../../../electron/core/processes';
import type { ActivitySnapshot, ServerStatus } from '../../../electron/shared/contract';
import { canListProcesses, MARKER_VARIABLE, newMarker, processesWithMarker } from '../processes';
import { recordTally } from '../tally';
import { endLeftovers, silent } from './checks';
import { writeFakeLms } from './fake-lms';
import { garbageBytes } from './faults';
import { createJumpClock, settleWithJumps } from './jump-clock';

/** How `lms log stream` breaks; every other command answers as the current lms does. */
const EARLY_EXITS: ReadonlyArray<{ name: string; stream: string }> = [
  { name: 'exits 1 with Error:', stream: `printf 'Error: LM Studio refused the stream (fault test).\\n' >&2; exit 1` },
  { name: 'killed by a signal', stream: 'kill -KILL $$' },
  {
    name: 'prints garbage',
    stream: 'cat "$(dirname "$0")/garbage.bin"; cat "$(dirname "$0")/garbage.bin" >&2; exit 1',
  },
  { name: 'exits 0 at once (the early-exit builds)', stream: "printf 'Streaming logs from LM Studio\\n' >&2; exit 0" },
];

const ONLINE: ServerStatus = {
  state: 'online',
  detail: '',
  baseUrl: 'http://127.0.0.1:1234',
  port: 1234,
  remote: false,
  apiGeneration: 'v1',
  lmsPath: '/lms',
  lmsSearched: [],
  since: 1,
  checkedAt: 1,
  unstable: false,
  lmStudioClosed: false,
};

let root: string;
const totals = { cases: 0, processesLeft: 0 };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lms-activity-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The monitor over an lms whose `log stream` runs `stream`; counts the streams started and the evidence given. */
async function monitorOver(name: string, stream: string) {
  const dir = path.join(root, name.replace(/[^a-z0-9]+/gi, '-'));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'garbage.bin'), garbageBytes(7, 4096));
  const lmsPath = await writeFakeLms(dir, { prelude: `if [ "$1" = log ]; then\n${stream}\nfi\nanswer "$@"` });
  const marker = newMarker();
  const clock = createJumpClock();
  let streams = 0;
  const spawn: SpawnFn = (command, args, options) => {
    if (args[0] === 'log') streams += 1;
    return spawnWithoutShell(command, args, options);
  };
  const lms = createLmsCli({
    path: lmsPath,
    spawn,
    registry: createProcessRegistry({ clock, logger: silent }),
    clock,
    logger: silent,
    platform: 'linux',
    env: { PATH: process.env.PATH, [MARKER_VARIABLE]: marker },
  });
  let evidence = 0;
  const monitor = createActivityMonitor({ lms: () => lms, clock, logger: silent, evidence: () => (evidence += 1) });
  return { monitor, clock, marker, streams: () => streams, evidence: () => evidence };
}

/** Resolves once the monitor publishes an activity that `matches`. */
function until(monitor: ReturnType<typeof createActivityMonitor>, matches: (activity: ActivitySnapshot) => boolean) {
  return new Promise<ActivitySnapshot>((resolve) => {
    if (matches(monitor.snapshot())) resolve(monitor.snapshot());
    monitor.onChange((activity) => {
      if (matches(activity)) resolve(activity);
    });
  });
}

function left(marker: string): number {
  const pids = processesWithMarker(marker);
  totals.processesLeft += pids.length;
  endLeftovers(marker);
  return pids.length;
}

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())('the activity monitor over a breaking lms log stream', () => {
  for (const fault of EARLY_EXITS) {
    it(`lms log stream ${fault.name}: three starts, then it gives up and says so`, async () => {
      const run = await monitorOver(fault.name, fault.stream);
      run.monitor.serverChanged(ONLINE);
      const gaveUp = await settleWithJumps(
        until(run.monitor, (activity) => activity.state === 'unavailable'),
        run.clock,
      );
      totals.cases += 1;
      expect(gaveUp).toMatchObject({ state: 'unavailable', message: GAVE_UP, models: [] });
      expect(run.streams()).toBe(3);
      // Each exit was a hint that LM Studio may have gone.
      expect(run.evidence()).toBe(3);
      // Given up: time passing starts nothing more.
      for (let i = 0; i < 5 && run.clock.runNext(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(run.streams()).toBe(3);
      await settleWithJumps(run.monitor.stop(), run.clock);
      expect(left(run.marker)).toBe(0);
    }, 60_000);
  }

  it('lms log stream ignores SIGINT: killed after the grace when the monitor stops', async () => {
    const run = await monitorOver(
      'ignores SIGINT',
      "trap '' INT TERM\nprintf 'Streaming logs from LM Studio\\n' >&2\nexec sleep 1000",
    );
    run.monitor.serverChanged(ONLINE);
    // Running (started after `daemon status`, which needs no jump of the clock), then stopped.
    await vi.waitFor(
      () => {
        expect(run.streams()).toBe(1);
        expect(processesWithMarker(run.marker).length).toBeGreaterThan(0);
      },
      { timeout: 15_000 },
    );
    await settleWithJumps(run.monitor.stop(), run.clock);
    totals.cases += 1;
    expect(left(run.marker)).toBe(0);
    expect(run.streams()).toBe(1);
  }, 60_000);

  it('left no process: the tally', () => {
    expect(totals).toMatchObject({ cases: EARLY_EXITS.length + 1, processesLeft: 0 });
    recordTally({ family: 'lms faults', cases: totals.cases, hangs: 0, processesLeft: totals.processesLeft });
  });
});
