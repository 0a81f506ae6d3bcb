/**
 * Crash safety (issue 9): the desktop app and web mode share downloads.json. Two processes
 * running the download journal record and forget their own downloads at the same moment, many
 * times over: neither loses a change (each checks its own entry after every step, and the final
 * file holds exactly what both left).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../electron/core/interfaces';
import { newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile, type JournalWork, startSettingsDriver } from './settings-process';

const ROUNDS = scaled(10, 100);
const DOWNLOADS_PER_PROCESS = 10;

const driver = bundledSettingsDriverForThisFile('journal-driver.ts');

const entry = (id: string, n: number): JournalEntry => ({
  id,
  model: `qwen/${id}`,
  loadWhenDone: n % 2 === 0,
  attempt: 1 + (n % 4),
  firstFailureAt: n % 4 === 0 ? null : 1_786_252_670_000 + n,
  retryingMs: n * 10_000,
  failureKind: n % 4 === 0 ? null : 'network',
  startedAt: 1_786_252_600_000 + n,
});

/** Records each download, updates it once (a retry), and forgets every third (finished). */
function workFor(prefix: string): { work: JournalWork; left: JournalEntry[] } {
  const work: JournalWork = [];
  const left: JournalEntry[] = [];
  for (let n = 0; n < DOWNLOADS_PER_PROCESS; n++) {
    const id = `${prefix}-${n}`;
    work.push({ put: entry(id, n) });
    work.push({ put: { ...entry(id, n), attempt: 9, retryingMs: 30_000 } });
    if (n % 3 === 0) work.push({ remove: id });
    else left.push({ ...entry(id, n), attempt: 9, retryingMs: 30_000 });
  }
  return { work, left };
}

describe('crash safety: two processes writing downloads.json at once', () => {
  it(
    `loses no download of either (${ROUNDS} rounds of ${DOWNLOADS_PER_PROCESS} downloads each)`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-journal-two-'));
      const file = path.join(dir, 'downloads.json');
      const marker = newMarker();
      let lostChanges = 0;
      let corruptFiles = 0;
      let steps = 0;
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const desktop = workFor(`desk-${round}`);
          const web = workFor(`web-${round}`);
          steps += desktop.work.length + web.work.length;
          const runs = [desktop, web].map(({ work }) => startSettingsDriver(driver(), dir, work, marker));
          await Promise.all(runs.map((run) => run.load()));
          await Promise.all(runs.map((run) => run.go()));
          const ends = await Promise.all(runs.map((run) => run.exited));
          for (const [index, run] of runs.entries()) {
            expect(ends[index], run.output()).toEqual({ code: 0, signal: null });
            lostChanges += run.output().match(/^lost /gm)?.length ?? 0;
          }

          let final: JournalEntry[] = [];
          try {
            final = (JSON.parse(await readFile(file, 'utf8')) as { downloads: JournalEntry[] }).downloads;
          } catch {
            corruptFiles++;
          }
          const byId = (a: JournalEntry, b: JournalEntry) => a.id.localeCompare(b.id);
          const expected = [...desktop.left, ...web.left].sort(byId);
          if (JSON.stringify([...final].sort(byId)) !== JSON.stringify(expected)) lostChanges++;
          // The next round starts from an empty journal, so the file stays small.
          await rm(file);
        }
        const processesLeft = processesWithMarker(marker).length;

        expect(lostChanges).toBe(0);
        expect(corruptFiles).toBe(0);
        expect(await readdir(dir)).toEqual([]);
        expect(processesLeft).toBe(0);
        recordTally({ family: 'crash safety', cases: steps, corruptFiles, processesLeft, crashes: 0, hangs: 0 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    scaled(60_000, 30 * 60_000),
  );
});
