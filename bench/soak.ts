/**
 * `npm run soak [-- --seconds N] [--seed S]`: the real core against the simulator for a bounded
 * time (60 s by default), with LM Studio crashing, quitting, stopping its server and coming
 * back, while downloads, loads and unloads run. Loopback only; every process it starts ends.
 *
 * Reports: status transitions and notifications (by kind), downloads by outcome, the highest
 * `downloads:changed` rate in any one second, heap growth after warm-up (with a forced GC when
 * available), lms processes left behind, and how often the simulator was woken by the core.
 * Exit code 1 when an lms child outlives shutdown or the core never comes back online.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_CATALOG, type Simulator, startSimulator } from '../e2e/simulator/index';
import { createTrayCore } from '../electron/core/app';
import { createConsoleLogger, nodeFileSystem, spawnWithoutShell, systemClock } from '../electron/core/node-ports';
import type { AppEvent, DownloadState, ServerState } from '../electron/shared/contract';

interface Options {
  seconds: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { seconds: 60, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if ((flag === '--seconds' || flag === '--seed') && Number.isFinite(value) && value > 0) {
      options[flag === '--seconds' ? 'seconds' : 'seed'] = Math.min(value, 3600);
      i++;
    } else {
      throw new Error(`Unknown or invalid argument ${flag}. Usage: npm run soak -- [--seconds N] [--seed S]`);
    }
  }
  return options;
}

/** A small deterministic generator, so a run can be repeated with the same --seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `gc()` when Node allows it to be exposed at run time; null otherwise. */
function exposeGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

function heapMb(gc: (() => void) | null): number {
  gc?.();
  return process.memoryUsage().heapUsed / 1_048_576;
}

/** Fake `lms` processes of this simulator still running (reads `ps`; kills nothing). */
function lmsChildren(sim: Simulator): string[] {
  if (process.platform === 'win32') return [];
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(sim.homeDir))
    .map((line) => line.trim());
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const rand = random(options.seed);
  const gc = exposeGc();
  const sim = await startSimulator({ downloadBytesPerSecond: 2_000_000_000 });
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'lmstudio-tray-soak-'));
  const notifications = new Map<string, number>();
  const transitions = new Map<string, number>();
  const downloadOutcomes = new Map<string, number>();
  const downloadUpdatesPerSecond = new Map<number, number>();
  /** Failure messages, to check each says what happened (LM Studio crashed mid-download, ...). */
  const failures = new Map<string, number>();
  let lastState: ServerState = 'checking';

  const core = createTrayCore({
    clock: systemClock,
    spawn: spawnWithoutShell,
    fs: nodeFileSystem,
    notifier: { show: (n) => notifications.set(n.kind, (notifications.get(n.kind) ?? 0) + 1) },
    logger: createConsoleLogger(process.env.LMSTUDIO_TRAY_LOG === 'debug' ? 'debug' : 'silent'),
    environment: { platform: process.platform, homedir: sim.homeDir, env: { PATH: process.env.PATH } },
    configDir,
    overrides: { pollIntervalMs: 1000 },
    transport: 'web',
    appVersion: 'soak',
    which: async () => null,
  });
  const counted = new Set<string>();
  core.onEvent((event: AppEvent) => {
    if (event.name === 'server:status-changed' && event.payload.state !== lastState) {
      const key = `${lastState} -> ${event.payload.state}`;
      transitions.set(key, (transitions.get(key) ?? 0) + 1);
      lastState = event.payload.state;
    }
    if (event.name === 'downloads:changed') {
      const second = Math.floor(Date.now() / 1000);
      downloadUpdatesPerSecond.set(second, (downloadUpdatesPerSecond.get(second) ?? 0) + 1);
      for (const d of event.payload) countOutcome(d);
    }
  });
  function countOutcome(d: DownloadState): void {
    const key = `${d.id}:${d.startedAt}`;
    if (d.endedAt === null || counted.has(key)) return;
    counted.add(key);
    downloadOutcomes.set(d.status, (downloadOutcomes.get(d.status) ?? 0) + 1);
    if (d.status === 'failed' && d.message) failures.set(d.message, (failures.get(d.message) ?? 0) + 1);
  }

  const startedAt = Date.now();
  const deadline = startedAt + options.seconds * 1000;
  const warmUpUntil = startedAt + Math.min(10_000, (options.seconds * 1000) / 5);
  let baselineHeap: number | null = null;
  let actions = 0;
  let commandErrors = 0;
  const keys = DEFAULT_CATALOG.map((entry) => entry.key);

  await core.start();
  process.stderr.write(`soak: ${options.seconds} s against ${sim.baseUrl} (seed ${options.seed})\n`);

  while (Date.now() < deadline) {
    if (baselineHeap === null && Date.now() >= warmUpUntil) baselineHeap = heapMb(gc);
    actions++;
    const roll = rand();
    const online = core.snapshot().status.state === 'online';
    if (roll < 0.2) {
      await sim.crash();
      await sleep(300 + rand() * 1500);
      await sim.launchApp();
    } else if (roll < 0.3) {
      await sim.quitApp();
      await sleep(500 + rand() * 1500);
      await sim.launchApp();
    } else if (roll < 0.4) {
      await sim.stopServer();
      await sleep(300 + rand() * 1000);
      await sim.startServer();
    } else if (roll < 0.75 && online) {
      const model = keys[Math.floor(rand() * keys.length)]!;
      const result = await core.invoke('downloads:start', { model });
      if (!result.ok) commandErrors++;
    } else if (online) {
      const loaded = core.snapshot().models.loaded;
      const downloaded = core.snapshot().models.models.filter((m) => m.type !== 'embedding');
      const result =
        loaded.length > 0 && rand() < 0.5
          ? await core.invoke('models:unload-all', undefined)
          : downloaded.length > 0
            ? await core.invoke('models:load', { modelKey: downloaded[Math.floor(rand() * downloaded.length)]!.key })
            : null;
      if (result && !result.ok) commandErrors++;
    }
    // Keep the list short, as a user dismissing finished rows would.
    for (const d of core.snapshot().downloads) {
      if (d.endedAt !== null) await core.invoke('downloads:dismiss', { id: d.id });
    }
    await sleep(200 + rand() * 800);
  }

  // Settle: the app up, the server on, and the core seeing it.
  await sim.launchApp();
  await sim.startServer();
  const settleUntil = Date.now() + 15_000;
  while (core.snapshot().status.state !== 'online' && Date.now() < settleUntil) await sleep(100);
  const finalState = core.snapshot().status.state;
  const endHeap = heapMb(gc);
  const wakes = sim.state.wakeCount();

  await core.shutdown({ cancelDownloads: false });
  const leftovers = lmsChildren(sim);
  await sim.close();
  await rm(configDir, { recursive: true, force: true });

  const report = {
    seconds: options.seconds,
    seed: options.seed,
    actions,
    commandErrors,
    finalState,
    transitions: Object.fromEntries(transitions),
    transitionCount: [...transitions.values()].reduce((a, b) => a + b, 0),
    notifications: Object.fromEntries(notifications),
    downloads: Object.fromEntries(downloadOutcomes),
    downloadFailures: Object.fromEntries(failures),
    maxDownloadsChangedPerSecond: Math.max(0, ...downloadUpdatesPerSecond.values()),
    heapMb: {
      afterWarmUp: Number((baselineHeap ?? endHeap).toFixed(1)),
      end: Number(endHeap.toFixed(1)),
      growth: Number((endHeap - (baselineHeap ?? endHeap)).toFixed(1)),
      gcForced: gc !== null,
    },
    simulatorWakes: wakes,
    lmsLeftAfterShutdown: leftovers,
  };
  console.log(JSON.stringify(report, null, 2));
  if (leftovers.length > 0 || finalState !== 'online') process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
