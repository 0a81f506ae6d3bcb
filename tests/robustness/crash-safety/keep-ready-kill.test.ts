/**
 * Crash safety of keep-ready.json (issue 9): the keeper's claim on a load, which the desktop app
 * and web mode share beside settings.json. A process keeping a model loaded is killed with
 * SIGKILL at random (seeded) points: while it claims the load, while it loads, while it releases
 * the claim. After every kill keep-ready.json is missing or a whole claim list, never anything
 * else; and when the kill left a claim behind, the next keeper still loads the model at once (a
 * dead process's claim holds nobody up), and removes what the killed save left beside the file.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withinRealTime } from '../lms-faults/checks';
import { newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';
import { bundledSettingsDriverForThisFile, type DriverRun, startSettingsDriver } from './settings-process';

const KILLS = scaled(40, 400);
const SEED = 20_261_204;
/** How long the fake load takes: long enough for kills to land inside it, not only in the file's writes. */
const LOAD_MS = 20;
/** A keeper that is not held up loads within this (a held-up one waits for the claim to expire: 15 minutes). */
const PROMPTLY_MS = 10_000;

const driver = bundledSettingsDriverForThisFile('keep-ready-driver.ts');
const FILES = ['settings.json', 'keep-ready.json'];

async function strayFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !FILES.includes(name));
}

/** keep-ready.json's claims: [] when there is no file, undefined when it is not a claim list. */
async function claimsOnDisk(dir: string): Promise<unknown[] | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'keep-ready.json'), 'utf8');
  } catch {
    return [];
  }
  try {
    const loading = (JSON.parse(text) as { loading?: unknown }).loading;
    const whole = (claim: unknown) =>
      typeof claim === 'object' &&
      claim !== null &&
      typeof (claim as { modelKey?: unknown }).modelKey === 'string' &&
      typeof (claim as { owner?: unknown }).owner === 'string' &&
      typeof (claim as { until?: unknown }).until === 'number';
    return Array.isArray(loading) && loading.every(whole) ? loading : undefined;
  } catch {
    return undefined;
  }
}

function sleepExactly(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const start = (dir: string, marker: string): DriverRun =>
  startSettingsDriver(driver(), dir, String(LOAD_MS) as never, marker);

describe('crash safety: keep-ready.json', () => {
  it(
    `is always a whole claim list, and a killed keeper's claim holds nobody up (${KILLS} kills)`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-keep-ready-crash-'));
      const marker = newMarker();
      await writeFile(
        path.join(dir, 'settings.json'),
        `${JSON.stringify({ keepLoaded: [{ modelKey: 'qwen/qwen3-4b', options: { contextLength: 4096 } }] })}\n`,
      );
      try {
        // Clean runs first, to aim the kills (when the keeper starts after `go`, how long it takes).
        const starts: number[] = [];
        const lengths: number[] = [];
        for (let n = 0; n < 5; n++) {
          const run = start(dir, marker);
          await run.load();
          const sent = performance.timeOrigin + performance.now();
          await run.go();
          await run.printed('saved');
          starts.push(Number(/^saving (\S+)$/m.exec(run.output())?.[1]) - sent);
          lengths.push(
            Number(/^done (\S+)$/m.exec(run.output())?.[1]) - Number(/^saving (\S+)$/m.exec(run.output())?.[1]),
          );
          await run.exited;
        }
        const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
        const from = Math.max(0, median(starts));
        const length = median(lengths);
        const delays = fc.sample(
          fc.noBias(fc.integer({ min: Math.round(from * 800), max: Math.round((from + length * 1.5) * 1000) })),
          { seed: SEED, numRuns: KILLS * 4 },
        );

        let kills = 0;
        let killsDuringLoad = 0;
        let corruptFiles = 0;
        let claimsLeft = 0;
        const heldUp: string[] = [];
        for (const delay of delays) {
          // A few held-up keepers say all there is to say (each costs PROMPTLY_MS).
          if (kills === KILLS || heldUp.length === 3) break;
          const run = start(dir, marker);
          await run.load();
          await run.go();
          sleepExactly(delay / 1000);
          run.child.kill('SIGKILL');
          const { signal } = await run.exited;
          if (signal !== 'SIGKILL' || run.output().includes('saved')) continue;
          kills++;
          if (run.output().includes('loading')) killsDuringLoad++;

          const claims = await claimsOnDisk(dir);
          if (claims === undefined) {
            corruptFiles++;
            await rm(path.join(dir, 'keep-ready.json'), { force: true });
            continue;
          }
          if (claims.length === 0) continue;
          // The killed keeper's claim is on disk: the next keeper must not wait for it to expire.
          claimsLeft++;
          const next = start(dir, marker);
          await next.load();
          await next.go();
          try {
            await withinRealTime(next.printed('saved'), PROMPTLY_MS);
          } catch {
            heldUp.push(`after kill ${kills}: ${JSON.stringify(claims)}`);
            next.child.kill('SIGKILL');
          }
          await next.exited;
        }

        expect(corruptFiles).toBe(0);
        expect(heldUp).toEqual([]);
        // A last clean run removes whatever the last kill left beside the file.
        const last = start(dir, marker);
        await last.load();
        await last.go();
        await withinRealTime(last.printed('saved'), PROMPTLY_MS);
        await last.exited;
        const processesLeft = processesWithMarker(marker).length;

        expect(kills).toBe(KILLS);
        expect(killsDuringLoad).toBeGreaterThan(0);
        expect(claimsLeft).toBeGreaterThan(0);
        expect(await claimsOnDisk(dir)).toEqual([]);
        expect(await strayFiles(dir)).toEqual([]);
        expect(processesLeft).toBe(0);
        console.info(
          `crash safety (keep-ready.json): ${kills} kills (${killsDuringLoad} during the load), ${claimsLeft} left a claim ` +
            `(each time the next keeper loaded at once), ${corruptFiles} corrupt files`,
        );
        recordTally({ family: 'crash safety', cases: kills, corruptFiles, processesLeft, crashes: 0, hangs: 0 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    scaled(300_000, 30 * 60_000),
  );
});
