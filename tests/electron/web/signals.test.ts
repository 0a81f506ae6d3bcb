import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SAME_REQUEST_MS, type SignalTarget, STOP_SIGNALS, stopOnSignals } from '../../../electron/web/signals';
import { createMemoryLogger } from './fake-core';

/** Stands in for `process`: signals are raised by hand and exit codes recorded. */
function fakeProcess(): SignalTarget & { raise(signal: string): void; exits: number[]; listeners(): number } {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    on: (signal, listener) => emitter.on(signal, listener),
    off: (signal, listener) => emitter.off(signal, listener),
    exit: (code) => {
      exits.push(code);
    },
    raise: (signal) => {
      emitter.emit(signal, signal);
    },
    exits,
    listeners: () => STOP_SIGNALS.reduce((n, signal) => n + emitter.listenerCount(signal), 0),
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('stopOnSignals', () => {
  it.each(STOP_SIGNALS)('on %s stops once and exits 0', async (signal) => {
    const target = fakeProcess();
    const stop = vi.fn(async () => {});
    stopOnSignals({ stop, logger: createMemoryLogger(), timeoutMs: 1000, target });
    target.raise(signal);
    await vi.waitFor(() => expect(target.exits).toEqual([0]));
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('exits at once on a second signal more than SAME_REQUEST_MS after the first', async () => {
    const target = fakeProcess();
    let finish: () => void = () => {};
    const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    stopOnSignals({ stop, logger: createMemoryLogger(), timeoutMs: 60_000, target, now: () => Date.now() });
    target.raise('SIGINT');
    vi.advanceTimersByTime(SAME_REQUEST_MS + 1);
    target.raise('SIGINT');
    expect(target.exits).toEqual([130]);
    target.raise('SIGTERM');
    expect(target.exits).toEqual([130, 143]);
    expect(stop).toHaveBeenCalledTimes(1);
    finish();
  });

  // A terminal's Ctrl-C reaches node and npm; npm forwards its copy, so one press arrives twice.
  it.each([
    ['SIGINT', 0],
    ['SIGINT', SAME_REQUEST_MS],
    ['SIGTERM', 200],
    ['SIGHUP', 499],
  ] as const)('takes %s %i ms after the first as the same request', async (second, afterMs) => {
    const target = fakeProcess();
    let finish: () => void = () => {};
    const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    stopOnSignals({ stop, logger: createMemoryLogger(), timeoutMs: 60_000, target, now: () => Date.now() });
    target.raise('SIGINT');
    vi.advanceTimersByTime(afterMs);
    target.raise(second);
    target.raise('SIGINT');
    expect(target.exits).toEqual([]);
    expect(stop).toHaveBeenCalledTimes(1);
    finish();
    await vi.waitFor(() => expect(target.exits).toEqual([0]));
  });

  it('measures the window from the first signal, not the latest', () => {
    const target = fakeProcess();
    stopOnSignals({
      stop: () => new Promise<void>(() => {}),
      logger: createMemoryLogger(),
      timeoutMs: 60_000,
      target,
      now: () => Date.now(),
    });
    target.raise('SIGINT');
    vi.advanceTimersByTime(400);
    target.raise('SIGINT'); // npm's copy
    vi.advanceTimersByTime(400);
    target.raise('SIGINT'); // 800 ms after the first: the user pressed again
    expect(target.exits).toEqual([130]);
  });

  it('exits 1 when stopping fails', async () => {
    const target = fakeProcess();
    const logger = createMemoryLogger();
    stopOnSignals({ stop: async () => Promise.reject(new Error('stuck child')), logger, timeoutMs: 1000, target });
    target.raise('SIGTERM');
    await vi.waitFor(() => expect(target.exits).toEqual([1]));
    expect(logger.lines.join('\n')).toContain('Stopping failed');
  });

  it('exits 1 when stopping hangs past the timeout', () => {
    const target = fakeProcess();
    stopOnSignals({ stop: () => new Promise<void>(() => {}), logger: createMemoryLogger(), timeoutMs: 5000, target });
    target.raise('SIGINT');
    vi.advanceTimersByTime(4999);
    expect(target.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(target.exits).toEqual([1]);
  });

  it('removes its handlers when asked', () => {
    const target = fakeProcess();
    const remove = stopOnSignals({ stop: async () => {}, logger: createMemoryLogger(), timeoutMs: 1000, target });
    expect(target.listeners()).toBe(3);
    remove();
    expect(target.listeners()).toBe(0);
  });
});
