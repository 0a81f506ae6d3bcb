/**
 * The fake `lms`: LM Studio's CLI as the tray meets it (lmstudio-protocol.md §3), byte for byte
 * where the protocol quotes bytes. Bundled by ../bundle.ts and run through `bin/lms`; it acts on
 * the simulator that installed it through the control server.
 */
import { connect } from 'node:net';
import { CONTROL_ENV } from '../control-protocol';
import type { Context } from './context';
import { get } from './get';
import { ls, ps } from './listing';
import { load } from './load';
import { logStream } from './log';
import { Exit, log } from './output';
import { ControlLostError, rpc } from './rpc';
import { survey } from './runtime';
import { daemonStatus, serverStart, serverStatus, serverStop, status, version, versionFlag } from './server';
import { unload } from './unload';

const USAGE = `Usage: lms [options] [command]

LM Studio CLI

Commands:
  status          Prints the status of LM Studio
  server          Commands for managing the local server
  ls              List all downloaded models
  ps              List all loaded models
  get             Search and download models
  load            Load a model
  unload          Unload a model
  daemon          Commands for managing the LM Studio daemon
  log             Log incoming and outgoing messages
  runtime         Manage runtime engines
  version         Prints the version of the CLI
`;

async function run(argv: string[]): Promise<number> {
  const hello = await rpc('hello', { argv });
  if (hello.hang) return hangUntilKilled();
  const ctx: Context = {
    generation: hello.generation,
    appRunning: hello.appRunning,
    pid: hello.pid,
    estimateOnlySupported: hello.estimateOnlySupported,
    logStreamBuild: hello.logStreamBuild,
    lmStudioVersion: hello.lmStudioVersion,
    headless: hello.headless,
  };
  const [command, ...rest] = argv;
  const sub = rest[0];
  switch (command) {
    case '-v':
    case '--version':
      return versionFlag();
    case 'version':
      return version(ctx, rest);
    case 'server':
      if (sub === 'status') return serverStatus(rest.slice(1));
      if (sub === 'start') return serverStart(ctx, rest.slice(1));
      if (sub === 'stop') return serverStop(ctx, rest.slice(1));
      break;
    case 'daemon':
      if (sub === 'status') return daemonStatus(ctx, rest.slice(1));
      break;
    case 'status':
      return status(ctx, rest);
    case 'ls':
      return ls(ctx, rest);
    case 'ps':
      return ps(ctx, rest);
    case 'load':
      return load(ctx, rest);
    case 'unload':
      return unload(ctx, rest);
    case 'get':
      return get(ctx, rest);
    case 'runtime':
      if (sub === 'survey') return survey(ctx, rest.slice(1));
      break;
    case 'log':
      if (sub === 'stream') return logStream(ctx, rest.slice(1));
      break;
    case undefined:
      process.stderr.write(USAGE);
      return 1;
  }
  process.stderr.write(`error: unknown command '${[command, sub].filter(Boolean).join(' ')}'\n`);
  return 1;
}

/** `lmsHangs`: do nothing until killed, but never outlive the simulator (its control port closing). */
function hangUntilKilled(): Promise<number> {
  const url = new URL(process.env[CONTROL_ENV.url] ?? 'http://127.0.0.1:0');
  return new Promise((resolve) => {
    setInterval(() => {
      const socket = connect(Number(url.port), url.hostname);
      socket.on('connect', () => socket.destroy());
      socket.on('error', () => resolve(1));
    }, 500);
  });
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof Exit) process.exit(error.code);
    if (error instanceof ControlLostError) {
      log.error('Failed to connect to LM Studio: the connection was lost.');
      process.exit(1);
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
