/**
 * Every fault of `faults.ts` against every operation of `operations.ts`, through the real runner
 * (createLmsCli) and real child processes. Each case asserts the outcome the fault calls for, a
 * message fit to show, that the runner's registry is empty, and that no process carrying the
 * case's marker is left. Silent children get the clock jumped past the runner's limits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canListProcesses, processesWithMarker } from '../processes';
import { recordTally } from '../tally';
import { checkMessage, endLeftovers, expectOneOf, runnerFor } from './checks';
import { FAULTS, type Fault } from './faults';
import { OPERATIONS, type Operation, type Outcome } from './operations';

let root: string;
const totals = { cases: 0, hangs: 0, processesLeft: 0, problems: 0 };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lms-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs one operation against one fault (as many runs as the fault asks); returns what went wrong. */
async function runCase(fault: Fault, operation: Operation): Promise<string[]> {
  const label = `${fault.name} / ${operation.name}`;
  const { marker, registry, lms, settle } = await runnerFor(fault, root, operation.name);
  const problems: string[] = [];
  for (let run = 0; run < (fault.runs ?? 1); run += 1) {
    totals.cases += 1;
    const work = operation.run(lms, { hangs: fault.hangs === true });
    let outcome: Outcome;
    try {
      outcome = await settle(work);
    } catch (error) {
      totals.hangs += 1;
      problems.push(`${label}: ${error instanceof Error ? error.message : error}`);
      break;
    }
    try {
      const candidates = [fault.expected(operation.name, run), fault.alsoTrue?.(operation.name, run)];
      expectOneOf(candidates, (expected) => expect(outcome).toEqual(expected));
      if (!outcome.ok) checkMessage(outcome.message);
    } catch (error) {
      const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
      problems.push(`${label} (run ${run + 1}): got ${JSON.stringify(outcome).slice(0, 300)} (${why})`);
    }
    if (registry.running().length > 0)
      problems.push(`${label}: the registry still tracks ${registry.running().length}`);
    const left = processesWithMarker(marker);
    if (left.length > 0) {
      totals.processesLeft += left.length;
      problems.push(`${label}: processes left ${left.join(', ')}`);
    }
  }
  endLeftovers(marker);
  totals.problems += problems.length;
  return problems;
}

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())('lms faults through every command of the runner', () => {
  for (const fault of FAULTS) {
    it(`lms ${fault.name}`, async () => {
      const problems = (await Promise.all(OPERATIONS.map((operation) => runCase(fault, operation)))).flat();
      expect(problems).toEqual([]);
    });
  }

  it('left no process, no hang: the tally', () => {
    expect(totals).toMatchObject({ hangs: 0, processesLeft: 0, problems: 0 });
    expect(totals.cases).toBeGreaterThanOrEqual(FAULTS.length * OPERATIONS.length);
    recordTally({
      family: 'lms faults',
      cases: totals.cases,
      hangs: totals.hangs,
      processesLeft: totals.processesLeft,
    });
  });
});
