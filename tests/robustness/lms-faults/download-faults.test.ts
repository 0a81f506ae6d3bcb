/**
 * The download rows over a faulty `lms get`: every fault of `faults.ts`, through the real download
 * manager and runner, left to finish, cancelled by the user, and stopped by quitting. After each,
 * the row has a finished status and a true message, and no process carrying the case's marker
 * is left. Silent children are given up on by the manager's stall watch (the clock jumps).
 *
 * Then the same faults under the download supervisor (issue 9), whose retries start `lms get`
 * again and again: with its schedule shortened, each download ends in a final row that says
 * what happened, a quit stops the retries, and no retry starts an `lms` after the quit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTINUES_IN_LM_STUDIO, createDownloadManager } from '../../../electron/core/downloads/manager';
import { createDownloadSupervisor } from '../../../electron/core/downloads/supervisor';
import type { DownloadManager, DownloadSupervisor, LmStudioClient } from '../../../electron/core/interfaces';
import {
  type DownloadState,
  FINISHED_DOWNLOAD_STATUSES,
  PERMANENT_DOWNLOAD_FAILURES,
  type ServerStatus,
} from '../../../electron/shared/contract';
import { canListProcesses, processesWithMarker } from '../processes';
import { recordTally } from '../tally';
import { checkMessage, endLeftovers, expectOneOf, runnerFor, silent } from './checks';
import { ENDLESS_MODEL } from './fake-lms';
import { FAULTS, type Fault } from './faults';
import { type JumpClock, settleWithJumps } from './jump-clock';
import type { Outcome } from './operations';

/** Short stall limits so a silent child is given up on within a few dozen jumps of the clock. */
const STALL = { stallAfterMs: 4_000, slowPhaseStallAfterMs: 8_000, giveUpAfterMs: 60_000 };
const GIVE_UP_MESSAGE = /^No progress for 1 minute: LM Studio Tray stopped following this download/;

type Scenario = 'left to finish' | 'cancelled' | 'quit (cancel downloads)' | 'quit (leave them running)';
const SCENARIOS: readonly Scenario[] = [
  'left to finish',
  'cancelled',
  'quit (cancel downloads)',
  'quit (leave them running)',
];

let root: string;
const totals = { cases: 0, hangs: 0, processesLeft: 0, problems: 0 };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lms-download-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The row a finished `lms get` outcome must leave (from the fault's expectation for that operation). */
function expectedRow(
  outcome: Outcome,
  scenario: Scenario,
  hangs: boolean,
): Partial<Record<keyof DownloadState, unknown>> {
  if (!outcome.ok) return { status: 'failed', message: outcome.message };
  const kind = (outcome.value as { kind: string }).kind;
  if (kind === 'completed') return { status: 'completed', message: null };
  if (kind === 'cancelled') return { status: 'cancelled', message: 'Download cancelled.' };
  // A silent download left to itself is given up on by the stall watch; other stops are the user's.
  const givenUp = hangs && scenario === 'left to finish';
  return { status: 'continuing', message: givenUp ? expect.stringMatching(GIVE_UP_MESSAGE) : CONTINUES_IN_LM_STUDIO };
}

/** Which operation of the cli suite each scenario amounts to. */
function operationOf(scenario: Scenario): string {
  if (scenario === 'left to finish') return 'get';
  return scenario === 'quit (leave them running)' ? 'get, then detach' : 'get, then cancel';
}

function finished(manager: DownloadManager, id: string): Promise<DownloadState> {
  return new Promise((resolve) => {
    const check = () => {
      const row = manager.list().find((candidate) => candidate.id === id);
      if (row && FINISHED_DOWNLOAD_STATUSES.includes(row.status)) {
        resolve(row);
        return true;
      }
      return false;
    };
    if (check()) return;
    const stop = manager.onFinished(() => {
      if (check()) stop();
    });
  });
}

/** Resolves once the row shows something lms said: a phase past resolving, or a message. */
function saidSomething(manager: DownloadManager, id: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = manager.onChange((rows) => {
      const row = rows.find((candidate) => candidate.id === id);
      if (row && (!['queued', 'resolving'].includes(row.status) || row.message !== null)) {
        stop();
        resolve();
      }
    });
  });
}

async function runCase(fault: Fault, scenario: Scenario): Promise<string[]> {
  const label = `${fault.name} / ${scenario}`;
  const { marker, clock, registry, lms, settle } = await runnerFor(fault, root, scenario);
  const manager = createDownloadManager({
    client: () => ({ isLocal: true }) as LmStudioClient,
    lms: () => lms,
    clock,
    logger: silent,
    platform: 'linux',
    ...STALL,
  });
  const problems: string[] = [];
  for (let run = 0; run < (fault.runs ?? 1); run += 1) {
    totals.cases += 1;
    const model = scenario === 'left to finish' ? 'qwen/qwen3-4b' : ENDLESS_MODEL;
    // A second run starts afresh (a completed row cannot be retried).
    for (const done of manager.list()) manager.dismiss(done.id);
    const row = manager.start(model);
    const work = (async () => {
      if (scenario !== 'left to finish') {
        // Once lms has said something (a silent one: after a moment), the user or quitting stops it.
        await Promise.race([
          finished(manager, row.id),
          saidSomething(manager, row.id),
          ...(fault.hangs ? [new Promise((resolve) => setTimeout(resolve, 300))] : []),
        ]);
        if (scenario === 'cancelled') await manager.cancel(row.id);
        else {
          await manager.shutdown(scenario === 'quit (cancel downloads)' ? 'cancel' : 'leave-running');
          await registry.endAll(2_000);
        }
      }
      return finished(manager, row.id);
    })();
    let final: DownloadState;
    try {
      final = await settle(work);
    } catch (error) {
      totals.hangs += 1;
      problems.push(`${label}: ${error instanceof Error ? error.message : error}`);
      break;
    }
    try {
      const operation = operationOf(scenario);
      const candidates = [fault.expected(operation, run), fault.alsoTrue?.(operation, run)];
      expectOneOf(candidates, (outcome) =>
        expect(final).toMatchObject(expectedRow(outcome, scenario, fault.hangs === true)),
      );
      if (final.message !== null) checkMessage(final.message);
    } catch (error) {
      const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
      problems.push(
        `${label} (run ${run + 1}): row ${JSON.stringify({ status: final.status, message: final.message })} (${why})`,
      );
    }
    const left = processesWithMarker(marker);
    if (left.length > 0) {
      totals.processesLeft += left.length;
      problems.push(`${label}: processes left ${left.join(', ')}`);
    }
    if (scenario.startsWith('quit')) break; // a manager that has shut down starts nothing more
  }
  endLeftovers(marker);
  totals.problems += problems.length;
  return problems;
}

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())('lms faults under the download rows', () => {
  for (const fault of FAULTS) {
    it(`lms ${fault.name}: the row finishes with a true message, no process left`, async () => {
      const problems = (await Promise.all(SCENARIOS.map((scenario) => runCase(fault, scenario)))).flat();
      expect(problems).toEqual([]);
    });
  }

  it('left no process, no hang: the tally', () => {
    expect(totals).toMatchObject({ hangs: 0, processesLeft: 0, problems: 0 });
    expect(totals.cases).toBeGreaterThanOrEqual(FAULTS.length * SCENARIOS.length);
    recordTally({
      family: 'lms faults',
      cases: totals.cases,
      hangs: totals.hangs,
      processesLeft: totals.processesLeft,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Under the supervisor's retries
// ---------------------------------------------------------------------------------------------

/** The supervisor's schedule, shortened: a retry a second, two tries for a failure not recognised, 6 s in all. */
const RETRIES = {
  retryDelaysMs: [1_000],
  retryForMs: 6_000,
  maxUnknownRetries: 2,
  maxWaitMs: 10_000,
  waitCheckMs: 1_000,
};
/** What the supervisor puts before the last attempt's words when it gives up. */
const GAVE_UP = /^Gave up after \d+ attempts(?: over an hour)?: /;

type SupervisedScenario = 'left to retry' | 'quit while retrying (cancel)' | 'quit while retrying (leave running)';
const SUPERVISED: readonly SupervisedScenario[] = [
  'left to retry',
  'quit while retrying (cancel)',
  'quit while retrying (leave running)',
];
const supervisedTotals = { cases: 0, hangs: 0, processesLeft: 0, problems: 0, retries: 0 };

const ONLINE = { state: 'online' } as ServerStatus;

function supervisedFinal(supervisor: DownloadSupervisor, id: string): Promise<DownloadState> {
  return new Promise((resolve) => {
    const row = supervisor.list().find((candidate) => candidate.id === id);
    if (row && FINISHED_DOWNLOAD_STATUSES.includes(row.status)) resolve(row);
    else supervisor.onFinished((download) => download.id === id && resolve(download));
  });
}

/** Resolves once the row is retrying or final: the moment to quit with a retry pending. */
function retryingOrFinal(supervisor: DownloadSupervisor, id: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (rows: DownloadState[]) => {
      const row = rows.find((candidate) => candidate.id === id);
      if (row && (row.status === 'retrying' || FINISHED_DOWNLOAD_STATUSES.includes(row.status))) resolve();
    };
    check(supervisor.list());
    supervisor.onChange(check);
  });
}

/** Lets every pending timer fire a few times (a retry left scheduled after the quit would start `lms` here). */
async function jumpAhead(clock: JumpClock, rounds: number): Promise<void> {
  for (let round = 0; round < rounds && clock.runNext(); round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

async function runSupervisedCase(fault: Fault, scenario: SupervisedScenario): Promise<string[]> {
  const label = `${fault.name} / ${scenario}`;
  // One clock for the runner, the manager and the supervisor; every wait jumps it (a retry's timer, lms's limits).
  const { marker, clock, registry, lms } = await runnerFor(fault, root, `supervised-${scenario}`);
  const manager = createDownloadManager({
    client: () => ({ isLocal: true }) as LmStudioClient,
    lms: () => lms,
    clock,
    logger: silent,
    platform: 'linux',
    ...STALL,
  });
  const supervisor = createDownloadSupervisor({
    manager,
    lms: () => lms,
    status: () => ONLINE,
    disk: null,
    checkDiskSpace: () => false,
    journal: null,
    retryDownloads: () => true,
    clock,
    logger: silent,
    ...RETRIES,
  });
  const problems: string[] = [];
  supervisedTotals.cases += 1;
  const model = 'qwen/qwen3-4b';
  const work = (async () => {
    const row = await supervisor.start(model);
    if (scenario !== 'left to retry') {
      await retryingOrFinal(supervisor, row.id);
      await supervisor.shutdown(scenario === 'quit while retrying (cancel)' ? 'cancel' : 'leave-running');
      await registry.endAll(2_000);
      return supervisor.list().find((candidate) => candidate.id === row.id)!;
    }
    return supervisedFinal(supervisor, row.id);
  })();
  let final: DownloadState;
  try {
    final = await settleWithJumps(work, clock);
  } catch (error) {
    supervisedTotals.hangs += 1;
    problems.push(`${label}: ${error instanceof Error ? error.message : error}`);
    endLeftovers(marker);
    supervisedTotals.problems += problems.length;
    return problems;
  }
  try {
    if (final.message !== null) checkMessage(final.message);
    const outcome = fault.expected('get', 0);
    if (scenario === 'quit while retrying (leave running)') {
      // Picked up at the next start: retrying still, or already final; never an attempt under way.
      expect([...FINISHED_DOWNLOAD_STATUSES, 'retrying']).toContain(final.status);
    } else if (scenario === 'quit while retrying (cancel)' && final.status === 'cancelled') {
      expect(final.message).toBe('Download cancelled: LM Studio Tray quit.');
    } else if (outcome.ok) {
      expect(final).toMatchObject(expectedRow(outcome, 'left to finish', fault.hangs === true));
    } else {
      // The last attempt's words, after the supervisor's "Gave up after N attempts" when it retried.
      expect(final.status).toBe('failed');
      const words = final.message!.replace(GAVE_UP, '');
      expectOneOf([outcome, fault.alsoTrue?.('get', 0)], (expected) =>
        expect({ ...expected, message: words }).toEqual(expected),
      );
      const permanent = final.failureKind !== null && PERMANENT_DOWNLOAD_FAILURES.includes(final.failureKind);
      if (scenario === 'left to retry' && !permanent) {
        expect(final.message).toMatch(GAVE_UP);
        expect(final.attempt).toBeGreaterThan(1);
      }
      supervisedTotals.retries += final.attempt - 1;
    }
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    problems.push(
      `${label}: row ${JSON.stringify({ status: final.status, message: final.message, attempt: final.attempt })} (${why})`,
    );
  }
  // No retry is left to start `lms` later: time runs on, and nothing with the marker appears.
  if (scenario !== 'left to retry') await jumpAhead(clock, 10);
  await registry.endAll(2_000);
  if (registry.running().length > 0) problems.push(`${label}: the registry still tracks ${registry.running().length}`);
  const active = supervisor
    .list()
    .filter((row) => !FINISHED_DOWNLOAD_STATUSES.includes(row.status) && row.status !== 'retrying');
  if (active.length > 0) problems.push(`${label}: rows still running: ${active.map((row) => row.status).join(', ')}`);
  const left = processesWithMarker(marker);
  if (left.length > 0) {
    supervisedTotals.processesLeft += left.length;
    problems.push(`${label}: processes left ${left.join(', ')}`);
  }
  if (scenario === 'left to retry') await supervisor.shutdown('cancel');
  endLeftovers(marker);
  supervisedTotals.problems += problems.length;
  return problems;
}

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())("lms faults under the supervisor's retries", () => {
  for (const fault of FAULTS) {
    it(`lms ${fault.name}: retried to a final row that says why, no process left, none started after quitting`, async () => {
      const problems = (await Promise.all(SUPERVISED.map((scenario) => runSupervisedCase(fault, scenario)))).flat();
      expect(problems).toEqual([]);
    });
  }

  it('left no process, no hang: the tally', () => {
    expect(supervisedTotals).toMatchObject({ hangs: 0, processesLeft: 0, problems: 0 });
    expect(supervisedTotals.cases).toBe(FAULTS.length * SUPERVISED.length);
    // The faults that fail were retried, so each retry met the fault too.
    expect(supervisedTotals.retries).toBeGreaterThan(FAULTS.length);
    recordTally({
      family: 'lms faults',
      cases: supervisedTotals.cases + supervisedTotals.retries,
      hangs: supervisedTotals.hangs,
      processesLeft: supervisedTotals.processesLeft,
    });
  });
});
