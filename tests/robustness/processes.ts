/**
 * Finds processes by a marker in their environment, so a suite can prove that none of the `lms`
 * children it caused outlived the test, without confusing them with a parallel test's children.
 * Linux only (`/proc/PID/environ`); elsewhere `processesWithMarker` says it cannot tell.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

export const MARKER_VARIABLE = 'LMSTRAY_TEST_MARKER';

/** A fresh marker: put `${MARKER_VARIABLE}=${marker}` in the environment of what the test starts. */
export function newMarker(): string {
  return `marker-${randomUUID()}`;
}

export function canListProcesses(): boolean {
  return process.platform === 'linux';
}

/** PIDs of live processes (zombies excluded) whose environment holds the marker. */
export function processesWithMarker(marker: string): number[] {
  if (!canListProcesses()) throw new Error('processesWithMarker needs /proc (Linux)');
  const needle = Buffer.from(`${MARKER_VARIABLE}=${marker}\0`);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`);
      if (environ.indexOf(needle) === -1) continue;
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
      if (state !== 'Z' && state !== 'X') found.push(Number(entry));
    } catch {
      // The process ended between the listing and the read, or belongs to another user.
    }
  }
  return found;
}
