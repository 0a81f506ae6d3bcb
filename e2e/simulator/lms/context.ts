/** What every fake `lms` command knows: the simulated LM Studio's generation and home, and how to wake it. */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CONTROL_ENV } from '../control-protocol';
import type { SimGeneration, SimLogStreamBuild } from '../types';
import { exit, log } from './output';
import { ControlLostError, rpc } from './rpc';

export interface Context {
  generation: SimGeneration;
  appRunning: boolean;
  /** The simulator's pid, as `lms daemon status` reports LM Studio's. */
  pid: number;
  /** false: an lms from before LM Studio 0.3.27, without `load --estimate-only`. */
  estimateOnlySupported: boolean;
  /** Which `lms log stream` this lms is. */
  logStreamBuild: SimLogStreamBuild;
  /** LM Studio's version (`system.getInfo`), for `daemon status`. */
  lmStudioVersion: string;
  /** The headless daemon (llmster) runs rather than the app. */
  headless: boolean;
}

/**
 * The waking commands' first step: "If LM Studio isn't already running ... it will start
 * automatically." When it cannot start (a full disk), lms gives up with its own error, exit 1.
 */
export async function ensureAwake(ctx: Context): Promise<void> {
  if (ctx.appRunning) return;
  log.info('Waking up LM Studio service...');
  try {
    await rpc('wake', { argv: process.argv.slice(2) });
  } catch (error) {
    if (error instanceof ControlLostError) throw error;
    log.error('Failed to start or connect to local LM Studio API server.');
    exit(1);
  }
  ctx.appRunning = true;
}

/** `<home>/.internal/http-server-config.json`'s port, or null when LM Studio never started its server. */
export async function configuredPort(): Promise<number | null> {
  const home = process.env[CONTROL_ENV.home] ?? '';
  try {
    const config = JSON.parse(await readFile(join(home, '.internal', 'http-server-config.json'), 'utf8')) as {
      port?: unknown;
    };
    return typeof config.port === 'number' ? config.port : null;
  } catch {
    return null;
  }
}

/** `checkHttpServer`: `GET /lmstudio-greeting` on a fresh connection, 500 ms, must say `{"lmstudio":true}`. */
export function checkHttpServer(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/lmstudio-greeting', agent: false, timeout: 500 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => resolve(false));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(false);
        try {
          resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { lmstudio?: unknown }).lmstudio === true);
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** The hidden flags most commands take; accepted and, here, ignored. */
const GLOBAL_OPTIONS = {
  'log-level': { type: 'string' },
  quiet: { type: 'boolean' },
  verbose: { type: 'boolean' },
  host: { type: 'string' },
} as const;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parses a command's arguments like commander would, failing with its message and exit code 1. */
export function parseCommand<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    process.stderr.write(unknown ? `error: unknown option '${unknown[1]}'\n` : `error: ${message}\n`);
    return exit(1);
  }
}
