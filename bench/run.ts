/**
 * `npm run bench`: runs every benchmark listed below, one after another, and prints one table.
 * Benchmarks measure; they never fail the build. A benchmark that throws is reported as such
 * and the rest still run (the exit code is then 1).
 *
 * To add one: export an async function returning BenchRow[] and list it in BENCHES.
 */
import { type BenchRow, benchHealthDetection } from './health-detection';
import { runLmsParserBench } from './lms-parsers.bench';

const BENCHES: Array<{ name: string; run: () => Promise<BenchRow[]> }> = [
  { name: 'health-detection', run: () => benchHealthDetection({ crashes: 20, idleSeconds: 30 }) },
  {
    name: 'lms-parsers',
    run: async () => {
      const result = runLmsParserBench();
      return [
        { bench: 'lms-parsers', metric: 'lms get output parsed', value: result.megabytesPerSecond, unit: 'MB/s' },
        { bench: 'lms-parsers', metric: 'progress frames parsed', value: result.framesPerSecond, unit: 'frames/s' },
      ];
    },
  },
];

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
let failed = false;

for (const bench of BENCHES) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  process.stderr.write(`running ${bench.name}...\n`);
  const started = performance.now();
  try {
    rows.push(...(await bench.run()));
  } catch (error) {
    failed = true;
    process.stderr.write(`${bench.name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.stderr.write(`${bench.name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

printTable(rows);
process.exitCode = failed ? 1 : 0;

function printTable(table: BenchRow[]): void {
  const cells = table.map((row) => [row.bench, row.metric, formatValue(row), row.unit]);
  const header = ['bench', 'metric', 'value', 'unit'];
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column]!.length)));
  const line = (cell: string[]) =>
    cell
      .map((text, column) => (column === 2 ? text.padStart(widths[column]!) : text.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cell of cells) console.log(line(cell));
}

function formatValue(row: BenchRow): string {
  if (Number.isInteger(row.value)) return String(row.value);
  return row.value.toFixed(row.unit === 'ms' ? 0 : 2);
}
