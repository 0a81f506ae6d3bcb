/**
 * Crash safety (issue 9): a process recording a download in downloads.json is killed with
 * SIGKILL at random (seeded) points of the save. After every kill downloads.json is the old
 * journal or the new one, never anything else, and whatever the killed save left beside it (a
 * temporary file, its lock) is gone once a journal reads it again. The same aim as
 * settings-kill.test.ts, whose timing it copies.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../electron/core/interfaces';
import { newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile, type JournalWork, startSettingsDriver } from './settings-process';

const KILLS = scaled(100, 1000);
const SEED = 20_261_203;
/** Ids cycle, so a run both adds entries and replaces them, and the file stays a few KB. */
const IDS = 40;

const driver = bundledSettingsDriverForThisFile('journal-driver.ts');

async function strayFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== 'downloads.json');
}

async function onDisk(dir: string): Promise<JournalEntry[] | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(dir, 'downloads.json'), 'utf8')) as { downloads: JournalEntry[] })
      .downloads;
  } catch {
    return undefined;
  }
}

/** Sleeps a few milliseconds, finer than a timer can, without spinning (see settings-kill.test.ts). */
function sleepExactly(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const entryFor = (n: number): JournalEntry => ({
  id: `dl-${n % IDS}`,
  // Lengths vary, so the killed write is sometimes longer and sometimes shorter than the old file.
  model: `https://huggingface.co/owner-${n}/${'repo-'.repeat(n % 9)}gguf`,
  loadWhenDone: n % 2 === 0,
  attempt: 1 + (n % 7),
  firstFailureAt: n % 3 === 0 ? null : 1_786_252_670_000 + n,
  retryingMs: (n % 5) * 60_000,
  failureKind: n % 3 === 0 ? null : 'interrupted',
  startedAt: 1_786_252_600_000 + n,
});
const workFor = (n: number): JournalWork => [{ put: entryFor(n) }];

/** The journal after recording `entry`: replaced in place by id, else added at the end. */
function withEntry(journal: JournalEntry[], entry: JournalEntry): JournalEntry[] {
  return journal.some((old) => old.id === entry.id)
    ? journal.map((old) => (old.id === entry.id ? entry : old))
    : [...journal, entry];
}

describe('crash safety: downloads.json', () => {
  it(
    `is always the old or the new journal when a save is killed with SIGKILL (${KILLS} kills)`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-journal-crash-'));
      const marker = newMarker();
      try {
        // A few clean saves first, to aim the kills (when a save starts after `go`, how long it lasts).
        const starts: number[] = [];
        const lengths: number[] = [];
        for (let n = 0; n < 5; n++) {
          const run = startSettingsDriver(driver(), dir, workFor(n), marker);
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
        let next = startSettingsDriver(driver(), dir, workFor(5), marker);
        for (const [attempt, delay] of delays.entries()) {
          if (kills === KILLS) break;
          const entry = entryFor(attempt + 5);
          const run = next;
          next = startSettingsDriver(driver(), dir, workFor(attempt + 6), marker);
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
          const expectedNew = withEntry(previous, entry);
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

        const last = next;
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
          `crash safety (downloads.json): ${kills} kills mid-save in ${runs} runs (${killsAfterRename} after the rename), ` +
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
