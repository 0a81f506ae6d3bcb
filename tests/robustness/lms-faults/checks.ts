/** Checks shared by the fault suites: a message fit to show, a bounded wait, no stray child. */
import { expect } from 'vitest';
import { processesWithMarker } from '../processes';

/** A message the user can read: some words, one line, no control characters, not a page long. */
export function checkMessage(message: string): void {
  expect(message).toMatch(/\S/);
  expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  expect(message).not.toMatch(/undefined|\[object /);
  expect(message.length).toBeLessThanOrEqual(600);
}

/** `promise`, or a rejection saying it hung after `ms` of real time. */
export function withinRealTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not end within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Kills what a failed case left behind (by pid, only processes carrying its marker). */
export function endLeftovers(marker: string): void {
  for (const pid of processesWithMarker(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Asserts `check` holds for one of `candidates` (the first failure is the one reported). */
export function expectOneOf<T>(candidates: Array<T | null | undefined>, check: (candidate: T) => void): void {
  let first: unknown = null;
  for (const candidate of candidates) {
    if (candidate === null || candidate === undefined) continue;
    try {
      check(candidate);
      return;
    } catch (error) {
      first ??= error;
    }
  }
  throw first;
}
