/**
 * `npm run soak [-- --seconds N] [--seed S]`: the soak scenario (bench/lib/soak-scenario.ts) for
 * a bounded time, 40 minutes by default — the real core and web-mode server against the
 * simulator while LM Studio crashes, quits, flaps and asks for a token, downloads complete, are
 * cancelled and fail, models load and unload, and WebSocket pages come and go. Loopback only;
 * every process it starts ends.
 *
 * Verdicts (exit code 1 when one fails): heap used after a forced GC grows by at most 2 MB per
 * 10 minutes after warm-up (least-squares slope), notifications as the policy says, no fake
 * `lms` left running, no unhandled rejection, no wake-up of LM Studio the user did not ask for,
 * LM Studio seen online again after every round. Writes bench/results/soak-latest.{md,json}.
 * Ctrl-C ends the run early, cleanly, with the report of what ran.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { newMarker } from '../tests/robustness/processes';
import {
  activeResources,
  heapSlopeMbPer10Min,
  resourcesLeftAfter,
  runSoak,
  type SoakResult,
} from './lib/soak-scenario';

const HEAP_SLOPE_LIMIT_MB_PER_10_MIN = 2;
const RESULTS_DIR = path.resolve('bench', 'results');

interface Options {
  seconds: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { seconds: 2400, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if ((flag === '--seconds' || flag === '--seed') && Number.isInteger(value) && value > 0) {
      options[flag === '--seconds' ? 'seconds' : 'seed'] = Math.min(value, 6 * 3600);
      i++;
    } else {
      throw new Error(`Unknown or invalid argument ${flag}. Usage: npm run soak -- [--seconds N] [--seed S]`);
    }
  }
  return options;
}

/** `gc()` from `--expose-gc` (the npm script passes it), else exposed at run time; null if neither works. */
function findGc(): { gc: (() => void) | null; how: string } {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return { gc: exposed, how: '--expose-gc' };
  try {
    setFlagsFromString('--expose-gc');
    return { gc: runInNewContext('gc') as () => void, how: 'exposed at run time (v8.setFlagsFromString)' };
  } catch {
    return { gc: null, how: 'none' };
  }
}

interface Verdict {
  name: string;
  value: string;
  pass: boolean;
}

function verdicts(result: SoakResult, slope: number | null, left: string[]): Verdict[] {
  const roundsPlayed = Object.values(result.rounds).reduce((a, b) => a + b, 0);
  return [
    {
      name: `heap used after a forced GC, slope after warm-up ≤ ${HEAP_SLOPE_LIMIT_MB_PER_10_MIN} MB / 10 min`,
      value: slope === null ? 'too few samples' : `${slope.toFixed(2)} MB / 10 min`,
      pass: slope !== null && slope <= HEAP_SLOPE_LIMIT_MB_PER_10_MIN && result.gcForced,
    },
    {
      name: 'notifications as the policy says',
      value: `${result.policyViolations.length} violations`,
      pass: result.policyViolations.length === 0,
    },
    { name: 'orphan lms', value: String(result.orphanLms.length), pass: result.orphanLms.length === 0 },
    {
      name: 'unhandled rejections',
      value: String(result.unhandledRejections.length),
      pass: result.unhandledRejections.length === 0,
    },
    {
      name: 'wake-ups of LM Studio the user did not ask for',
      value:
        `${result.wakes.unasked.length + result.wakes.raced.length}: ${result.wakes.unasked.length} by an lms started ` +
        `while LM Studio was down, ${result.wakes.raced.length} by an lms started while it was up that found it gone ` +
        `(asked for: ${result.wakes.asked})`,
      pass: result.wakes.unasked.length + result.wakes.raced.length === 0,
    },
    {
      name: 'timers, sockets, children and core listeners back to their starting counts',
      value:
        left.length === 0 && result.coreListenersLeft === 0
          ? 'yes'
          : [...left, `core listeners ${result.coreListenersLeft}`].join(', '),
      pass: left.length === 0 && result.coreListenersLeft === 0,
    },
    {
      name: 'LM Studio seen online again after every round',
      value: `${result.recoveryTimeouts} timeouts, ${result.hungRounds} hung rounds in ${roundsPlayed}`,
      pass: result.recoveryTimeouts === 0 && result.hungRounds === 0 && result.finalState === 'online',
    },
  ];
}

function markdown(result: SoakResult, list: Verdict[], meta: Record<string, string>): string {
  const table = (rows: Array<[string, string | number]>) =>
    ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  return [
    `# npm run soak: ${meta.date}`,
    '',
    `${meta.command}; ${result.seconds} s; seed ${meta.seed}; GC: ${meta.gc}; warm-up ${meta.warmUp} s.`,
    `Machine: ${meta.machine}.`,
    '',
    '| verdict | figure | pass |',
    '|---|---|---|',
    ...list.map((v) => `| ${v.name} | ${v.value} | ${v.pass ? 'yes' : '**no**'} |`),
    '',
    '## Rounds',
    '',
    table(Object.entries(result.rounds)),
    '',
    '## What happened',
    '',
    table([
      ['status changes seen', result.statusChanges],
      ...Object.entries(result.notifications).map(([k, v]): [string, number] => [`notification ${k}`, v]),
      ...Object.entries(result.downloads).map(([k, v]): [string, number] => [`downloads ${k}`, v]),
      ['loads ok / refused', `${result.loads.ok} / ${result.loads.refused}`],
      ['unload commands', result.unloads],
      [
        'pages connected / dropped / closed',
        `${result.pages.connected} / ${result.pages.dropped} / ${result.pages.closed}`,
      ],
      ['page commands sent / answered', `${result.pages.commands} / ${result.pages.answered}`],
      ['lms processes started', result.lmsStarted],
      ['heap after warm-up → end (MB)', meta.heapRange ?? ''],
      ['heap every 5 minutes (MB)', meta.heapSeries ?? ''],
      ['rounds with an unexpected outcome', result.unexpected.length],
    ]),
    '',
    ...(result.unexpected.length > 0
      ? ['## Unexpected outcomes', '', ...result.unexpected.slice(0, 50).map((u) => `- ${u}`), '']
      : []),
    ...(result.wakes.unasked.length + result.wakes.raced.length > 0
      ? [
          '## Wake-ups nobody asked for',
          '',
          ...[...result.wakes.unasked, ...result.wakes.raced].slice(0, 50).map((w) => `- ${w}`),
          '',
        ]
      : []),
    ...(result.policyViolations.length > 0
      ? ['## Policy violations', '', ...result.policyViolations.slice(0, 50).map((u) => `- ${u}`), '']
      : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { gc, how } = findGc();
  const loadAtStart = os.loadavg()[0]!.toFixed(1);
  process.stderr.write(`soak: ${options.seconds} s, seed ${options.seed}, GC ${how}\n`);
  const resourcesAtStart = activeResources();
  // Ctrl-C ends the rounds: the scenario shuts down as usual and the report is still written.
  const stop = new AbortController();
  const onSignal = () => {
    process.stderr.write('soak: stopping after this round\n');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const result = await runSoak({
    seed: options.seed,
    durationMs: options.seconds * 1000,
    marker: newMarker(),
    pollIntervalMs: 1000,
    flapWindowMs: 10_000,
    pauseMs: [500, 4000],
    outageMs: [300, 2500],
    recoveryTimeoutMs: 20_000,
    heapSampleEveryMs: 20_000,
    gc,
    log: (line) => process.stderr.write(`soak: ${line}\n`),
    trace: process.env.SOAK_TRACE === '1',
    stop: stop.signal,
  });
  // Warm-up: the first quarter of the run, at most 10 minutes. What fills up then is bounded: code
  // the JIT compiles, fetch's resource-timing buffer (250 entries), the simulator's short logs.
  const warmUp = Math.min(600, result.seconds / 4);
  const afterWarmUp = result.heap.filter((s) => s.atSeconds >= warmUp);
  const slope = heapSlopeMbPer10Min(afterWarmUp);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const list = verdicts(result, slope, await resourcesLeftAfter(resourcesAtStart));
  const date = new Date().toISOString();
  const meta = {
    date,
    seed: String(options.seed),
    gc: how,
    warmUp: warmUp.toFixed(0),
    command: `npm run soak -- --seconds ${options.seconds} --seed ${options.seed}`,
    machine: `${os.cpus().length} cores, Node ${process.version}, load average ${loadAtStart} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end`,
    heapSeries: result.heap
      .filter(
        (sample, i) => i === 0 || Math.floor(sample.atSeconds / 300) > Math.floor(result.heap[i - 1]!.atSeconds / 300),
      )
      .map((sample) => `${Math.round(sample.atSeconds / 60)} min ${sample.mb.toFixed(1)}`)
      .join(', '),
    heapRange: afterWarmUp.length > 0 ? `${afterWarmUp[0]!.mb.toFixed(1)} → ${afterWarmUp.at(-1)!.mb.toFixed(1)}` : '',
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = { ...meta, heapSlopeMbPer10Min: slope, verdicts: list, ...result };
  writeFileSync(path.join(RESULTS_DIR, 'soak-latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = markdown(result, list, meta);
  writeFileSync(path.join(RESULTS_DIR, 'soak-latest.md'), `${md}\n`);
  console.log(md);
  if (list.some((v) => !v.pass)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
