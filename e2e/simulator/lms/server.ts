/** `lms server start|stop|status`, `lms daemon status`, `lms status` and `lms version` (lms `src/subcommands/server.ts` ...). */
import { formatSizeBytes1000 } from '../format';
import { type Context, checkHttpServer, configuredPort, ensureAwake, parseCommand } from './context';
import { exit, log, printLine, sleep } from './output';
import { rpc } from './rpc';

/** The commit hash `lms version --json` reports on 0.4-era builds. */
const CLI_COMMIT = 'f13588d';
const LEGACY_CLI_VERSION = '0.0.47';

/** `lms server status [--json]`: never wakes LM Studio, always exits 0. */
export async function serverStatus(args: string[]): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } });
  const port = await configuredPort();
  const running = port !== null && (await checkHttpServer(port));
  log.info(running ? `The server is running on port ${port}.` : 'The server is not running.');
  if (values.json) process.stdout.write(`${JSON.stringify(port === null ? { running } : { running, port })}\n`);
  return 0;
}

/** `lms server start [-p N] [--bind A] [--cors]`: wakes LM Studio, then verifies with the greeting. */
export async function serverStart(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommand(args, {
    port: { type: 'string', short: 'p' },
    bind: { type: 'string' },
    cors: { type: 'boolean' },
  });
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
      process.stderr.write(`error: option '-p, --port <port>' argument '${values.port}' is invalid.\n`);
      return exit(1);
    }
  }
  if (values.cors) log.warn('CORS is enabled. This means any website you visit can use the LM Studio server.');
  await ensureAwake(ctx);
  const started = await rpc('serverStart', port === undefined ? {} : { port });
  const wanted = started.ok ? started.port : (port ?? (await configuredPort()) ?? 1234);
  for (let attempt = 0; started.ok && attempt < 5; attempt++) {
    if (await checkHttpServer(wanted)) {
      log.info(`Success! Server is now running on port ${wanted}`);
      return 0;
    }
    if (attempt < 4) await sleep(1000);
  }
  log.error('Failed to verify the server is running. Please try to use another port.');
  return 1;
}

/** `lms server stop`: needs the config file and a live greeting, else "The server is not running." exit 1. */
export async function serverStop(ctx: Context, args: string[]): Promise<number> {
  parseCommand(args, {});
  const port = await configuredPort();
  if (port === null || !(await checkHttpServer(port))) {
    log.error('The server is not running.');
    return 1;
  }
  await ensureAwake(ctx);
  await rpc('serverStop', {});
  log.info(`Stopped the server on port ${port}.`);
  return 0;
}

/** `lms daemon status [--json]`: never wakes LM Studio. */
export async function daemonStatus(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } });
  if (values.json) {
    const status = ctx.appRunning
      ? { status: 'running', pid: ctx.pid, isDaemon: ctx.headless }
      : { status: 'not-running' };
    printLine(JSON.stringify(status));
  } else if (ctx.appRunning) {
    // `system.getInfo`'s version: the only place a client reads LM Studio's version without waking it (§9).
    printLine(`${ctx.headless ? 'llmster' : 'LM Studio'} v${ctx.lmStudioVersion} is running (PID: ${ctx.pid})`);
  } else {
    printLine('LM Studio is not running');
  }
  return 0;
}

/** `lms version [--json]`: never wakes LM Studio. */
export function version(ctx: Context, args: string[]): number {
  const { values } = parseCommand(args, { json: { type: 'boolean' } });
  const legacy = ctx.generation === '0.3';
  if (values.json) {
    printLine(JSON.stringify({ version: legacy ? LEGACY_CLI_VERSION : CLI_COMMIT }));
  } else if (legacy) {
    printLine(`lms - LM Studio CLI - v${LEGACY_CLI_VERSION}`);
  } else {
    const art = [
      '   __  ___  ______  ______  __   __',
      '  / / / _ \\/ __/ /_/ / _ \\/ /  /_/',
      ' /_/ /_//_/___/\\__/\\_\\___/_/  (_)',
    ];
    for (const [i, line] of art.entries()) printLine(`\x1b[38;5;${33 + i * 6}m${line}\x1b[39m`);
    printLine();
    printLine(`lms - LM Studio CLI - commit ${CLI_COMMIT}`);
    printLine('GitHub: https://github.com/lmstudio-ai/lms');
  }
  return 0;
}

/** `lms -v`. */
export function versionFlag(): number {
  printLine(`CLI commit: ${CLI_COMMIT}`);
  return 0;
}

/** `lms status` (hidden): wakes LM Studio only when its HTTP server is up. */
export async function status(ctx: Context, args: string[]): Promise<number> {
  parseCommand(args, {});
  const port = await configuredPort();
  if (port === null || !(await checkHttpServer(port))) {
    printLine('Server:  OFF \n\n(i) To start the server, run the following command:\n\n    lms server start');
    return 0;
  }
  await ensureAwake(ctx);
  const { models, instances } = await rpc('models', {});
  printLine(`Server: ON (port: ${port})`);
  printLine();
  if (instances.length === 0) {
    printLine('No Models Loaded');
    return 0;
  }
  printLine('Loaded Models');
  for (const instance of instances) {
    const size = models.find((m) => m.key === instance.modelKey)?.sizeBytes ?? 0;
    printLine(`  · ${instance.identifier} - ${formatSizeBytes1000(size)}`);
  }
  return 0;
}
