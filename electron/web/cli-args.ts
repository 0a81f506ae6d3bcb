/**
 * Web mode's command line (a stable interface: tests and benchmarks depend on it):
 *
 *   npm run web -- [--base-url URL] [--lms PATH] [--port N] [--host 127.0.0.1] [--token T]
 *                  [--config-dir DIR] [--no-open]
 *
 * Parsing is pure (argv and environment in, options or a message out) so every rule is tested
 * without starting anything.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseBaseUrl } from '../shared/lmstudio-address';
import { isLoopbackHost } from './auth';

export const USAGE = `Usage: npm run web -- [options]

Serves the LM Studio Tray popup to your browser and prints the address to open.

Options:
  --base-url URL     LM Studio's address for this run (default: the port LM Studio last used,
                     else http://127.0.0.1:1234)
  --lms PATH         the lms executable for this run (default: found as the desktop app finds it)
  --port N           port to serve on (default: 0, the system picks a free one)
  --host ADDRESS     address to listen on (default: 127.0.0.1; anything else exposes the page
                     to other machines, guarded only by the token)
  --token T          access token (default: $LMSTUDIO_TRAY_TOKEN, else a random one; prefer the
                     environment variable, since other users can see a command line in ps)
  --config-dir DIR   folder of settings.json (default: the user's config folder)
  --no-open          do not open the browser
  -h, --help         show this help

--base-url and --lms apply to this run only; they are not saved in settings.
`;

export interface WebCliOptions {
  /** Overrides for this run only, never saved. */
  baseUrl: string | null;
  lmsPath: string | null;
  port: number;
  host: string;
  token: string;
  configDir: string | null;
  open: boolean;
}

export type WebCliParse =
  | { kind: 'run'; options: WebCliOptions; warnings: string[] }
  | { kind: 'help' }
  /** A bad flag or value: print the message and exit with code 2. */
  | { kind: 'error'; message: string };

/** The environment variable a token may come from (a command line is visible to other users in `ps`). */
export const TOKEN_ENV = 'LMSTUDIO_TRAY_TOKEN';
/** Shorter tokens are accepted (a test may pick one) but can be guessed: the user is warned. */
const MIN_SAFE_TOKEN_LENGTH = 16;

/** Parses the flags after `npm run web --`; `cwd` resolves relative paths. */
export function parseWebCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): WebCliParse {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'base-url': { type: 'string' },
        lms: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        'config-dir': { type: 'string' },
        'no-open': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { kind: 'error', message: describeParseError(error) };
  }
  if (values.help) return { kind: 'help' };

  const warnings: string[] = [];
  const text = (name: string) => values[name] as string | undefined;

  const baseUrlFlag = text('base-url');
  let baseUrl: string | null = null;
  if (baseUrlFlag !== undefined) {
    if (!/^https?:\/\//i.test(baseUrlFlag.trim())) {
      return { kind: 'error', message: '--base-url must be an http(s) URL such as http://127.0.0.1:1234.' };
    }
    // The rule settings.json and the settings view follow too. Its messages never repeat the
    // address, which may hold a password.
    const parsed = parseBaseUrl(baseUrlFlag);
    if (!parsed.ok) return { kind: 'error', message: `--base-url: ${parsed.message}` };
    baseUrl = baseUrlFlag.trim();
  }

  const lmsFlag = text('lms');
  let lmsPath: string | null = null;
  if (lmsFlag !== undefined) {
    if (lmsFlag.trim() === '' || hasControlCharacters(lmsFlag))
      return { kind: 'error', message: '--lms needs the path of the lms executable.' };
    lmsPath = path.resolve(cwd, lmsFlag);
  }

  const portFlag = text('port');
  let port = 0;
  if (portFlag !== undefined) {
    if (!/^\d{1,5}$/.test(portFlag) || Number(portFlag) > 65_535) {
      return {
        kind: 'error',
        message: `--port must be a number from 0 to 65535 (0 lets the system pick); got "${portFlag}".`,
      };
    }
    port = Number(portFlag);
  }

  const hostFlag = text('host');
  let host = '127.0.0.1';
  if (hostFlag !== undefined) {
    host = hostFlag.trim().replace(/^\[(.*)\]$/, '$1');
    if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host)) {
      return {
        kind: 'error',
        message: `--host must be an IP address or host name such as 127.0.0.1; got "${hostFlag}".`,
      };
    }
    if (!isLoopbackHost(host)) {
      warnings.push(
        `Listening on ${host}: other machines that can reach this address can open the page; only the token protects it. Use --host 127.0.0.1 to keep it on this computer.`,
      );
    }
  }

  const tokenFlag = text('token');
  const envToken = env[TOKEN_ENV];
  let token: string;
  if (tokenFlag !== undefined || (envToken !== undefined && envToken !== '')) {
    const source = tokenFlag !== undefined ? '--token' : TOKEN_ENV;
    token = (tokenFlag ?? envToken) as string;
    if (!/^[\x21-\x7e]{1,512}$/.test(token)) {
      return { kind: 'error', message: `${source} must be 1 to 512 printable characters without spaces.` };
    }
    if (token.length < MIN_SAFE_TOKEN_LENGTH) {
      warnings.push(
        `The token from ${source} is short (${token.length} characters); a random one is used when none is given.`,
      );
    }
  } else {
    token = randomBytes(24).toString('base64url');
  }

  const configDirFlag = text('config-dir');
  if (configDirFlag !== undefined && (configDirFlag.trim() === '' || hasControlCharacters(configDirFlag))) {
    return { kind: 'error', message: '--config-dir needs a folder.' };
  }

  return {
    kind: 'run',
    options: {
      baseUrl,
      lmsPath,
      port,
      host,
      token,
      configDir: configDirFlag === undefined ? null : path.resolve(cwd, configDirFlag),
      open: !values['no-open'],
    },
    warnings,
  };
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message ?? '')?.[1] ?? 'given';
    return `Unknown option ${option}. Run with --help to see the options.`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /'([^']+)'/.exec(message ?? '')?.[1];
    return `Unexpected argument${argument ? ` "${argument}"` : ''}: every option starts with --. Run with --help to see them.`;
  }
  // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: a missing value, or a value given to --no-open.
  return `${message ?? String(error)} Run with --help to see the options.`;
}

function hasControlCharacters(value: string): boolean {
  return /[\x00-\x1f\x7f]/.test(value);
}
