/**
 * `npm run bench -- --quick` inside `npm test`, so the bench never rots: every group runs with
 * tiny counts against the simulator, web mode and Chromium, and every figure of issue 7 comes
 * out as a number or an explicit verdict, in files written to a temporary folder. Nothing here
 * is about speed.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Cell } from '../../bench/lib/report';
import { runBench } from '../../bench/run';

const FIGURES = [
  'connections-cut',
  'stops-listening',
  'server-back',
  'auth-on',
  'auth-on-closed-greeting',
  'idle-cpu-open',
  'idle-cpu-closed',
  'idle-requests-open',
  'idle-connections-open',
  'idle-requests-closed',
  'idle-stream-cpu-open',
  'idle-stream-cpu-closed',
  'stream-memory',
  'progress-frame',
  'downloads-changed-rate',
  'activity-answer',
  'first-paint-3',
  'first-paint-1000',
  'first-paint-3-open-tab',
  'first-paint-1000-open-tab',
  'filter-1000',
  'first-view-javascript',
  'web-start',
  'web-memory',
  'parser-throughput',
  'wake-ups',
];

/** A number, numbers, or a verdict in words; never an empty or non-finite measurement. */
function isWellFormed(cell: Cell): boolean {
  switch (cell.kind) {
    case 'value':
      return Number.isFinite(cell.value);
    case 'samples':
      return cell.values.length + cell.missed > 0 && cell.values.every(Number.isFinite);
    case 'verdict':
      return cell.text.trim() !== '';
    case 'none':
      return true;
  }
}

const outDir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-bench-test-'));
afterAll(() => rm(outDir, { recursive: true, force: true }));

describe('npm run bench -- --quick', () => {
  it('gives every figure with ours, the anchors and the floor, and writes the table as JSON and Markdown', async () => {
    const { rows, info } = await runBench({ quick: true, only: [], outDir, log: () => {} });

    expect(info.failures).toEqual([]);
    expect(info.mode).toBe('quick');
    expect(rows.map((row) => row.id).sort()).toEqual([...FIGURES].sort());
    for (const row of rows) {
      expect(row.ours.kind, row.id).not.toBe('none');
      for (const cell of [row.ours, row.poller, row.checkOnce, row.floor])
        expect(isWellFormed(cell), row.id).toBe(true);
    }
    expect(rows.find((row) => row.id === 'wake-ups')?.ours).toEqual({ kind: 'value', value: 0 });

    const files = await readdir(outDir);
    expect(files).toEqual(expect.arrayContaining(['latest.json', 'latest.md']));
    expect(files.filter((name) => /^\d{4}-\d\d-\d\dT\d{4}Z\.(md|json)$/.test(name))).toHaveLength(2);
    const json = JSON.parse(await readFile(path.join(outDir, 'latest.json'), 'utf8'));
    expect(json.rows.map((row: { id: string }) => row.id)).toEqual(rows.map((row) => row.id));
    expect(json.machine).toMatchObject({ cores: expect.any(Number), node: process.version });
    const markdown = await readFile(path.join(outDir, 'latest.md'), 'utf8');
    for (const row of rows) expect(markdown).toContain(row.figure);
  }, 240_000);
});
