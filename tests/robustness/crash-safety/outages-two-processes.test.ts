/**
 * Crash safety (issue 10): the desktop app and web mode may both watch a server and both keep
 * outages.json. Two processes running the outage history open and close outages of their own
 * addresses at the same moment, many times over: neither loses a change (each checks its own
 * address after every step, and the final file holds exactly what both recorded).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OutageEntry } from '../../../electron/core/interfaces';
import { newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile, type OutageWork, startSettingsDriver } from './settings-process';

const ROUNDS = scaled(10, 100);
const OUTAGES_PER_PROCESS = 10;

const driver = bundledSettingsDriverForThisFile('outages-driver.ts');

/** Opens an outage per address and closes two of every three (the third is still down at the end). */
function workFor(prefix: string, start: number): { work: OutageWork; left: OutageEntry[] } {
  const work: OutageWork = [];
  const left: OutageEntry[] = [];
  for (let n = 0; n < OUTAGES_PER_PROCESS; n++) {
    const baseUrl = `http://${prefix}-${n}.local:1234`;
    const from = start + n * 1000;
    work.push({ open: baseUrl, at: from });
    if (n % 3 === 0) {
      left.push({ from, to: null, state: 'offline', baseUrl });
    } else {
      work.push({ close: baseUrl, at: from + 500 });
      left.push({ from, to: from + 500, state: 'offline', baseUrl });
    }
  }
  return { work, left };
}

describe('crash safety: two processes writing outages.json at once', () => {
  it(
    `loses no outage of either (${ROUNDS} rounds of ${OUTAGES_PER_PROCESS} outages each)`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-outages-two-'));
      const file = path.join(dir, 'outages.json');
      const marker = newMarker();
      let lostChanges = 0;
      let corruptFiles = 0;
      let steps = 0;
      try {
        for (let round = 0; round < ROUNDS; round++) {
          // Within the last week, so nothing is pruned.
          const start = Date.now() - 60 * 60_000;
          const desktop = workFor(`desk-${round}`, start);
          const web = workFor(`web-${round}`, start + 100);
          steps += desktop.work.length + web.work.length;
          const runs = [desktop, web].map(({ work }) => startSettingsDriver(driver(), dir, work, marker));
          await Promise.all(runs.map((run) => run.load()));
          await Promise.all(runs.map((run) => run.go()));
          const ends = await Promise.all(runs.map((run) => run.exited));
          for (const [index, run] of runs.entries()) {
            expect(ends[index], run.output()).toEqual({ code: 0, signal: null });
            lostChanges += run.output().match(/^lost /gm)?.length ?? 0;
          }

          let final: OutageEntry[] = [];
          try {
            final = (JSON.parse(await readFile(file, 'utf8')) as { outages: OutageEntry[] }).outages;
          } catch {
            corruptFiles++;
          }
          const byAddress = (a: OutageEntry, b: OutageEntry) => a.baseUrl.localeCompare(b.baseUrl);
          const expected = [...desktop.left, ...web.left].sort(byAddress);
          if (JSON.stringify([...final].sort(byAddress)) !== JSON.stringify(expected)) lostChanges++;
          // The history keeps them oldest first.
          if (final.some((entry, i) => i > 0 && final[i - 1]!.from > entry.from)) lostChanges++;
          // The next round starts from an empty history, so the file stays small.
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
