/** Shared by the fault suites: the runner over a fault, a message fit to show, a bounded wait, no stray child. */
import path from 'node:path';
import { expect } from 'vitest';
import { createLmsCli } from '../../../electron/core/lmstudio/lms/cli';
import { spawnWithoutShell } from '../../../electron/core/node-ports';
import type { Logger } from '../../../electron/core/ports';
import { createProcessRegistry } from '../../../electron/core/processes';
import { MARKER_VARIABLE, newMarker, processesWithMarker } from '../processes';
import type { Fault } from './faults';
import { createJumpClock, settleWithJumps } from './jump-clock';

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The real runner over the `lms` of `fault`, installed in `root/<case>`: its own marker in the
 * environment, its own jump clock and process registry. `settle` waits for work the way the
 * fault needs (jumping the clock past the limits for a silent child).
 */
export async function runnerFor(fault: Fault, root: string, caseName: string) {
  const marker = newMarker();
  const lmsPath = await fault.install(path.join(root, `${fault.name}--${caseName}`.replace(/[^a-z0-9]+/gi, '-')));
  const clock = createJumpClock();
  const registry = createProcessRegistry({ clock, logger: silent });
  const lms = createLmsCli({
    path: lmsPath,
    spawn: spawnWithoutShell,
    registry,
    clock,
    logger: silent,
    platform: 'linux',
    env: { PATH: process.env.PATH, [MARKER_VARIABLE]: marker },
  });
  const settle = <T>(work: Promise<T>) => (fault.hangs ? settleWithJumps(work, clock) : withinRealTime(work, 15_000));
  return { marker, clock, registry, lms, settle };
}

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
