/**
 * Measures what tests pay for the simulator: `startSimulator()` (first call bundles the fake
 * `lms`; later calls reuse the bundle) and one `lms server status --json` run, against a bare
 * `node -e ''` start for comparison. Prints medians in ms as one JSON line.
 *
 *   node --import tsx e2e/simulator/measure-startup.ts [runs]
 */
import { spawn } from 'node:child_process';
import { startSimulator } from './index';

const runs = Number(process.argv[2] ?? 10);

function timeChild(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
}

const firstStart = performance.now();
const first = await startSimulator();
const firstStartMs = performance.now() - firstStart;
await first.close();

const starts: number[] = [];
const statusRuns: number[] = [];
const bareNode: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const sim = await startSimulator();
  starts.push(performance.now() - t);
  statusRuns.push(await timeChild(sim.lmsPath, ['server', 'status', '--json']));
  bareNode.push(await timeChild(process.execPath, ['-e', '']));
  await sim.close();
}

process.stdout.write(
  `${JSON.stringify({
    runs,
    firstStartSimulatorMs: Math.round(firstStartMs),
    startSimulatorMedianMs: median(starts),
    lmsServerStatusMedianMs: median(statusRuns),
    bareNodeStartMedianMs: median(bareNode),
  })}\n`,
);
