/**
 * Bad answers from "LM Studio", against every route the core calls (routes.ts), generated from the
 * routes' good samples (cases.ts). Each case gets its own hostile server: the route under test
 * answers badly, every other route as a good LM Studio of the right version does. The client must
 * settle every call (by its own timeout when the server is silent or slow), with a typed result or
 * a CoreError whose message is true; no redirect is followed, no flood is read past the cap, and
 * nothing escapes as an unhandled rejection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLmStudioClient, DEFAULT_MAX_RESPONSE_BYTES } from '../../../electron/core/lmstudio/client';
import { recordTally, scaled } from '../tally';
import { type BadCase, badAnswers, randomBadAnswers } from './cases';
import { type HostileServer, startHostileServer } from './hostile-server';
import { judge, outcomeOf } from './judge';
import { goodAnswer, isFor, ROUTES, V1_MODELS } from './routes';

const TOKEN = 'sk-lm-AbCdEfGh:AbCdEfGhIjKlMnOpQrSt';
/** The random cases' seed: the same cases every run (a failure names its case). */
const SEED = 20_260_802;
/** The client's timeout in these tests: long enough for a good answer on a loaded machine. */
const TIMEOUT_MS = scaled(1_500, 5_000);
/** A flood is refused by its size, whatever the time: room enough for 16 MB on a loaded machine. */
const FLOOD_TIMEOUT_MS = 30_000;
/** Long after the client's timeout: a call still pending then is a hang. */
const HANG_AFTER_MS = 60_000;
const FLOOD_BYTES = 50 * 1000 * 1000;
/** Cases run at once (each holds at most one flood read up to the cap). */
const PARALLEL = 6;

/** Process-level failures while the suite runs: none may happen. */
const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);
let trap: HostileServer;

beforeAll(async () => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  // Another origin that redirects point at: it must never hear from the client.
  trap = await startHostileServer(() => ({ kind: 'answer', status: 200, body: JSON.stringify(V1_MODELS) }));
});

afterAll(async () => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
  await trap.close();
});

interface CaseReport {
  badCase: BadCase;
  problems: string[];
  hang: boolean;
  crash: boolean;
}

async function runCase(badCase: BadCase): Promise<CaseReport> {
  const server = await startHostileServer((request) =>
    isFor(badCase.route, request) ? badCase.behaviour : goodAnswer(badCase.route.server, request),
  );
  // A flood is refused by size, not by time: give it time enough on a loaded machine.
  const timeoutMs = ['flood', 'gzip-bomb'].includes(badCase.behaviour.kind) ? FLOOD_TIMEOUT_MS : TIMEOUT_MS;
  const client = createLmStudioClient({
    baseUrl: server.baseUrl,
    token: () => TOKEN,
    timeoutMs,
    loadTimeoutMs: timeoutMs,
    downloadStartTimeoutMs: timeoutMs,
  });
  const outcome = await outcomeOf(badCase, client, timeoutMs, HANG_AFTER_MS);
  await server.close();
  const problems = judge(badCase, outcome, [TOKEN]);
  if (!server.seen.some((request) => isFor(badCase.route, request))) problems.push('the route was never called');
  // A flood is refused once past the cap, not read to its end.
  for (const written of server.floodBytesWritten) {
    if (written >= FLOOD_BYTES) problems.push(`the whole ${FLOOD_BYTES}-byte flood was read`);
  }
  return { badCase, problems, hang: outcome.kind === 'hang', crash: outcome.kind === 'crash' };
}

async function runAll(cases: BadCase[]): Promise<CaseReport[]> {
  const reports: CaseReport[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) reports.push(await runCase(cases[next++]!));
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return reports;
}

describe('bad answers from LM Studio', () => {
  it('the recorded good answers are good: every route, as its LM Studio version serves it', async () => {
    for (const route of ROUTES) {
      const server = await startHostileServer((request) => goodAnswer(route.server, request));
      const client = createLmStudioClient({ baseUrl: server.baseUrl, token: () => TOKEN, timeoutMs: TIMEOUT_MS });
      const result = await route.call(client, TIMEOUT_MS);
      await server.close();
      expect(route.check(result), route.name).toEqual([]);
      expect(
        server.seen.some((request) => isFor(route, request)),
        route.name,
      ).toBe(true);
    }
  });

  it('the size cap is far above the largest honest answer (1,000 models with long names)', async () => {
    const template = V1_MODELS.models[0]!;
    const models = Array.from({ length: 1000 }, (_, i) => ({
      ...template,
      key: `publisher-${i}/a-rather-long-model-name-${i}-instruct-2507`,
      display_name: `A Rather Long Model Name ${i} Instruct 2507`,
      description: 'd'.repeat(300),
      variants: Array.from({ length: 8 }, (_, j) => `publisher-${i}/a-rather-long-model-name-${i}@q${j}_k_m`),
    }));
    const body = JSON.stringify({ models });
    expect(body.length * 10).toBeLessThan(DEFAULT_MAX_RESPONSE_BYTES);
    const server = await startHostileServer(() => ({ kind: 'answer', status: 200, body }));
    const client = createLmStudioClient({ baseUrl: server.baseUrl, token: () => null });
    const listing = await client.listModels();
    await server.close();
    expect(listing.models).toHaveLength(1000);
  });

  it(
    'every route, every bad answer: settled, typed, truthful; no redirect followed, no flood read whole',
    async () => {
      const cases = ROUTES.flatMap((route, index) => [
        ...badAnswers(route, { trapUrl: trap.baseUrl, floodBytes: FLOOD_BYTES }),
        ...randomBadAnswers(route, scaled(10, 1000), SEED + index),
      ]);
      const names = new Set(cases.map((c) => `${c.route.name} / ${c.name}`));
      expect(names.size, 'case names are distinct').toBe(cases.length);
      expect(cases.length).toBeGreaterThanOrEqual(300);

      const reports = await runAll(cases);
      const failed = reports
        .filter((report) => report.problems.length > 0)
        .map((report) => `${report.badCase.route.name} / ${report.badCase.name}: ${report.problems.join('; ')}`);
      expect(failed).toEqual([]);
      expect(trap.seen, 'a redirect was followed').toEqual([]);
      expect(escaped, 'unhandled rejections or exceptions').toEqual([]);
      for (const route of ROUTES) {
        expect(cases.filter((c) => c.route === route).length, route.name).toBeGreaterThan(20);
      }

      recordTally({
        family: 'bad answers',
        cases: cases.length,
        crashes: reports.filter((report) => report.crash).length + escaped.length,
        hangs: reports.filter((report) => report.hang).length,
      });
    },
    scaled(120_000, 30 * 60_000),
  );
});
