/**
 * The per-model statistics (pure: time passed in): requests in progress for concurrent requests
 * whose outputs come out of order, never negative, reset on a stream restart and on unload;
 * requests in 5 minutes and answers in 10 minutes, pruned; the last answer and the medians over
 * the model's usual; a possibly stuck request flagged once; the next moment anything changes.
 */
import { describe, expect, it } from 'vitest';
import {
  createActivityStatistics,
  HISTORY_SIZE,
  median,
  RECENT_WINDOW_MS,
  REQUESTS_WINDOW_MS,
  STUCK_AFTER_MS,
} from '../../../../electron/core/activity/statistics';
import type { LogStreamEvent } from '../../../../electron/core/interfaces';

const T0 = 1_786_253_700_000;
const MIN = 60_000;
const QWEN = 'qwen/qwen3-4b';
const GEMMA = 'gemma-3-1b-it-qat:2';

const input = (at: number, modelIdentifier = QWEN): LogStreamEvent => ({ type: 'input', at, modelIdentifier });
function output(
  at: number,
  figures: { tps?: number | null; ttft?: number | null; predicted?: number | null; prompt?: number | null } = {},
  modelIdentifier = QWEN,
): LogStreamEvent {
  return {
    type: 'output',
    at,
    modelIdentifier,
    tokensPerSecond: figures.tps === undefined ? 50 : figures.tps,
    timeToFirstTokenSec: figures.ttft === undefined ? 0.2 : figures.ttft,
    promptTokens: figures.prompt === undefined ? 10 : figures.prompt,
    predictedTokens: figures.predicted === undefined ? 100 : figures.predicted,
  };
}

/** Records each event at its own time. */
function feed(events: LogStreamEvent[]) {
  const stats = createActivityStatistics();
  for (const event of events) stats.record(event, event.at);
  return stats;
}

const of = (stats: ReturnType<typeof createActivityStatistics>, now: number, identifier = QWEN) =>
  stats.models(now).find((model) => model.identifier === identifier);

describe('requests in progress', () => {
  it('counts inputs not yet followed by an output, per model; the oldest open one is busySince', () => {
    const stats = feed([input(T0), input(T0 + 100, GEMMA), input(T0 + 200)]);
    expect(of(stats, T0 + 300)).toMatchObject({ inProgress: 2, busySince: T0, requestsLast5Min: 2 });
    expect(of(stats, T0 + 300, GEMMA)).toMatchObject({ inProgress: 1, busySince: T0 + 100 });
    expect(stats.busy()).toBe(true);
    stats.record(output(T0 + 2_000), T0 + 2_000);
    stats.record(output(T0 + 2_500), T0 + 2_500);
    stats.record(output(T0 + 3_000, {}, GEMMA), T0 + 3_000);
    expect(stats.models(T0 + 3_000).map((model) => [model.identifier, model.inProgress, model.busySince])).toEqual([
      [GEMMA, 0, null],
      [QWEN, 0, null],
    ]);
    expect(stats.busy()).toBe(false);
  });

  it('concurrent requests with one timestamp and outputs out of order: the counts stay right', () => {
    // Three requests at once; the short one finishes first, then the long ones in reverse order.
    const stats = feed([input(T0), input(T0), input(T0)]);
    stats.record(output(T0 + 1_200, { ttft: 0.2, tps: 100, predicted: 100 }), T0 + 1_200);
    expect(of(stats, T0 + 1_200)).toMatchObject({ inProgress: 2, busySince: T0 });
    stats.record(output(T0 + 9_000, { ttft: 1, tps: 50, predicted: 400 }), T0 + 9_000);
    stats.record(output(T0 + 5_000, { ttft: 1, tps: 50, predicted: 200 }), T0 + 9_001);
    expect(of(stats, T0 + 9_001)).toMatchObject({ inProgress: 0, busySince: null, requestsLast5Min: 3 });
    expect(of(stats, T0 + 9_001)?.recent.map((sample) => sample.at)).toEqual([T0 + 1_200, T0 + 5_000, T0 + 9_000]);
  });

  it('an output closes the request its stats point to, so a long one still running keeps its start', () => {
    // A long request at T0, a short one 60 s later; the short one's output arrives first.
    const stats = feed([input(T0), input(T0 + 60_000)]);
    // 0.5 s to the first token + 100 tokens at 50 tok/s = 2.5 s: it began at T0 + 60 s.
    stats.record(output(T0 + 62_500, { ttft: 0.5, tps: 50, predicted: 100 }), T0 + 62_500);
    expect(of(stats, T0 + 62_500)).toMatchObject({ inProgress: 1, busySince: T0 });
  });

  it('without stats an output closes the oldest request', () => {
    const stats = feed([input(T0), input(T0 + 60_000)]);
    stats.record(output(T0 + 62_500, { ttft: null, tps: null, predicted: null, prompt: null }), T0 + 62_500);
    expect(of(stats, T0 + 62_500)).toMatchObject({ inProgress: 1, busySince: T0 + 60_000 });
  });

  it('never negative: outputs of requests that began before the stream started are answers, not minus ones', () => {
    const stats = feed([output(T0), output(T0 + 10), input(T0 + 20)]);
    expect(of(stats, T0 + 20)).toMatchObject({ inProgress: 1, busySince: T0 + 20, requestsLast5Min: 1 });
    expect(of(stats, T0 + 20)?.recent).toHaveLength(2);
  });

  it('a stream restart closes every open request (nothing can pair what was missed); the figures stay', () => {
    const stats = feed([input(T0), output(T0 + 1_000), input(T0 + 2_000, GEMMA), input(T0 + 2_000)]);
    stats.resetInProgress();
    expect(
      stats.models(T0 + 3_000).map((model) => [model.identifier, model.inProgress, model.requestsLast5Min]),
    ).toEqual([
      [GEMMA, 0, 1],
      [QWEN, 0, 2],
    ]);
    expect(of(stats, T0 + 3_000)?.last?.at).toBe(T0 + 1_000);
    stats.record(output(T0 + 4_000), T0 + 4_000);
    expect(of(stats, T0 + 4_000)?.inProgress).toBe(0);
  });

  it('a model that unloads has its requests closed; another model, or one never seen loaded (JIT), keeps them', () => {
    const stats = createActivityStatistics();
    stats.loadedChanged([QWEN, GEMMA]);
    for (const event of [input(T0), input(T0, GEMMA), input(T0, 'jit/model')]) stats.record(event, T0);
    stats.loadedChanged([GEMMA]);
    expect(stats.models(T0 + 1).map((model) => [model.identifier, model.inProgress])).toEqual([
      [GEMMA, 1],
      ['jit/model', 1],
      [QWEN, 0],
    ]);
  });
});

describe('windows, last answer and medians', () => {
  it('requests in the last 5 minutes and answers of the last 10 minutes, pruned as time passes', () => {
    const stats = feed([input(T0), output(T0 + 1_000), input(T0 + 2 * MIN), output(T0 + 2 * MIN + 1_000)]);
    expect(of(stats, T0 + 3 * MIN)).toMatchObject({ requestsLast5Min: 2 });
    expect(of(stats, T0 + REQUESTS_WINDOW_MS)).toMatchObject({ requestsLast5Min: 1 });
    expect(of(stats, T0 + 2 * MIN + REQUESTS_WINDOW_MS)).toMatchObject({ requestsLast5Min: 0 });
    expect(of(stats, T0 + 1_000 + RECENT_WINDOW_MS - 1)?.recent).toHaveLength(2);
    expect(of(stats, T0 + 1_000 + RECENT_WINDOW_MS)?.recent).toHaveLength(1);
    // Nothing recent and not loaded: no longer shown.
    expect(stats.models(T0 + 2 * MIN + 1_000 + RECENT_WINDOW_MS)).toEqual([]);
  });

  it('a loaded model stays shown with its last answer and its usual after the windows empty', () => {
    const stats = feed([input(T0), output(T0 + 1_000, { tps: 42, ttft: 0.3 })]);
    stats.loadedChanged([QWEN]);
    expect(of(stats, T0 + 60 * MIN)).toEqual({
      identifier: QWEN,
      inProgress: 0,
      busySince: null,
      requestsLast5Min: 0,
      last: { at: T0 + 1_000, tokensPerSecond: 42, timeToFirstTokenSec: 0.3, promptTokens: 10, predictedTokens: 100 },
      medianTokensPerSecond: 42,
      medianTimeToFirstTokenSec: 0.3,
      recent: [],
      possiblyStuckSince: null,
    });
  });

  it('medians of tokens/s and time to first token over the last answers, skipping unknown figures', () => {
    const stats = feed([
      output(T0, { tps: 40, ttft: 0.1 }),
      output(T0 + 1, { tps: 10, ttft: null }),
      output(T0 + 2, { tps: null, ttft: 0.5 }),
      output(T0 + 3, { tps: 30, ttft: 0.3 }),
    ]);
    expect(of(stats, T0 + 4)).toMatchObject({ medianTokensPerSecond: 30, medianTimeToFirstTokenSec: 0.3 });
    expect(of(stats, T0 + 4)?.last).toMatchObject({ at: T0 + 3, tokensPerSecond: 30 });
    const many = feed(Array.from({ length: HISTORY_SIZE + 10 }, (_, i) => output(T0 + i, { tps: i < 10 ? 1000 : 20 })));
    expect(of(many, T0 + 100)?.medianTokensPerSecond).toBe(20);
  });

  it('median', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('a timestamp from the future counts as now', () => {
    const stats = createActivityStatistics();
    stats.record(input(T0 + 10 * MIN), T0);
    expect(of(stats, T0)).toMatchObject({ busySince: T0, requestsLast5Min: 1 });
  });
});

describe('possibly stuck', () => {
  it('without history: flagged once after more than 10 minutes, and only then', () => {
    const stats = feed([input(T0)]);
    expect(stats.checkStuck(T0 + STUCK_AFTER_MS)).toEqual([]);
    expect(of(stats, T0 + STUCK_AFTER_MS)?.possiblyStuckSince).toBeNull();
    expect(stats.checkStuck(T0 + STUCK_AFTER_MS + 1)).toEqual([
      { modelIdentifier: QWEN, runningForMs: STUCK_AFTER_MS + 1 },
    ]);
    expect(stats.checkStuck(T0 + STUCK_AFTER_MS + 60_000)).toEqual([]);
    expect(of(stats, T0 + STUCK_AFTER_MS + 60_000)?.possiblyStuckSince).toBe(T0);
    stats.record(output(T0 + 20 * MIN, { ttft: null }), T0 + 20 * MIN);
    expect(of(stats, T0 + 20 * MIN)?.possiblyStuckSince).toBeNull();
  });

  it('beyond 10 minutes only when far beyond the model usual: more than 5 times its median total time', () => {
    // This model's answers usually take 4 minutes (ttft 40 s + 2000 tokens at 10 tok/s).
    const usual = { ttft: 40, tps: 10, predicted: 2_000 };
    const events: LogStreamEvent[] = [];
    for (let i = 0; i < 3; i += 1) events.push(input(T0 + i * 5 * MIN), output(T0 + i * 5 * MIN + 4 * MIN, usual));
    const start = T0 + 30 * MIN;
    const stats = feed([...events, input(start)]);
    expect(stats.checkStuck(start + 15 * MIN)).toEqual([]);
    expect(stats.nextChangeAt(start + 15 * MIN)).toBe(start + 20 * MIN + 1);
    expect(stats.checkStuck(start + 20 * MIN + 1)).toEqual([{ modelIdentifier: QWEN, runningForMs: 20 * MIN + 1 }]);
  });

  it('each request is flagged once; a second one running as long is flagged too', () => {
    const stats = feed([input(T0), input(T0 + MIN)]);
    expect(stats.checkStuck(T0 + 11 * MIN + 1).map((stuck) => stuck.runningForMs)).toEqual([
      11 * MIN + 1,
      10 * MIN + 1,
    ]);
    expect(stats.checkStuck(T0 + 30 * MIN)).toEqual([]);
  });
});

describe('nextChangeAt: the only timer the caller needs', () => {
  it('null when nothing will change by itself', () => {
    expect(createActivityStatistics().nextChangeAt(T0)).toBeNull();
    const stats = feed([input(T0), output(T0 + 1_000)]);
    expect(stats.nextChangeAt(T0 + 1_000 + RECENT_WINDOW_MS)).toBeNull();
  });

  it('while a request runs: when it may turn stuck, or a window lets go of an entry, whichever is first', () => {
    const stats = feed([input(T0)]);
    expect(stats.nextChangeAt(T0)).toBe(T0 + REQUESTS_WINDOW_MS);
    expect(stats.nextChangeAt(T0 + REQUESTS_WINDOW_MS)).toBe(T0 + STUCK_AFTER_MS + 1);
    stats.checkStuck(T0 + STUCK_AFTER_MS + 1);
    expect(stats.nextChangeAt(T0 + STUCK_AFTER_MS + 1)).toBeNull();
  });

  it('after the answers: when the last of them leaves the 10-minute window, then never', () => {
    const stats = feed([input(T0), output(T0 + 1_000)]);
    expect(stats.nextChangeAt(T0 + 1_000)).toBe(T0 + REQUESTS_WINDOW_MS);
    expect(stats.nextChangeAt(T0 + REQUESTS_WINDOW_MS)).toBe(T0 + 1_000 + RECENT_WINDOW_MS);
  });
});
