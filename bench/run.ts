/**
 * `npm run bench [-- --quick] [--only GROUP[,GROUP]] [--out DIR]`: every figure of the watcher,
 * each beside the anchors' ways and the physical floor measured in the same run, as one
 * Markdown table on stdout and as JSON + Markdown under bench/results/ (latest and dated).
 * Benchmarks measure; they never fail on a number. A group that throws is reported and the
 * rest still run (exit code 1 then).
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright';
import { bundleGroup } from './groups/bundle';
import { idleGroup } from './groups/idle';
import { listGroup } from './groups/list';
import { parserGroup } from './groups/parser';
import { progressGroup } from './groups/progress';
import { startupGroup } from './groups/startup';
import { statusGroup } from './groups/status';
import { launchChromium } from './lib/browser';
import type { BenchContext, BenchGroup } from './lib/group';
import { machineInfo, markdownTable, type Row, type RunInfo, value, verdict, writeResults } from './lib/report';
import { PROJECT_ROOT } from './lib/web-mode';

export const GROUPS: BenchGroup[] = [
  statusGroup,
  idleGroup,
  progressGroup,
  listGroup,
  bundleGroup,
  startupGroup,
  parserGroup,
];

export interface BenchOptions {
  quick: boolean;
  only: string[];
  outDir: string;
  log: (message: string) => void;
}

export const USAGE = 'Usage: npm run bench -- [--quick] [--only GROUP[,GROUP]] [--out DIR]';

export function parseBenchArgs(argv: string[]): Omit<BenchOptions, 'log'> {
  const options = { quick: false, only: [] as string[], outDir: path.join(PROJECT_ROOT, 'bench', 'results') };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = argv[i + 1];
    if (flag === '--quick') options.quick = true;
    else if (flag === '--only' && next) {
      options.only.push(...next.split(','));
      i++;
    } else if (flag === '--out' && next) {
      options.outDir = path.resolve(next);
      i++;
    } else throw new Error(`Unknown argument ${flag}. ${USAGE}`);
  }
  const names = GROUPS.map((g) => g.name);
  const unknown = options.only.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`Unknown group ${unknown.join(', ')}; groups: ${names.join(', ')}.`);
  return options;
}

export async function runBench(options: BenchOptions): Promise<{ rows: Row[]; info: RunInfo; markdown: string }> {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0]!;
  const date = new Date().toISOString();
  const shared: { browser: Browser | null } = { browser: null };
  let chromiumVersion = 'Chromium not started';
  const ctx: BenchContext = {
    quick: options.quick,
    reps: options.quick ? 2 : 20,
    browser: async () => {
      shared.browser ??= await launchChromium();
      return shared.browser;
    },
    simulators: [],
    log: options.log,
  };
  const groups = GROUPS.filter((g) => options.only.length === 0 || options.only.includes(g.name));
  const rows: Row[] = [];
  const failures: RunInfo['failures'] = [];
  try {
    for (const group of groups) {
      const groupStarted = performance.now();
      options.log(`running ${group.name}...`);
      try {
        rows.push(...(await group.run(ctx)));
      } catch (error) {
        failures.push({ group: group.name, error: error instanceof Error ? error.message : String(error) });
        options.log(`${group.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      options.log(`${group.name} took ${((performance.now() - groupStarted) / 1000).toFixed(1)} s`);
    }
    if (ctx.simulators.length > 0) {
      const wakeUps = ctx.simulators.reduce((sum, sim) => sum + sim.state.wakeCount(), 0);
      rows.push({
        group: 'all',
        id: 'wake-ups',
        figure: 'LM Studio wake-ups caused, whole run',
        unit: 'count',
        stat: 'value',
        goal: '0',
        ours: value(wakeUps),
        poller: verdict('never wakes (HTTP only)'),
        checkOnce: verdict('never wakes (HTTP only)'),
        floor: value(0),
      });
    }
  } finally {
    if (shared.browser) {
      chromiumVersion = `Chromium ${shared.browser.version()}`;
      await shared.browser.close();
    }
  }
  const info: RunInfo = {
    date,
    mode: options.quick ? 'quick' : 'full',
    groups: groups.map((g) => g.name),
    durationSeconds: (performance.now() - started) / 1000,
    machine: machineInfo(chromiumVersion),
    loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
    failures,
  };
  const markdown = await writeResults(options.outDir, info, rows);
  return { rows, info, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let options: Omit<BenchOptions, 'log'>;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const { rows, info } = await runBench({ ...options, log: (message) => process.stderr.write(`${message}\n`) });
  console.log(markdownTable(rows));
  process.stderr.write(
    `took ${info.durationSeconds.toFixed(0)} s; wrote ${path.join(options.outDir, 'latest.md')} and .json\n`,
  );
  process.exitCode = info.failures.length > 0 ? 1 : 0;
}
