/**
 * The short soak inside `npm test`: one pass of the soak's deck (every kind of round once, in a
 * seeded order) with short timings — the same scenario engine as `npm run soak`. Afterwards the
 * process must be back where it started: the same timers, sockets, servers and child processes
 * (`process.getActiveResourcesInfo()`), the same listeners on `process`, no subscription left on
 * the core, and no fake `lms` alive with this test's marker. Durations are never asserted.
 */
import { describe, expect, it } from 'vitest';
import {
  activeResources,
  heapSlopeMbPer10Min,
  processListeners,
  ROUND_KINDS,
  resourcesLeftAfter,
  runSoak,
} from '../../../bench/lib/soak-scenario';
import { startSimulator } from '../../../e2e/simulator/index';
import { canListProcesses, newMarker, processesWithMarker } from '../processes';
import { recordTally, scaled } from '../tally';

// Runs only where /proc lists processes (Linux, as CI): the no-process-left check reads /proc/*/environ.
describe.runIf(canListProcesses())('short soak', () => {
  it('plays every kind of round and leaves no timer, socket, listener or child behind', async () => {
    // Once per process, not the soak's: esbuild bundling the fake lms, the simulator's exit hook.
    await (await startSimulator()).close();
    const marker = newMarker();
    const resourcesBefore = activeResources();
    const listenersBefore = processListeners();

    const result = await runSoak({
      seed: 8,
      durationMs: 0,
      minRounds: scaled(ROUND_KINDS.length, ROUND_KINDS.length * 4),
      marker,
      pollIntervalMs: 500,
      flapWindowMs: 2000,
      pauseMs: [20, 150],
      outageMs: [150, 600],
      recoveryTimeoutMs: 15_000,
      heapSampleEveryMs: 0,
      gc: null,
      downloadBytesPerSecond: 20_000_000_000,
    });

    for (const kind of ROUND_KINDS) expect(result.rounds[kind], kind).toBeGreaterThanOrEqual(1);
    expect(result.unexpected).toEqual([]);
    expect(result.unhandledRejections).toEqual([]);
    expect(result.policyViolations).toEqual([]);
    // No automatic lms while LM Studio was down. One started while it was up can still find it gone
    // (a quit between the core's check and lms reaching it): npm run soak counts those, timing decides.
    expect(result.wakes.unasked).toEqual([]);
    expect(result.wakes.asked).toBeLessThanOrEqual(result.rounds['user-start-wakes']);
    expect(result.finalState).toBe('online');
    expect(result.orphanLms).toEqual([]);
    expect(processesWithMarker(marker)).toEqual([]);
    expect(result.coreListenersLeft).toBe(0);
    expect(await resourcesLeftAfter(resourcesBefore)).toEqual([]);
    expect(processListeners()).toEqual(listenersBefore);
    // What the rounds did reached the user: downloads ended every way, pages came and went.
    expect(result.downloads).toMatchObject({
      completed: expect.any(Number),
      cancelled: expect.any(Number),
      failed: expect.any(Number),
    });
    expect(result.pages.connected).toBeGreaterThan(0);
    expect(result.notifications.loadFailed).toBe(result.loads.refused);

    const cases = Object.values(result.rounds).reduce((a, b) => a + b, 0);
    recordTally({
      family: 'soak',
      cases,
      crashes: result.unhandledRejections.length,
      hangs: result.hungRounds,
      processesLeft: result.orphanLms.length,
    });
  }, 240_000);

  it('measures the heap slope by least squares, in MB per 10 minutes', () => {
    const flat = [0, 60, 120].map((atSeconds) => ({ atSeconds, mb: 20 }));
    expect(heapSlopeMbPer10Min(flat)).toBe(0);
    const growing = [0, 300, 600, 900].map((atSeconds) => ({ atSeconds, mb: 20 + atSeconds / 300 }));
    expect(heapSlopeMbPer10Min(growing)).toBeCloseTo(2, 10);
    expect(heapSlopeMbPer10Min(flat.slice(0, 2))).toBeNull();
  });
});
