/**
 * Crash safety (issue 10): a process recording an outage in outages.json (a server going down,
 * or coming back) is killed with SIGKILL at random (seeded) points of the save. After every kill
 * outages.json is the old history or the new one, never anything else, and whatever the killed
 * save left beside it (a temporary file, its lock) is gone once a history reads it again. The
 * same aim as journal-kill.test.ts, whose timing it copies.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_OUTAGES } from '../../../electron/core/diagnostics/outages';
import type { OutageEntry } from '../../../electron/core/interfaces';
import { newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile, type OutageWork, startSettingsDriver } from './settings-process';

const KILLS = scaled(100, 1000);
const SEED = 20_261_203;
/** Addresses cycle, so runs both open outages and close them; under fuzz the history reaches its cap. */
const ADDRESSES = 40;

const driver = bundledSettingsDriverForThisFile('outages-driver.ts');

async function strayFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== 'outages.json');
}

async function onDisk(dir: string): Promise<OutageEntry[] | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(dir, 'outages.json'), 'utf8')) as { outages: OutageEntry[] }).outages;
  } catch {
    return undefined;
  }
}

/** Sleeps a few milliseconds, finer than a timer can, without spinning (see settings-kill.test.ts). */
function sleepExactly(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Within the last week, so nothing is pruned by age. */
const BASE = Date.now() - 60 * 60_000;
const addressOf = (n: number) => `http://server-${n % ADDRESSES}.local:1234`;

/** Run n's step: close the address's outage when one is open, else open one. */
function stepFor(n: number, history: OutageEntry[]): OutageWork[number] {
  const baseUrl = addressOf(n);
  return history.some((entry) => entry.baseUrl === baseUrl && entry.to === null)
    ? { close: baseUrl, at: BASE + n * 10 + 5 }
    : { open: baseUrl, at: BASE + n * 10 };
}

/** The history after `step`, as outages.ts makes it: oldest first, the newest MAX_OUTAGES. */
function withStep(history: OutageEntry[], step: OutageWork[number]): OutageEntry[] {
  const next =
    'open' in step
      ? [...history, { from: step.at, to: null, state: 'offline' as const, baseUrl: step.open }]
      : history.map((entry) =>
          entry.baseUrl === step.close && entry.to === null ? { ...entry, to: Math.max(entry.from, step.at) } : entry,
        );
  return next.sort((a, b) => a.from - b.from).slice(-MAX_OUTAGES);
}

describe('crash safety: outages.json', () => {
  it(
    `is always the old or the new history when a save is killed with SIGKILL (${KILLS} kills)`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-outages-crash-'));
      const marker = newMarker();
      try {
        // A few clean saves first, to aim the kills (when a save starts after `go`, how long it lasts).
        const starts: number[] = [];
        const lengths: number[] = [];
        for (let n = 0; n < 5; n++) {
          const run = startSettingsDriver(driver(), dir, [stepFor(n, (await onDisk(dir)) ?? [])], marker);
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
        const delays = fc.sample(
          fc.noBias(fc.integer({ min: Math.round(start * 800), max: Math.round((start + length * 1.5) * 1000) })),
          { seed: SEED, numRuns: KILLS * 4 },
        );

        let previous = (await onDisk(dir)) ?? [];
        let kills = 0;
        let corruptFiles = 0;
        let killsThatLeftFiles = 0;
        let killsAfterRename = 0;
        let runs = 0;
        for (const [attempt, delay] of delays.entries()) {
          if (kills === KILLS) break;
          const step = stepFor(attempt + 5, previous);
          const run = startSettingsDriver(driver(), dir, [step], marker);
          runs++;
          await run.load();
          expect(await strayFiles(dir)).toEqual([]);
          await run.go();
          sleepExactly(delay / 1000);
          run.child.kill('SIGKILL');
          const { signal } = await run.exited;
          const killedMidSave = signal === 'SIGKILL' && !run.output().includes('saved');
          if (killedMidSave) kills++;

          const now = await onDisk(dir);
          const expectedNew = withStep(previous, step);
          if (isDeepStrictEqual(now, previous)) {
            // The kill came before the rename.
          } else if (isDeepStrictEqual(now, expectedNew)) {
            if (killedMidSave) killsAfterRename++;
            previous = expectedNew;
          } else {
            corruptFiles++;
            previous = now ?? [];
          }
          if (killedMidSave && (await strayFiles(dir)).length > 0) killsThatLeftFiles++;
        }

        const last = startSettingsDriver(driver(), dir, [stepFor(KILLS * 4 + 5, previous)], marker);
        await last.load();
        await last.go();
        await last.exited;
        const processesLeft = processesWithMarker(marker).length;

        expect(corruptFiles).toBe(0);
        expect(kills).toBe(KILLS);
        expect(await strayFiles(dir)).toEqual([]);
        expect(processesLeft).toBe(0);
        expect(killsThatLeftFiles).toBeGreaterThan(0);
        console.info(
          `crash safety (outages.json): ${kills} kills mid-save in ${runs} runs (${killsAfterRename} after the rename), ` +
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
