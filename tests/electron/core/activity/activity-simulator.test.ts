/**
 * Activity in the real core (lms runner, activity monitor, health monitor) against the
 * simulator's `lms log stream` (lmstudio-protocol-2.md §1): a chat request shows as in progress,
 * then its tokens/s; concurrent requests finishing out of order leave the counts right; the
 * stream is never started or kept while LM Studio is quit and nothing wakes it (the simulator's
 * wake log); it comes back after LM Studio restarts; the early-exit builds are given up on and an
 * lms before 0.3.26 is said to be too old; no word of a prompt in any event or log line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimulatorOptions, startSimulator } from '../../../../e2e/simulator/index';
import { GAVE_UP, TOO_OLD } from '../../../../electron/core/activity/monitor';
import { createTrayCore } from '../../../../electron/core/app';
import { nodeFileSystem, spawnWithoutShell, systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import type { AppEvent } from '../../../../electron/shared/contract';
import { CANARY_PROMPT } from '../../../robustness/secrets/canaries';

const WAIT = { timeout: 15_000, interval: 25 };
const KEY = 'qwen/qwen3-4b';
/** Words only the prompts hold: none may reach an event or the log. */
const SECRET_WORDS = ['zeppelin', 'marmalade'];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function harness(simOptions: SimulatorOptions = {}) {
  const sim = await startSimulator({ loaded: [KEY], ...simOptions });
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'core-activity-'));
  const logged: string[] = [];
  const logger: Logger = {
    debug: (...args) => logged.push(args.map(String).join(' ')),
    info: (...args) => logged.push(args.map(String).join(' ')),
    warn: (...args) => logged.push(args.map(String).join(' ')),
    error: (...args) => logged.push(args.map(String).join(' ')),
  };
  const core = createTrayCore(
    {
      clock: systemClock,
      spawn: spawnWithoutShell,
      fs: nodeFileSystem,
      notifier: { show: () => {} },
      logger,
      environment: { platform: process.platform, homedir: sim.homeDir, env: { PATH: process.env.PATH } },
      configDir,
      overrides: { pollIntervalMs: 1000 },
      transport: 'web',
      appVersion: '0.0.0-test',
      which: async () => null,
    },
    { health: { confirmDelayMs: 50 } },
  );
  const events: AppEvent[] = [];
  core.onEvent((event) => events.push(event));
  cleanups.push(async () => {
    await core.shutdown({ cancelDownloads: true });
    await sim.close();
    await rm(configDir, { recursive: true, force: true });
  });
  const streams = () => sim.state.lmsInvocations().filter((argv) => argv[0] === 'log').length;
  const activity = () => core.snapshot().activity;
  const model = () => activity().models.find((entry) => entry.identifier === KEY);
  const chat = async (content: string) => {
    const response = await fetch(`${sim.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: KEY, messages: [{ role: 'user', content }] }),
    });
    return response.status;
  };
  return { sim, core, events, logged, streams, activity, model, chat };
}

/** Until the stream is subscribed (its banner came): requests sent before it are not seen. */
async function following(h: Awaited<ReturnType<typeof harness>>) {
  await expect.poll(() => h.activity().state, WAIT).toBe('following');
  await expect.poll(() => h.logged.some((line) => line.includes('lms log stream is streaming')), WAIT).toBe(true);
}

describe('activity against the simulator', () => {
  it('a chat request shows in progress, then its tokens/s; no word of the prompt anywhere', async () => {
    const h = await harness();
    await h.core.start();
    await following(h);
    h.sim.configure({ generationMs: 1_500 });
    // The prompt canary too: the end-of-run scan looks for it in every file and all the output.
    const answered = h.chat(`${CANARY_PROMPT}. Tell me about the ${SECRET_WORDS.join(' and the ')}.`);
    await expect.poll(() => h.model()?.inProgress, WAIT).toBe(1);
    expect(await answered).toBe(200);
    await expect.poll(() => h.model()?.inProgress, WAIT).toBe(0);
    expect(h.model()).toMatchObject({ requestsLast5Min: 1, last: { predictedTokens: 6 } });
    expect(h.model()?.last?.tokensPerSecond).toBeGreaterThan(0);
    const activityEvents = h.events.filter((event) => event.name === 'activity:changed');
    expect(activityEvents.some((event) => event.payload.models.some((m) => m.inProgress === 1))).toBe(true);
    const everything = JSON.stringify({ events: h.events, logged: h.logged, snapshot: h.core.snapshot() });
    for (const word of [...SECRET_WORDS, CANARY_PROMPT]) expect(everything).not.toContain(word);
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it('concurrent requests finishing out of order: every one counted, none left in progress', async () => {
    const h = await harness();
    await h.core.start();
    await following(h);
    h.sim.configure({ tokensPerSecond: 20, generationJitter: 0.8 });
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => h.chat(`question ${i}`)));
    expect(answers).toEqual([200, 200, 200, 200]);
    await expect.poll(() => h.model()?.recent.length, WAIT).toBe(4);
    expect(h.model()).toMatchObject({ inProgress: 0, requestsLast5Min: 4 });
  });

  it('never started or kept while LM Studio is quit, nothing woken; back once it runs again', async () => {
    const h = await harness({ appRunning: false });
    await h.core.start();
    expect(h.activity().state).toBe('waiting');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(h.streams()).toBe(0);

    await h.sim.launchApp();
    await following(h);
    expect(h.streams()).toBe(1);

    await h.sim.quitApp();
    await expect.poll(() => h.core.snapshot().status.state, WAIT).toBe('offline');
    await expect.poll(() => h.activity().state, WAIT).toBe('waiting');
    // Restarts and polls go by while it is quit.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(h.streams()).toBe(1);
    expect(h.sim.state.wakes()).toEqual([]);

    await h.sim.launchApp();
    await expect.poll(() => h.streams(), WAIT).toBe(2);
    await expect.poll(() => h.activity().state, WAIT).toBe('following');
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it('the early-exit builds: three starts, then it gives up and says so', async () => {
    const h = await harness();
    h.sim.configure({ logStreamBuild: 'early-exit' });
    await h.core.start();
    await expect
      .poll(() => h.activity(), { ...WAIT, timeout: 20_000 })
      .toMatchObject({
        state: 'unavailable',
        message: GAVE_UP,
      });
    expect(h.streams()).toBe(3);
    expect(h.core.snapshot().status.state).toBe('online');
    expect(h.sim.state.wakeCount()).toBe(0);
  });

  it('an lms before LM Studio 0.3.26 refuses --source: too old, asked once', async () => {
    const h = await harness();
    h.sim.configure({ logStreamBuild: 'no-source' });
    await h.core.start();
    await expect.poll(() => h.activity(), WAIT).toMatchObject({ state: 'unavailable', message: TOO_OLD });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(h.streams()).toBe(1);
  });
});
