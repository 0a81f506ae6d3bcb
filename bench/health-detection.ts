/**
 * How fast the health monitor notices LM Studio dying, and what watching costs while idle.
 *
 * Starts the simulator, runs the real monitor (real client, real `lms` runner on the fake
 * `lms`, default poll interval), then:
 * - counts the HTTP requests the monitor makes while idle-online (from the simulator's log);
 * - crashes the simulator N times and times each crash -> `offline` status change.
 *
 * Run alone: `node --import tsx bench/health-detection.ts [crashes] [idleSeconds]`
 */
import { pathToFileURL } from 'node:url';
import { startSimulator } from '../e2e/simulator/index';
import { createHealthMonitor } from '../electron/core/health/monitor';
import { createLmStudioClient } from '../electron/core/lmstudio/client';
import { createLmsCli } from '../electron/core/lmstudio/lms/cli';
import { spawnWithoutShell, systemClock } from '../electron/core/node-ports';
import type { Logger } from '../electron/core/ports';
import { createProcessRegistry } from '../electron/core/processes';
import { DEFAULT_SETTINGS, type ServerState } from '../electron/shared/contract';

export interface BenchRow {
  bench: string;
  metric: string;
  value: number;
  unit: string;
}

export interface HealthDetectionOptions {
  crashes?: number;
  idleSeconds?: number;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function benchHealthDetection(options: HealthDetectionOptions = {}): Promise<BenchRow[]> {
  const crashes = options.crashes ?? 20;
  const idleSeconds = options.idleSeconds ?? 30;
  const pollIntervalMs = DEFAULT_SETTINGS.pollIntervalMs;
  const sim = await startSimulator();
  const registry = createProcessRegistry({ clock: systemClock, logger: quiet });
  const client = createLmStudioClient({ baseUrl: sim.baseUrl, token: () => null });
  const lms = createLmsCli({
    path: sim.lmsPath,
    spawn: spawnWithoutShell,
    registry,
    clock: systemClock,
    logger: quiet,
    platform: process.platform,
  });
  const monitor = createHealthMonitor({
    client: () => client,
    lms: () => lms,
    lmsDiscovery: () => ({ path: sim.lmsPath, searched: [sim.lmsPath] }),
    clock: systemClock,
    logger: quiet,
    pollIntervalMs: () => pollIntervalMs,
  });

  const waiters = new Set<{ state: ServerState; resolve: (at: number) => void }>();
  monitor.onChange((status) => {
    const at = performance.now();
    for (const waiter of [...waiters]) {
      if (waiter.state === status.state) {
        waiters.delete(waiter);
        waiter.resolve(at);
      }
    }
  });
  const reach = (state: ServerState, timeoutMs = 30_000) =>
    monitor.current().state === state
      ? Promise.resolve(performance.now())
      : new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no "${state}" within ${timeoutMs} ms`)), timeoutMs);
          waiters.add({
            state,
            resolve: (at) => {
              clearTimeout(timer);
              resolve(at);
            },
          });
        });

  try {
    // What one `lms daemon status` costs here: the floor under crash -> offline, since that
    // question (asked while the failure is confirmed) tells "not running" from "server off".
    const lmsRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await lms.daemonStatus();
      lmsRuns.push(performance.now() - started);
    }
    lmsRuns.sort((a, b) => a - b);

    monitor.start();
    await reach('online');

    // Idle-online cost: every request the simulator saw in a quiet window.
    await sleep(2_000);
    const from = Date.now();
    await sleep(idleSeconds * 1000);
    const idleRequests = sim.state.requests().filter((r) => r.at >= from).length;

    const detections: number[] = [];
    for (let i = 0; i < crashes; i++) {
      // Let the connection watch re-arm (at most once a second) after the previous recovery.
      await sleep(1_200);
      const offline = reach('offline');
      const crashedAt = performance.now();
      await sim.crash();
      detections.push((await offline) - crashedAt);
      await sim.launchApp();
      // Recovery speed is not measured here: ask at once instead of waiting for the next poll.
      const online = reach('online');
      await monitor.checkNow();
      await online;
    }

    detections.sort((a, b) => a - b);
    const bench = 'health-detection';
    return [
      { bench, metric: `crash -> offline, median (n=${crashes})`, value: percentile(detections, 50), unit: 'ms' },
      { bench, metric: 'crash -> offline, p95', value: percentile(detections, 95), unit: 'ms' },
      { bench, metric: 'crash -> offline, max', value: detections.at(-1) ?? Number.NaN, unit: 'ms' },
      {
        bench,
        metric: `idle-online HTTP requests (poll ${pollIntervalMs / 1000} s, ${idleSeconds} s window)`,
        value: idleRequests / idleSeconds,
        unit: 'req/s',
      },
      { bench, metric: '`lms daemon status` run (fake lms), median', value: percentile(lmsRuns, 50), unit: 'ms' },
      { bench, metric: 'LM Studio wake-ups caused', value: sim.state.wakeCount(), unit: '' },
    ];
  } finally {
    monitor.stop();
    await registry.endAll();
    await sim.close();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [crashes, idleSeconds] = process.argv.slice(2).map(Number);
  const rows = await benchHealthDetection({ crashes: crashes || undefined, idleSeconds: idleSeconds || undefined });
  for (const row of rows) {
    const value = Number.isInteger(row.value) ? String(row.value) : row.value.toFixed(row.unit === 'ms' ? 0 : 2);
    console.log(`${row.metric}: ${value} ${row.unit}`);
  }
}
