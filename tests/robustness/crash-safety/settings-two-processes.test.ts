/**
 * Crash safety (issue 8, item 6): the desktop app and web mode share settings.json. Two
 * processes running the settings store save different fields at the same moment, many times
 * over: neither change is ever lost (each checks its own field after every save, and the
 * final file holds both last values).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SettingsPatch } from '../../../electron/shared/contract';
import { newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile, startSettingsDriver } from './settings-process';

const ROUNDS = scaled(10, 100);
const SAVES_PER_PROCESS = 15;

const driver = bundledSettingsDriverForThisFile();

describe('crash safety: two processes saving settings.json at once', () => {
  it(
    `loses neither change (${ROUNDS} rounds of ${SAVES_PER_PROCESS} saves each)`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-two-'));
      const marker = newMarker();
      let lostChanges = 0;
      let corruptFiles = 0;
      try {
        for (let round = 0; round < ROUNDS; round++) {
          // The desktop app changes the poll interval, web mode the lms path: different fields.
          const desktop: SettingsPatch[] = [];
          const web: SettingsPatch[] = [];
          for (let n = 1; n <= SAVES_PER_PROCESS; n++) {
            desktop.push({ pollIntervalMs: 1000 + round * 100 + n });
            web.push({ lmsPath: `/opt/lms-${round}-${n}/lms` });
          }
          const runs = [desktop, web].map((patches) => startSettingsDriver(driver(), dir, patches, marker));
          await Promise.all(runs.map((run) => run.load()));
          await Promise.all(runs.map((run) => run.go()));
          const ends = await Promise.all(runs.map((run) => run.exited));
          for (const [index, run] of runs.entries()) {
            expect(ends[index], run.output()).toEqual({ code: 0, signal: null });
            lostChanges += run.output().match(/^lost /gm)?.length ?? 0;
          }

          let final: Record<string, unknown> = {};
          try {
            final = JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8'));
          } catch {
            corruptFiles++;
          }
          if (final.pollIntervalMs !== desktop.at(-1)?.pollIntervalMs) lostChanges++;
          if (final.lmsPath !== web.at(-1)?.lmsPath) lostChanges++;
        }
        const processesLeft = processesWithMarker(marker).length;

        expect(lostChanges).toBe(0);
        expect(corruptFiles).toBe(0);
        expect(await readdir(dir)).toEqual(['settings.json']);
        expect(processesLeft).toBe(0);
        recordTally({
          family: 'crash safety',
          cases: ROUNDS * SAVES_PER_PROCESS * 2,
          corruptFiles,
          processesLeft,
          crashes: 0,
          hangs: 0,
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    scaled(60_000, 30 * 60_000),
  );
});
