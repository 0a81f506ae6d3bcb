/**
 * The same bad answers (cases.ts), through the whole core (createTrayCore) instead of the client
 * alone: what the user would see. One hostile server plays LM Studio 0.4 and answers one route
 * badly at a time; between two bad answers every route is good again. For each:
 * - the command fails (or succeeds) with a true one-line message, or the status says truly what
 *   answered (another program, no answer, a token asked for);
 * - the last good model list is kept, marked stale, while it cannot be read; the status stays
 *   online when the greeting is good (the server is up, only the list is bad);
 * - no load row or download is left running, nothing escapes as an unhandled rejection;
 * - good answers bring the status, the lists and the commands back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTrayCore, ONLINE_SETTLE_MS } from '../../../electron/core/app';
import type { TrayCore } from '../../../electron/core/interfaces';
import { nodeFileSystem, spawnWithoutShell, systemClock } from '../../../electron/core/node-ports';
import type { AppNotification, CommandName, ModelsSnapshot, ServerState } from '../../../electron/shared/contract';
import { FUZZ, recordTally, scaled } from '../tally';
import { type BadCase, badAnswers } from './cases';
import { type Behaviour, type HostileServer, startHostileServer } from './hostile-server';
import { messageProblems } from './judge';
import { goodAnswer, isFor, JOB_ID, MODEL_KEY, ROUTES, type Route } from './routes';

const TIMEOUT_MS = 1_500;
const FLOOD_BYTES = 50 * 1000 * 1000;
const WAIT = { timeout: 15_000, interval: 20 };
const route = (name: string): Route => ROUTES.find((candidate) => candidate.name.startsWith(name))!;

/** The route answering badly now, if any; everything else is a good LM Studio 0.4. */
let bad: { route: Route; behaviour: Behaviour } | null = null;
/** A download's status once the bad answers are over: finished, so recovery shows. */
let downloadFinished = false;
let server: HostileServer;
let trap: HostileServer;
let core: TrayCore;
let configDir: string;
const notifications: AppNotification[] = [];
const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);
let casesTried = 0;

beforeAll(async () => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  trap = await startHostileServer(() => ({ kind: 'answer', status: 200, body: '{}' }));
  server = await startHostileServer((request) => {
    if (bad && isFor(bad.route, request)) return bad.behaviour;
    if (downloadFinished && isFor(route('download status'), request)) {
      return { kind: 'answer', status: 200, body: JSON.stringify({ job_id: JOB_ID, status: 'completed' }) };
    }
    return goodAnswer('0.4', request);
  });
  configDir = await mkdtemp(path.join(os.tmpdir(), 'bad-answers-'));
  core = createTrayCore(
    {
      clock: systemClock,
      spawn: spawnWithoutShell,
      fs: nodeFileSystem,
      notifier: { show: (notification) => notifications.push(notification) },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      // No `lms` anywhere: every answer comes from the hostile server.
      environment: { platform: process.platform, homedir: configDir, env: { PATH: '' } },
      configDir,
      // Polls rare enough that only the commands below ask for the lists.
      // Retries off: each download case reads one attempt's own outcome (the supervisor's retries
      // have their own tests).
      overrides: {
        baseUrl: server.baseUrl,
        pollIntervalMs: 600_000,
        apiToken: 'sk-lm-AbCdEfGh:AbCdEfGhIjKlMnOpQrSt',
        retryDownloads: false,
      },
      transport: 'web',
      appVersion: '0.0.0-test',
      which: async () => null,
    },
    {
      health: { confirmDelayMs: 20, probeTimeoutMs: 500 },
      client: {
        // The cap itself is proven against 50 MB by client.test.ts; a small one keeps each flood quick.
        maxResponseBytes: 1024 * 1024,
        timeoutMs: TIMEOUT_MS,
        loadTimeoutMs: TIMEOUT_MS,
        downloadStartTimeoutMs: TIMEOUT_MS,
        // A fallback to /api/v0 after a 404 from /api/v1 is re-checked at the next listing, not in 5 minutes.
        generationRecheckMs: 0,
      },
      downloads: { restPollMs: 20 },
      modelsRefreshMinMs: 600_000,
    },
  );
  await core.start();
  // The refresh that follows coming online settles before the cases begin.
  await new Promise((resolve) => setTimeout(resolve, ONLINE_SETTLE_MS + 300));
}, 30_000);

afterAll(async () => {
  await core.shutdown({ cancelDownloads: true });
  await server.close();
  await trap.close();
  await rm(configDir, { recursive: true, force: true });
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
  // Counts only the cases of tests whose assertions passed.
  if (casesTried > 0) recordTally({ family: 'bad answers', cases: casesTried, crashes: escaped.length, hangs: 0 });
});

async function invoke(name: CommandName, payload?: unknown) {
  return core.invoke(name, payload);
}

/** The lists as the user sees them, without the time of reading. */
function lists(snapshot: ModelsSnapshot) {
  const { updatedAt: _updatedAt, stale: _stale, ...rest } = snapshot;
  return rest;
}

function casesFor(name: string, wanted: (badCase: BadCase) => boolean = () => true): BadCase[] {
  return badAnswers(route(name), {
    trapUrl: trap.baseUrl,
    floodBytes: FLOOD_BYTES,
  }).filter(wanted);
}

const fails = (badCase: BadCase) => badCase.expected.outcome === 'fails';

/**
 * The first case of each family (the client suite tries them all): enough to see each kind of
 * wrong travel through the core, within `npm test`'s time budget. `allQuick` (`npm run fuzz`)
 * keeps every case answered at once (each wrong field, each error body), leaving only the slow
 * ones (silence, floods) to one a family.
 */
function onePerFamily(cases: BadCase[], { allQuick = false } = {}): BadCase[] {
  const seen = new Set<string>();
  return cases.filter((badCase) => {
    if (allQuick && badCase.behaviour.kind === 'answer') return true;
    if (seen.has(badCase.family)) return false;
    seen.add(badCase.family);
    return true;
  });
}

/** Good answers everywhere again: online, and the lists read afresh, not stale. */
async function recover(good: ModelsSnapshot): Promise<void> {
  bad = null;
  await vi.waitFor(async () => {
    const status = core.snapshot().status;
    if (status.state !== 'online') await invoke('server:refresh');
    expect(core.snapshot().status.state).toBe('online');
  }, WAIT);
  const refreshed = await invoke('models:refresh');
  expect(refreshed.ok).toBe(true);
  expect(core.snapshot().models.stale).toBe(false);
  expect(lists(core.snapshot().models)).toEqual(lists(good));
}

describe('bad answers through the whole core', () => {
  it('starts online with the good lists', async () => {
    expect(core.snapshot().status.state).toBe('online');
    expect(core.snapshot().models).toMatchObject({ stale: false, source: 'v1' });
    expect(core.snapshot().models.models.map((model) => model.key)).toContain(MODEL_KEY);
  });

  it(
    'a bad model list: a true message, the last list kept and marked stale, the status still online; then back',
    async () => {
      const good = core.snapshot().models;
      const problems: string[] = [];
      const cases = onePerFamily(casesFor('models (/api/v1)'), { allQuick: FUZZ });
      for (const badCase of cases) {
        bad = { route: badCase.route, behaviour: badCase.behaviour };
        const result = await invoke('models:refresh');
        const snapshot = core.snapshot().models;
        const where = badCase.name;
        if (result.ok) {
          if (fails(badCase)) problems.push(`${where}: succeeded`);
          if (snapshot.stale) problems.push(`${where}: a list read just now is marked stale`);
        } else {
          problems.push(...messageProblems(result.error.message, []).map((problem) => `${where}: ${problem}`));
          const expected = badCase.expected;
          if (expected.outcome === 'fails' && expected.message && !expected.message.test(result.error.message)) {
            problems.push(`${where}: "${result.error.message}" does not match ${expected.message}`);
          }
          if (!snapshot.stale) problems.push(`${where}: the last list is not marked stale`);
          if (JSON.stringify(lists(snapshot)) !== JSON.stringify(lists(good)))
            problems.push(`${where}: the last list was lost`);
          // A token asked for is a status of its own; anything else, and the server is still up.
          const state = core.snapshot().status.state;
          const expectedState: ServerState = /^token asked for/.test(where) ? 'unauthorized' : 'online';
          if (state !== expectedState) problems.push(`${where}: status ${state}, expected ${expectedState}`);
        }
        await recover(good);
      }
      expect(problems).toEqual([]);
      expect(escaped).toEqual([]);
      casesTried += cases.length;
    },
    scaled(180_000, 30 * 60_000),
  );

  it(
    'a bad greeting: the status says what answered, the lists are kept as last known; then back',
    async () => {
      const good = core.snapshot().models;
      const problems: string[] = [];
      const stateFor: Record<string, ServerState> = {
        foreign: 'foreign',
        timeout: 'not-responding',
        error: 'not-responding',
        unauthorized: 'unauthorized',
      };
      const cases = onePerFamily(casesFor('greeting', fails), { allQuick: FUZZ });
      for (const badCase of cases) {
        bad = { route: badCase.route, behaviour: badCase.behaviour };
        const result = await invoke('server:refresh');
        const status = core.snapshot().status;
        const where = badCase.name;
        const code = badCase.expected.outcome === 'fails' ? String(badCase.expected.code) : '';
        if (!result.ok) problems.push(`${where}: server:refresh failed: ${result.error.message}`);
        if (status.state !== stateFor[code])
          problems.push(`${where}: status ${status.state}, expected ${stateFor[code]}`);
        problems.push(...messageProblems(status.detail, []).map((problem) => `${where}: ${problem}`));
        // Another program: the status says what it answered (a web page, a redirect, a flood).
        const expected = badCase.expected;
        if (
          code === 'foreign' &&
          expected.outcome === 'fails' &&
          expected.message &&
          !expected.message.test(status.detail)
        ) {
          problems.push(`${where}: "${status.detail}" does not say what answered (${expected.message})`);
        }
        const models = core.snapshot().models;
        if (!models.stale) problems.push(`${where}: the lists are not marked stale`);
        if (JSON.stringify(lists(models)) !== JSON.stringify(lists(good)))
          problems.push(`${where}: the last lists were lost`);
        await recover(good);
      }
      expect(problems).toEqual([]);
      expect(escaped).toEqual([]);
      casesTried += cases.length;
    },
    scaled(180_000, 30 * 60_000),
  );

  it(
    'a bad load or unload: the command fails truly, no load row is left, the lists are back after',
    async () => {
      const good = core.snapshot().models;
      const problems: string[] = [];
      const cases = [
        ...onePerFamily(casesFor('load (/api/v1/models/load)', fails)).map((badCase) => ({
          badCase,
          command: 'models:load' as const,
        })),
        ...onePerFamily(casesFor('unload', fails)).map((badCase) => ({ badCase, command: 'models:unload' as const })),
      ];
      for (const { badCase, command } of cases) {
        bad = { route: badCase.route, behaviour: badCase.behaviour };
        const before = notifications.length;
        const result =
          command === 'models:load'
            ? await invoke('models:load', { modelKey: MODEL_KEY })
            : await invoke('models:unload', { identifier: MODEL_KEY });
        const where = `${command} / ${badCase.name}`;
        if (result.ok) {
          if (badCase.expected.outcome === 'fails' && !/^HTML: a plain 404|^HTML: an empty 404/.test(badCase.name)) {
            problems.push(`${where}: succeeded`);
          }
        } else {
          problems.push(...messageProblems(result.error.message, []).map((problem) => `${where}: ${problem}`));
          const expected = badCase.expected;
          if (expected.outcome === 'fails' && expected.message && !expected.message.test(result.error.message)) {
            problems.push(`${where}: "${result.error.message}" does not match ${expected.message}`);
          }
          if (command === 'models:load') {
            const told = notifications.slice(before).some((n) => n.body?.includes(result.error.message));
            if (!told) problems.push(`${where}: no notification carries the failure`);
          }
        }
        if (core.snapshot().loading.length > 0) problems.push(`${where}: a load row was left behind`);
        await recover(good);
      }
      expect(problems).toEqual([]);
      expect(escaped).toEqual([]);
      casesTried += cases.length;
    },
    scaled(180_000, 30 * 60_000),
  );

  it(
    'a bad download start fails the download truly; a bad status is waited out (a job said gone fails), and a good one finishes it',
    async () => {
      const problems: string[] = [];
      const startCases = onePerFamily(casesFor('download (', fails));
      for (const badCase of startCases) {
        bad = { route: badCase.route, behaviour: badCase.behaviour };
        const started = await core.invoke('downloads:start', { model: MODEL_KEY });
        const where = `download start / ${badCase.name}`;
        if (!started.ok) {
          problems.push(`${where}: downloads:start itself failed: ${started.error.message}`);
          continue;
        }
        const id = started.value.id;
        const ended = await vi.waitFor(() => {
          const download = core.snapshot().downloads.find((candidate) => candidate.id === id)!;
          expect(['failed', 'continuing']).toContain(download.status);
          return download;
        }, WAIT);
        if (ended.status !== 'failed') problems.push(`${where}: ${ended.status}, expected failed`);
        problems.push(...messageProblems(ended.message ?? '', []).map((problem) => `${where}: ${problem}`));
        await invoke('downloads:dismiss', { id });
      }

      const statusCases = onePerFamily(casesFor('download status', fails));
      for (const badCase of statusCases) {
        downloadFinished = false;
        bad = { route: badCase.route, behaviour: badCase.behaviour };
        const started = await core.invoke('downloads:start', { model: MODEL_KEY });
        const where = `download status / ${badCase.name}`;
        if (!started.ok) {
          problems.push(`${where}: downloads:start failed: ${started.error.message}`);
          continue;
        }
        const id = started.value.id;
        if (badCase.expected.outcome === 'fails' && badCase.expected.code === 'not-found') {
          // LM Studio says the job is gone: no later answer brings it back, so it fails at once.
          const lost = await vi.waitFor(() => {
            const download = core.snapshot().downloads.find((candidate) => candidate.id === id)!;
            expect(download.status).toBe('failed');
            return download;
          }, WAIT);
          if (!/no longer knows the download of qwen\/qwen3-4b/.test(lost.message ?? '')) {
            problems.push(`${where}: "${lost.message}" does not say the job is gone`);
          }
          await invoke('downloads:dismiss', { id });
          continue;
        }
        // A few bad answers in a row: the download waits them out (the server may be restarting).
        const seenBefore = server.seen.length;
        await vi.waitFor(() => {
          const polls = server.seen.slice(seenBefore).filter((request) => isFor(badCase.route, request));
          expect(polls.length).toBeGreaterThanOrEqual(2);
        }, WAIT);
        const during = core.snapshot().downloads.find((candidate) => candidate.id === id)!;
        if (during.status === 'failed') problems.push(`${where}: failed on a passing bad answer`);
        bad = null;
        downloadFinished = true;
        const ended = await vi.waitFor(() => {
          const download = core.snapshot().downloads.find((candidate) => candidate.id === id)!;
          expect(download.status).toBe('completed');
          return download;
        }, WAIT);
        if (ended.message !== null) problems.push(...messageProblems(ended.message, []).map((p) => `${where}: ${p}`));
        await invoke('downloads:dismiss', { id });
      }
      downloadFinished = false;
      expect(problems).toEqual([]);
      expect(core.snapshot().downloads).toEqual([]);
      expect(trap.seen, 'a redirect was followed').toEqual([]);
      expect(escaped).toEqual([]);
      casesTried += startCases.length + statusCases.length;
    },
    scaled(180_000, 30 * 60_000),
  );
});
