import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoalescer } from '../../../electron/core/coalesce';
import { systemClock } from '../../../electron/core/node-ports';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createCoalescer', () => {
  it('emits the first value at once and the latest of a burst as a trailing emit', () => {
    const seen: number[] = [];
    const c = createCoalescer<number>((v) => seen.push(v), { clock: systemClock, maxPerSecond: 10 });
    c.push(1);
    c.push(2);
    c.push(3);
    expect(seen).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([1, 3]);
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([1, 3]);
  });

  it('caps a 50 ms stream at 10 emits a second and keeps the final value', () => {
    const seen: number[] = [];
    const c = createCoalescer<number>((v) => seen.push(v), { clock: systemClock, maxPerSecond: 10 });
    for (let i = 1; i <= 100; i++) {
      c.push(i);
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(200);
    // 100 pushes over 5 s: one emit per 100 ms, plus the leading one.
    expect(seen.length).toBeLessThanOrEqual(51);
    expect(seen.length).toBeGreaterThanOrEqual(49);
    expect(seen.at(-1)).toBe(100);
  });

  it('flushes a pending value now and cancel drops it', () => {
    const seen: string[] = [];
    const c = createCoalescer<string>((v) => seen.push(v), { clock: systemClock, maxPerSecond: 2 });
    c.push('a');
    c.push('b');
    c.flush();
    expect(seen).toEqual(['a', 'b']);
    c.push('c');
    c.cancel();
    vi.advanceTimersByTime(5000);
    expect(seen).toEqual(['a', 'b']);
    c.flush();
    expect(seen).toEqual(['a', 'b']);
  });
});
