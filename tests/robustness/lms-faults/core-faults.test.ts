/**
 * The whole core over a faulty `lms`: every fault of `faults.ts` meets every command that runs
 * `lms` (server start and stop, the lists, load, unload, unload all, a download and its cancel),
 * with LM Studio running and its server off, the state in which all of them go through `lms`.
 * Each answer is a typed result with a message fit to show (lms's own words where the runner
 * suite expects them); then quitting, with a download and a load still running, leaves no row
 * running, nothing loading and no process carrying the case's marker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrayCore } from '../../../electron/core/app';
import { nodeFileSystem, spawnWithoutShell } from '../../../electron/core/node-ports';
import { type CommandName, FINISHED_DOWNLOAD_STATUSES, type Result } from '../../../electron/shared/contract';
import { canListProcesses, MARKER_VARIABLE, newMarker, processesWithMarker } from '../processes';
import { recordTally } from '../tally';
import { checkMessage, endLeftovers, silent, withinRealTime } from './checks';
import { ENDLESS_MODEL, SERVER_STOPPED_VARIABLE } from './fake-lms';
import { FAULTS, type Fault } from './faults';
import { createJumpClock, settleWithJumps } from './jump-clock';

const ERROR_CODES = ['not-found', 'unavailable', 'lms-missing', 'lms-failed', 'server-error', 'internal'];

/** Each command that runs `lms`, and the runner operations (any one) whose message it must pass on unchanged. */
const COMMANDS: ReadonlyArray<{ name: CommandName; payload: unknown; operations: string[] }> = [
  { name: 'server:start', payload: undefined, operations: ['server start'] },
  { name: 'server:stop', payload: undefined, operations: ['server stop'] },
  { name: 'models:refresh', payload: undefined, operations: ['ls', 'ps'] },
  { name: 'models:load', payload: { modelKey: 'qwen/qwen3-4b' }, operations: [] },
  { name: 'models:unload', payload: { identifier: 'qwen/qwen3-4b' }, operations: ['unload'] },
  { name: 'models:unload-all', payload: undefined, operations: ['unload --all'] },
  // `lms load --estimate-only`, `lms runtime survey`, `lms ls` for the path: why there is no estimate, in one line.
  { name: 'models:estimate', payload: { modelKey: 'qwen/qwen3-4b', options: { contextLength: 4096 } }, operations: [] },
];

let root: string;
/** Nothing listens on port 1 (tcpmux): the server's address refuses, as when LM Studio's server is off. */
const closedPort = 1;
const totals = { cases: 0, hangs: 0, processesLeft: 0, problems: 0 };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lms-core-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Whether `actual` is the expected message (a string, or a matcher from `faults.ts`). */
function matches(actual: string, expected: unknown): boolean {
  if (typeof expected === 'string') return actual === expected;
  return (expected as { asymmetricMatch(value: unknown): boolean }).asymmetricMatch(actual);
}

/** A core whose `lms` is the fault's; with `serverStopped`, the status commands answer "server off" first. */
async function coreFor(fault: Fault, serverStopped: boolean) {
  const marker = newMarker();
  const dir = path.join(root, `${fault.name}${serverStopped ? '' : '-health'}`.replace(/[^a-z0-9]+/gi, '-'));
  const lmsPath = await fault.install(path.join(dir, 'bin'));
  const clock = createJumpClock();
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, [MARKER_VARIABLE]: marker };
  if (serverStopped) env[SERVER_STOPPED_VARIABLE] = '1';
  const core = createTrayCore(
    {
      clock,
      spawn: spawnWithoutShell,
      fs: nodeFileSystem,
      notifier: { show() {} },
      logger: silent,
      environment: { platform: 'linux', homedir: dir, env },
      configDir: path.join(dir, 'config'),
      overrides: { lmsPath, baseUrl: `http://127.0.0.1:${closedPort}`, pollIntervalMs: 600_000 },
      transport: 'web',
      appVersion: '0.0.0-test',
      which: async () => null,
    },
    {
      health: { confirmDelayMs: 50, connectCheckMs: 600_000, connectCheckDownMs: 600_000 },
      downloads: { stallAfterMs: 4_000, slowPhaseStallAfterMs: 8_000 },
    },
  );
  const wait = <T>(promise: Promise<T>) =>
    fault.hangs ? settleWithJumps(promise, clock) : withinRealTime(promise, 15_000);
  return { core, marker, wait };
}

/** After quitting: no process carrying the marker (counted, reported, then ended). */
function leftAfterQuit(fault: Fault, marker: string, problems: string[]): void {
  const left = processesWithMarker(marker);
  if (left.length > 0) {
    totals.processesLeft += left.length;
    problems.push(`${fault.name} / quit: processes left ${left.join(', ')}`);
  }
  endLeftovers(marker);
}

async function runCase(fault: Fault): Promise<string[]> {
  const { core, marker, wait } = await coreFor(fault, true);
  const problems: string[] = [];
  try {
    await wait(core.start());
    for (const command of COMMANDS) {
      totals.cases += 1;
      const label = `${fault.name} / ${command.name}`;
      let result: Result<unknown>;
      try {
        result = await wait(core.invoke(command.name, command.payload));
      } catch (error) {
        totals.hangs += 1;
        problems.push(`${label}: ${error instanceof Error ? error.message : error}`);
        continue;
      }
      try {
        // An answer without an estimate says why, in a line fit to show.
        const unavailable = result.ok ? (result.value as { unavailableReason?: unknown }).unavailableReason : null;
        if (typeof unavailable === 'string') checkMessage(unavailable);
        if (!result.ok) {
          expect(ERROR_CODES).toContain(result.error.code);
          checkMessage(result.error.message);
          // The runner suite's commands use port 1234; this core's server is on a free port.
          const message = result.error.message.replace(/--port \d+/, '--port 1234');
          const expected = command.operations
            .flatMap((operation) => [fault.expected(operation, 0), fault.alsoTrue?.(operation, 0) ?? null])
            .filter((outcome) => outcome !== null && !outcome.ok && outcome.code === 'lms-failed');
          if (expected.length > 0) {
            expect(
              expected.some((outcome) => outcome !== null && !outcome.ok && matches(message, outcome.message)),
            ).toBe(true);
          }
        }
      } catch (error) {
        const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
        problems.push(`${label}: got ${JSON.stringify(result).slice(0, 300)} (${why})`);
      }
    }

    // Quit with a download and a load under way.
    totals.cases += 1;
    await core.invoke('downloads:start', { model: ENDLESS_MODEL });
    const loading = core.invoke('models:load', { modelKey: 'qwen/qwen3-4b' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await wait(core.shutdown({ cancelDownloads: true }));
    await wait(loading);
    const snapshot = core.snapshot();
    const running = snapshot.downloads.filter((row) => !FINISHED_DOWNLOAD_STATUSES.includes(row.status));
    if (running.length > 0) problems.push(`${fault.name} / quit: rows still running ${JSON.stringify(running)}`);
    if (snapshot.loading.length > 0)
      problems.push(`${fault.name} / quit: still loading ${JSON.stringify(snapshot.loading)}`);
  } catch (error) {
    problems.push(`${fault.name}: ${error instanceof Error ? error.message : error}`);
    await core.shutdown().catch(() => undefined);
  }
  leftAfterQuit(fault, marker, problems);
  totals.problems += problems.length;
  return problems;
}

/**
 * The health check over the same fault: with the server's port refusing, only `lms daemon
 * status` and `lms server status` can say why, and here they are the faulty ones.
 */
async function runHealthCase(fault: Fault): Promise<string[]> {
  const { core, marker, wait } = await coreFor(fault, false);
  const problems: string[] = [];
  totals.cases += 1;
  try {
    await wait(core.start());
    const result = await wait(core.invoke('server:refresh', undefined));
    if (!result.ok) throw new Error(`server:refresh failed: ${JSON.stringify(result.error)}`);
    const status = result.value;
    expect(['offline', 'server-stopped']).toContain(status.state);
    checkMessage(status.detail);
    const expected = fault.expected('daemon status', 0);
    if (!expected.ok && expected.code === 'lms-failed' && typeof expected.message === 'string') {
      expect(status.detail).toContain(expected.message.replace(/\.$/, ''));
    }
    await wait(core.shutdown());
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    problems.push(`${fault.name} / health: ${why}`);
    await core.shutdown().catch(() => undefined);
  }
  leftAfterQuit(fault, marker, problems);
  totals.problems += problems.length;
  return problems;
}

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())('lms faults under every command of the core', () => {
  for (const fault of FAULTS) {
    it(`lms ${fault.name}: typed answers, true messages, nothing left after quitting`, async () => {
      expect(await runCase(fault)).toEqual([]);
    });
  }

  for (const fault of FAULTS) {
    it(`lms ${fault.name}: the server's status says what is known, nothing left after quitting`, async () => {
      expect(await runHealthCase(fault)).toEqual([]);
    });
  }

  it('left no process, no hang: the tally', () => {
    expect(totals).toMatchObject({ hangs: 0, processesLeft: 0, problems: 0 });
    expect(totals.cases).toBe(FAULTS.length * (COMMANDS.length + 2));
    recordTally({
      family: 'lms faults',
      cases: totals.cases,
      hangs: totals.hangs,
      processesLeft: totals.processesLeft,
    });
  });
});
