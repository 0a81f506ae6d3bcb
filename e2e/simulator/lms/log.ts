/**
 * `lms log stream` (lms `src/subcommands/log.ts`, lmstudio-protocol-2.md §1): commander refuses
 * bad options before anything else; then the client connects (waking LM Studio), the flags are
 * checked, the banner goes to stderr and each event to stdout, as `JSON.stringify` of the event
 * in its schema's key order with `--json`. It follows the simulator over a long poll, so an idle
 * stream costs nothing. LM Studio quitting closes the WebSocket: the SDK's warning, then exit 0.
 */
import type { PredictionStats, SimLogEvent } from '../predictions';
import { type Context, ensureAwake, parseCommand } from './context';
import { exit, log, printLine } from './output';
import { ControlLostError, rpc } from './rpc';

/** The SDK's warning when the diagnostics socket closes (lmstudio-bug-tracker#1566's prefix, `[Diagnostics]` namespace). */
export const WEBSOCKET_CLOSED_WARNING =
  '[LMStudioClient][Diagnostics][ClientPort][WsClientTransport:AuthenticatedWsClientTransport] WebSocket error: Error: WebSocket connection closed';

/** The default of lms b4542ca..6efe6ab, printed as one line (`text` joins the template's lines with spaces). */
export const INPUT_ONLY_WARNING =
  "WARNING: 'lms log stream' will show both user and assistant messages in future versions. To continue seeing only user messages, please use 'lms log stream --source model --filter input'";

type Source = 'model' | 'server' | 'runtime';

export async function logStream(ctx: Context, args: string[]): Promise<number> {
  const build = ctx.logStreamBuild;
  const sources: Source[] = build === 'no-signal-handlers' ? ['model', 'server'] : ['model', 'server', 'runtime'];
  const { values } =
    build === 'no-source'
      ? parseCommand(args, { json: { type: 'boolean' }, port: { type: 'string' } })
      : parseCommand(args, {
          json: { type: 'boolean' },
          stats: { type: 'boolean' },
          source: { type: 'string', short: 's' },
          filter: { type: 'string' },
          port: { type: 'string' },
        });
  const options = values as { json?: boolean; stats?: boolean; source?: string; filter?: string };
  const source = options.source ?? 'model';
  if (!sources.includes(source as Source)) {
    process.stderr.write(
      `error: option '-s, --source <source>' argument '${source}' is invalid. Allowed choices are ${sources.join(', ')}.\n`,
    );
    return exit(1);
  }

  // createClient comes first: even a refused flag combination wakes LM Studio.
  await ensureAwake(ctx);
  const types = build === 'no-source' ? ['input'] : predictionTypes(build, source as Source, options);

  // Subscribed before the banner (lms subscribes just after it), so whoever waits for the banner misses no event.
  let cursor = build === 'early-exit' ? null : await rpc('logSubscribe', {}).catch(lost);
  log.info('Streaming logs from LM Studio\n');
  // `await using client` disposed the client as the action returned: those builds end here.
  if (build === 'early-exit') return 0;
  if (build === 'current' || build === 'input-default') {
    // Since lms 7144400: unsubscribe, dispose the client, exit 0. Earlier builds die of the signal.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
  }

  const print = (event: SimLogEvent) => {
    if (source !== 'model' || !types.some((type) => event.data.type === `llm.prediction.${type}`)) return;
    if (options.json) printLine(JSON.stringify(schemaOrdered(event)));
    else printHuman(event, options.stats === true, build === 'no-source');
  };
  while (cursor !== null) {
    const next = await rpc('logNext', cursor).catch(lost);
    for (const event of next?.events ?? []) print(event);
    cursor = next === null || next.closed ? null : { session: cursor.session, seq: next.seq };
  }
  log.warn(WEBSOCKET_CLOSED_WARNING);
  return 0;
}

/** The simulator itself went away: to the stream, a dropped socket like a quit. */
function lost(error: unknown): null {
  if (error instanceof ControlLostError) return null;
  throw error;
}

/** The checks after connecting (exit 1 with lms's message) and the `llm.prediction.*` types shown. */
function predictionTypes(
  build: Context['logStreamBuild'],
  source: Source,
  options: { stats?: boolean; filter?: string },
): string[] {
  if (options.stats === true && source !== 'model') {
    log.error('--stats can only be used with --source model');
    return exit(1);
  }
  if (options.filter !== undefined && source !== 'model') {
    log.error('--filter can only be used with --source model');
    return exit(1);
  }
  if (source !== 'model') return [];
  if (options.filter === undefined) {
    if (build === 'current') return ['input', 'output'];
    log.warn(INPUT_ONLY_WARNING);
    return ['input'];
  }
  if (options.filter.trim() === '') {
    log.error('--filter cannot be empty');
    return exit(1);
  }
  const types = options.filter
    .split(',')
    .map((type) => type.trim())
    .filter((type) => type.length > 0);
  if (types.some((type) => type !== 'input' && type !== 'output')) {
    log.error("--filter values must be 'input', 'output', or 'input,output'");
    return exit(1);
  }
  // `--filter ,` leaves no type: lms then shows every prediction event.
  return types.length > 0 ? types : ['input', 'output'];
}

/** The SDK re-parses each event with zod: keys in schema order, unknown ones dropped. */
function schemaOrdered(event: SimLogEvent): SimLogEvent {
  const { data } = event;
  if (data.type === 'llm.prediction.input') {
    return {
      timestamp: event.timestamp,
      data: { type: data.type, input: data.input, modelPath: data.modelPath, modelIdentifier: data.modelIdentifier },
    };
  }
  return {
    timestamp: event.timestamp,
    data: {
      type: data.type,
      output: data.output,
      ...(data.stats ? { stats: orderedStats(data.stats) } : {}),
      modelIdentifier: data.modelIdentifier,
    },
  };
}

const STATS_ORDER: ReadonlyArray<keyof PredictionStats> = [
  'stopReason',
  'tokensPerSecond',
  'numGpuLayers',
  'timeToFirstTokenSec',
  'totalTimeSec',
  'promptTokensCount',
  'predictedTokensCount',
  'totalTokensCount',
];

function orderedStats(stats: PredictionStats): PredictionStats {
  const ordered: Record<string, unknown> = {};
  for (const key of STATS_ORDER) if (stats[key] !== undefined) ordered[key] = stats[key];
  return ordered as unknown as PredictionStats;
}

/** The human format (no chalk colours on a pipe); `legacy`: the quoted `input: "…"` of before 0.3.26. */
function printHuman(event: SimLogEvent, stats: boolean, legacy: boolean): void {
  const { data } = event;
  printLine(`timestamp: ${new Date(event.timestamp).toLocaleString()}`);
  printLine(`type: ${data.type}`);
  printLine(`modelIdentifier: ${data.modelIdentifier}`);
  if (data.type === 'llm.prediction.input') {
    printLine(`modelPath: ${data.modelPath}`);
    if (legacy) {
      printLine(`input: "${data.input}"`);
    } else {
      printLine('input:');
      printLine(data.input);
    }
  } else {
    printLine('output:');
    printLine(data.output);
    if (stats) {
      if (data.stats === undefined) printLine('No stats available');
      else for (const [key, value] of Object.entries(orderedStats(data.stats))) printLine(`${key}: ${String(value)}`);
    }
  }
  printLine();
  printLine();
}
