/**
 * Crash safety (issue 8, item 6): a process saving settings.json is killed with SIGKILL at
 * random (seeded) points of the save. After every kill settings.json is the old settings or the
 * new ones, never anything else, and whatever the killed save left beside it (a temporary file,
 * its lock) is gone once the store starts again.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SettingsPatch } from '../../../electron/shared/contract';
import { newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile, startSettingsDriver } from './settings-process';

const KILLS = scaled(100, 1000);
const SEED = 20_261_202;

const driver = bundledSettingsDriverForThisFile();

/** Everything in the folder but settings.json itself. */
async function strayFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== 'settings.json');
}

async function onDisk(dir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Sleeps a few milliseconds, finer than a timer can, so kills land all over a save; without
 * spinning, so the child being killed keeps the CPU it needs.
 */
function sleepExactly(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const patchFor = (n: number): SettingsPatch => ({
  pollIntervalMs: 1000 + n,
  // Lengths vary, so the killed write is sometimes longer and sometimes shorter than the old file.
  lmsPath: `/opt/lmstudio-${n}/${'bin/'.repeat(n % 7)}lms`,
});

describe('crash safety: settings.json', () => {
  it(
    `is always the old or the new settings when a save is killed with SIGKILL (${KILLS} kills)`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-crash-'));
      const marker = newMarker();
      try {
        // A file saved normally first. A few clean saves also tell when a save starts after `go`
        // (the pipe and the child's event loop) and how long it lasts, to aim the kills.
        const starts: number[] = [];
        const lengths: number[] = [];
        for (let n = 0; n < 5; n++) {
          const run = startSettingsDriver(driver(), dir, [patchFor(n)], marker);
          await run.load();
          const sent = performance.timeOrigin + performance.now();
          await run.go();
          await run.printed('saved');
          const saving = Number(/^saving (\S+)$/m.exec(run.output())?.[1]);
          const done = Number(/^done (\S+)$/m.exec(run.output())?.[1]);
          starts.push(saving - sent);
          lengths.push(done - saving);
          await run.exited;
        }
        const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
        const start = Math.max(0, median(starts));
        const length = median(lengths);
        // Seeded, so a failure is replayed exactly; uniform (no bias to the ends) in microseconds over
        // the whole save and a little around it.
        const delays = fc.sample(
          fc.noBias(fc.integer({ min: Math.round(start * 800), max: Math.round((start + length * 1.5) * 1000) })),
          { seed: SEED, numRuns: KILLS * 4 },
        );

        let previous = await onDisk(dir);
        let kills = 0;
        let corruptFiles = 0;
        let killsThatLeftFiles = 0;
        let killsAfterRename = 0;
        let runs = 0;
        // The next run's process starts while this one is checked: Node's start-up is most of a run.
        let next = startSettingsDriver(driver(), dir, [patchFor(5)], marker);
        for (const [attempt, delay] of delays.entries()) {
          if (kills === KILLS) break;
          const patch = patchFor(attempt + 5);
          const run = next;
          next = startSettingsDriver(driver(), dir, [patchFor(attempt + 6)], marker);
          runs++;
          await run.load();
          // What the last killed save left behind is gone now that a store has started again.
          expect(await strayFiles(dir)).toEqual([]);
          await run.go();
          sleepExactly(delay / 1000);
          run.child.kill('SIGKILL');
          const { signal } = await run.exited;
          const killedMidSave = signal === 'SIGKILL' && !run.output().includes('saved');
          if (killedMidSave) kills++;

          const now = await onDisk(dir);
          const expectedNew = { ...(previous as object), ...patch };
          if (isDeepStrictEqual(now, previous)) {
            // The kill came before the rename.
          } else if (isDeepStrictEqual(now, expectedNew)) {
            if (killedMidSave) killsAfterRename++;
            previous = now;
          } else {
            corruptFiles++;
            previous = now;
          }
          if (killedMidSave && (await strayFiles(dir)).length > 0) killsThatLeftFiles++;
        }

        // One more start cleans up after the last kill.
        const last = next;
        await last.load();
        await last.go();
        await last.exited;
        const processesLeft = processesWithMarker(marker).length;

        expect(corruptFiles).toBe(0);
        expect(kills).toBe(KILLS);
        expect(await strayFiles(dir)).toEqual([]);
        expect(processesLeft).toBe(0);
        // The kills landed inside saves: some caught a temporary file or the lock on disk.
        expect(killsThatLeftFiles).toBeGreaterThan(0);
        console.info(
          `crash safety: ${kills} kills mid-save in ${runs} runs (${killsAfterRename} after the rename), ` +
            `${killsThatLeftFiles} left a temporary file or lock (all removed at the next start), ${corruptFiles} corrupt files`,
        );
        recordTally({ family: 'crash safety', cases: kills, corruptFiles, processesLeft, crashes: 0, hangs: 0 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    scaled(300_000, 30 * 60_000),
  );
});
