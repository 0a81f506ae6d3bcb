/**
 * The robustness suites' counts, for README's Reliability section. Each family (bad answers, lms
 * faults, hostile input, secrets, crash safety, soak, parsers) records how many cases it tried
 * and what went wrong; the node project's global teardown prints the sum of the run.
 *
 * Counts go to `reports/robustness/<family>.jsonl`, one line per record, because vitest runs test
 * files in separate workers. A suite records only after it has asserted its outcomes, so a red
 * run never prints figures that look like a pass.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const ROBUSTNESS_REPORT_DIR = path.resolve('reports', 'robustness');

/** What a family saw. Every failure count is also asserted to be 0 by the suite that records it. */
export interface FamilyTally {
  /** The family's name as README shows it, e.g. `bad answers`, `lms faults`. */
  family: string;
  /** Distinct cases tried. */
  cases: number;
  crashes?: number;
  hangs?: number;
  processesLeft?: number;
  corruptFiles?: number;
  leakedSecrets?: number;
}

export const TALLY_COUNTS = ['cases', 'crashes', 'hangs', 'processesLeft', 'corruptFiles', 'leakedSecrets'] as const;

export function recordTally(tally: FamilyTally): void {
  mkdirSync(ROBUSTNESS_REPORT_DIR, { recursive: true });
  const file = path.join(ROBUSTNESS_REPORT_DIR, `${tally.family.replace(/[^a-z0-9-]+/gi, '-')}.jsonl`);
  appendFileSync(file, `${JSON.stringify(tally)}\n`);
}

/** `npm run fuzz` sets this: the same suites with their long counts. */
export const FUZZ = process.env.LMSTRAY_FUZZ === '1';

/** `normal` cases inside `npm test`, `fuzz` under `npm run fuzz`. */
export function scaled(normal: number, fuzz: number): number {
  return FUZZ ? fuzz : normal;
}
