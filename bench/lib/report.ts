/**
 * The bench's one table: a row per figure, each with ours, the anchors' ways and the physical
 * floor measured in the same run, and the ratios between them. Printed as Markdown and written
 * as JSON + Markdown (latest and a dated copy).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { percentile } from './stats';

/** What one column of a row holds. */
export type Cell =
  /** Repeated measurements; `missed` repetitions saw nothing within `capMs` (they count as "more than the cap"). */
  | { kind: 'samples'; values: number[]; missed: number; capMs: number }
  | { kind: 'value'; value: number }
  /** A fact that is not a number: "never" (by design), or why there is nothing to measure. */
  | { kind: 'verdict'; text: string }
  | { kind: 'none' };

export interface Row {
  /** Stable name of the figure (the test and the JSON use it). */
  id: string;
  group: string;
  figure: string;
  unit: string;
  /** Which statistic the ratios and the goal use. */
  stat: 'p50' | 'p95' | 'value';
  goal: string;
  ours: Cell;
  /** Anchor (a): a fixed 5 s poll with a 5 s timeout over Node's fetch, flipping on the first failure. */
  poller: Cell;
  /** Anchor (b): the seed client's check once at start. */
  checkOnce: Cell;
  floor: Cell;
  note?: string;
}

export interface RunInfo {
  date: string;
  mode: 'full' | 'quick';
  groups: string[];
  durationSeconds: number;
  machine: { cores: number; memoryGiB: number; cpuModel: string; os: string; node: string; chromium: string };
  /** 1-minute load average when the run started and ended: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number };
  failures: Array<{ group: string; error: string }>;
}

export const samples = (values: number[], capMs: number, missed = 0): Cell => ({
  kind: 'samples',
  values,
  missed,
  capMs,
});
export const value = (v: number): Cell => ({ kind: 'value', value: v });
export const verdict = (text: string): Cell => ({ kind: 'verdict', text });
export const none: Cell = { kind: 'none' };

/** A repetition that saw nothing within the cap counts as +Infinity, so a percentile can land on it. */
function stat(cell: Cell, which: 'p50' | 'p95'): number | null {
  if (cell.kind === 'value') return cell.value;
  if (cell.kind !== 'samples') return null;
  const all = [...cell.values, ...Array<number>(cell.missed).fill(Number.POSITIVE_INFINITY)];
  return all.length === 0 ? null : percentile(all, which === 'p50' ? 50 : 95);
}

/** The number the ratios use, or null; `atLeast` when it is only known to exceed the cap. */
function headline(cell: Cell, row: Row): { value: number; atLeast: boolean } | null {
  if (cell.kind === 'verdict')
    return cell.text === 'never' ? { value: Number.POSITIVE_INFINITY, atLeast: false } : null;
  const v = stat(cell, row.stat === 'p95' ? 'p95' : 'p50');
  if (v === null) return null;
  if (v === Number.POSITIVE_INFINITY && cell.kind === 'samples') return { value: cell.capMs, atLeast: true };
  return { value: v, atLeast: false };
}

function ratio(top: ReturnType<typeof headline>, bottom: ReturnType<typeof headline>): string {
  if (!top || !bottom || bottom.atLeast || !Number.isFinite(bottom.value) || bottom.value <= 0) return '—';
  if (!Number.isFinite(top.value)) return '∞';
  const r = top.value / bottom.value;
  const text = r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
  return `${top.atLeast ? '> ' : ''}${text}×`;
}

function number(v: number, unit: string): string {
  if (v === Number.POSITIVE_INFINITY) return '∞';
  if (unit === 'ms') return v >= 10 ? v.toFixed(0) : v.toFixed(1);
  if (unit === '% of a core' || unit === 'req/s' || unit === 'conn/s') return v.toFixed(2);
  if (unit === 'count') return v.toFixed(0);
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function capText(capMs: number): string {
  return capMs >= 1000 ? `${capMs / 1000} s` : `${capMs} ms`;
}

export function cellText(cell: Cell, row: Row): string {
  switch (cell.kind) {
    case 'none':
      return '—';
    case 'verdict':
      return cell.text;
    case 'value':
      return number(cell.value, row.unit);
    case 'samples': {
      const n = cell.values.length + cell.missed;
      if (cell.values.length === 0) return `not within ${capText(cell.capMs)} (0 of ${n})`;
      const show = (v: number | null) =>
        v === null ? '—' : v === Number.POSITIVE_INFINITY ? `> ${capText(cell.capMs)}` : number(v, row.unit);
      const spread =
        row.stat === 'value' ? show(stat(cell, 'p50')) : `${show(stat(cell, 'p50'))} / ${show(stat(cell, 'p95'))}`;
      return cell.missed > 0 ? `${spread} (${cell.missed} of ${n} not within ${capText(cell.capMs)})` : spread;
    }
  }
}

export function markdownTable(rows: readonly Row[]): string {
  const header = [
    'figure',
    'unit',
    'ours',
    'anchor (a): 5 s fetch poll',
    'anchor (b): check once',
    'floor',
    'ours ÷ floor',
    'anchor (a) ÷ ours',
    'goal',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  const notes: string[] = [];
  for (const row of rows) {
    if (row.note) notes.push(`[${notes.length + 1}] ${row.note}`);
    const ours = headline(row.ours, row);
    const unit = row.stat === 'value' ? row.unit : `${row.unit}, p50 / p95`;
    const cells = [
      row.note ? `${row.figure} [${notes.length}]` : row.figure,
      unit,
      cellText(row.ours, row),
      cellText(row.poller, row),
      cellText(row.checkOnce, row),
      cellText(row.floor, row),
      ratio(ours, headline(row.floor, row)),
      ratio(headline(row.poller, row), ours),
      row.goal,
    ];
    lines.push(`| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`);
  }
  return [...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

export function machineInfo(chromium: string): RunInfo['machine'] {
  return {
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    chromium,
  };
}

function summary(cell: Cell): unknown {
  if (cell.kind !== 'samples') return cell;
  return {
    ...cell,
    n: cell.values.length + cell.missed,
    p50: stat(cell, 'p50'),
    p95: stat(cell, 'p95'),
  };
}

/** Writes latest.json, latest.md and a dated copy of each into `dir`; returns the Markdown. */
export async function writeResults(dir: string, info: RunInfo, rows: readonly Row[]): Promise<string> {
  const m = info.machine;
  const markdown = [
    `# npm run bench: ${info.date}`,
    '',
    `Mode: ${info.mode}${info.mode === 'quick' ? ' (tiny counts: a structure check, not a measurement)' : ''}; groups: ${info.groups.join(', ')}; took ${info.durationSeconds.toFixed(0)} s.`,
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; ${m.chromium}; load average ${info.loadAverage.start.toFixed(1)} at the start, ${info.loadAverage.end.toFixed(1)} at the end.`,
    '',
    markdownTable(rows),
    ...(info.failures.length > 0 ? ['', ...info.failures.map((f) => `Group ${f.group} failed: ${f.error}`)] : []),
    '',
  ].join('\n');
  const json = `${JSON.stringify(
    {
      ...info,
      rows: rows.map((row) => ({
        ...row,
        ours: summary(row.ours),
        poller: summary(row.poller),
        checkOnce: summary(row.checkOnce),
        floor: summary(row.floor),
      })),
    },
    (_key, v: unknown) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v),
    2,
  )}\n`;
  const stamp = info.date.replace(/:\d\d(\.\d+)?Z$/, 'Z').replaceAll(':', '');
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(path.join(dir, 'latest.md'), markdown),
    writeFile(path.join(dir, 'latest.json'), json),
    writeFile(path.join(dir, `${stamp}.md`), markdown),
    writeFile(path.join(dir, `${stamp}.json`), json),
  ]);
  return markdown;
}
