/**
 * Clears the robustness counts before a run and prints their sum after it: the figures README's
 * Reliability section quotes. Runs only when a robustness suite took part.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type FamilyTally, ROBUSTNESS_REPORT_DIR, TALLY_COUNTS } from './tally';

export function setup(): void {
  rmSync(ROBUSTNESS_REPORT_DIR, { recursive: true, force: true });
}

/** Sums the records per family. */
export function summarize(records: FamilyTally[]): string {
  const byFamily = new Map<string, Record<(typeof TALLY_COUNTS)[number], number>>();
  for (const record of records) {
    const sum = byFamily.get(record.family) ?? Object.fromEntries(TALLY_COUNTS.map((c) => [c, 0]));
    for (const count of TALLY_COUNTS) sum[count] += record[count] ?? 0;
    byFamily.set(record.family, sum as Record<(typeof TALLY_COUNTS)[number], number>);
  }
  const header = ['family', 'cases', 'crashes', 'hangs', 'processes left', 'corrupt files', 'leaked secrets'];
  const rows = [...byFamily]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([family, sum]) => [family, ...TALLY_COUNTS.map((c) => String(sum[c]))]);
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function teardown(): void {
  if (!existsSync(ROBUSTNESS_REPORT_DIR)) return;
  const records = readdirSync(ROBUSTNESS_REPORT_DIR)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) => readFileSync(path.join(ROBUSTNESS_REPORT_DIR, name), 'utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as FamilyTally);
  if (records.length === 0) return;
  const table = summarize(records);
  writeFileSync(path.join(ROBUSTNESS_REPORT_DIR, 'summary.md'), `${table}\n`);
  process.stdout.write(`\nRobustness suites, this run:\n${table}\n`);
}
