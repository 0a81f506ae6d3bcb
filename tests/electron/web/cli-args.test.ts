import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWebCliArgs, TOKEN_ENV, type WebCliOptions } from '../../../electron/web/cli-args';

const CWD = path.resolve('/home/user/project');

function run(argv: string[], env: Record<string, string | undefined> = {}): WebCliOptions {
  const parsed = parseWebCliArgs(argv, env, CWD);
  if (parsed.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function errorOf(argv: string[], env: Record<string, string | undefined> = {}): string {
  const parsed = parseWebCliArgs(argv, env, CWD);
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

describe('parseWebCliArgs', () => {
  it('defaults to 127.0.0.1, a port the system picks, a random token and opening the browser', () => {
    const options = run([]);
    expect(options).toMatchObject({
      baseUrl: null,
      lmsPath: null,
      port: 0,
      host: '127.0.0.1',
      configDir: null,
      open: true,
    });
    expect(options.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(run([]).token).not.toBe(options.token);
  });

  it('reads every flag of the stable command line', () => {
    const parsed = parseWebCliArgs(
      [
        '--base-url',
        'http://192.168.1.5:4321',
        '--lms',
        'bin/lms',
        '--port',
        '8123',
        '--host',
        '127.0.0.1',
        '--token',
        'abcdefghijklmnopqrstuvwxyz',
        '--config-dir',
        'cfg',
        '--no-open',
      ],
      {},
      CWD,
    );
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        baseUrl: 'http://192.168.1.5:4321',
        lmsPath: path.join(CWD, 'bin/lms'),
        port: 8123,
        host: '127.0.0.1',
        token: 'abcdefghijklmnopqrstuvwxyz',
        configDir: path.join(CWD, 'cfg'),
        open: false,
      },
      warnings: [],
    });
  });

  it('accepts --flag=value too', () => {
    expect(run(['--port=0', '--base-url=http://127.0.0.1:1234/v1'])).toMatchObject({
      port: 0,
      baseUrl: 'http://127.0.0.1:1234/v1',
    });
  });

  it(`takes the token from ${TOKEN_ENV} when no --token is given, and prefers --token`, () => {
    const fromEnv = 'from-the-environment-0123456789';
    expect(run([], { [TOKEN_ENV]: fromEnv }).token).toBe(fromEnv);
    expect(run(['--token', 'from-the-flag-0123456789'], { [TOKEN_ENV]: fromEnv }).token).toBe(
      'from-the-flag-0123456789',
    );
    // An empty variable is as good as none.
    expect(run([], { [TOKEN_ENV]: '' }).token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('warns about a short token but accepts it', () => {
    const parsed = parseWebCliArgs(['--token', 'short'], {}, CWD);
    expect(parsed).toMatchObject({ kind: 'run', options: { token: 'short' } });
    expect(parsed.kind === 'run' && parsed.warnings.join(' ')).toContain('short');
  });

  it('warns when binding to an address other machines can reach', () => {
    for (const host of ['0.0.0.0', '192.168.1.5', '::']) {
      const parsed = parseWebCliArgs(['--host', host], {}, CWD);
      expect(parsed.kind === 'run' && parsed.warnings.join(' '), host).toContain('other machines');
    }
    for (const host of ['127.0.0.1', '::1', '[::1]', 'localhost', '127.0.0.2']) {
      const parsed = parseWebCliArgs(['--host', host], {}, CWD);
      expect(parsed, host).toMatchObject({ kind: 'run', warnings: [] });
    }
    expect(run(['--host', '[::1]']).host).toBe('::1');
  });

  it('shows help for --help and -h', () => {
    expect(parseWebCliArgs(['--help'], {}, CWD)).toEqual({ kind: 'help' });
    expect(parseWebCliArgs(['-h'], {}, CWD)).toEqual({ kind: 'help' });
  });

  it.each([
    [['--open'], 'Unknown option --open'],
    [['--prot', '80'], 'Unknown option --prot'],
    [['serve'], 'Unexpected argument "serve"'],
    [['--port'], '--port'],
    [['--port', 'eighty'], '--port must be a number from 0 to 65535'],
    [['--port', '65536'], '--port must be a number from 0 to 65535'],
    [['--port', '-1'], '--port'],
    [['--port', '1.5'], '--port must be a number'],
    [['--base-url', 'localhost:1234'], '--base-url must be an http(s) URL'],
    [['--base-url', 'ftp://127.0.0.1'], '--base-url must be an http(s) URL'],
    [['--base-url', 'javascript:alert(1)'], '--base-url must be an http(s) URL'],
    [['--base-url', 'http://127.0.0.1:0'], '--base-url: The LM Studio address has port 0'],
    [['--base-url', 'http://127.0.0.1:70000'], '--base-url: The LM Studio address has port 70000'],
    [['--base-url', 'http://127.0.0.1:1234/proxy'], '--base-url: The LM Studio address is the server itself'],
    [['--host', 'evil host'], '--host must be an IP address or host name'],
    [['--host', ''], '--host must be'],
    [['--token', 'has space'], '--token must be 1 to 512 printable characters'],
    [['--token', ''], '--token must be'],
    [['--lms', ''], '--lms needs the path'],
    [['--config-dir', ' '], '--config-dir needs a folder'],
    [['--no-open=yes'], '--no-open'],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(errorOf(argv)).toContain(message);
  });

  it('refuses a --base-url with a password without repeating the password', () => {
    const message = errorOf(['--base-url', 'http://ada:hunter2@127.0.0.1:1234']);
    expect(message).toContain('must not contain a user name or password');
    expect(message).not.toContain('hunter2');
  });

  it(`refuses a ${TOKEN_ENV} with spaces, naming the variable`, () => {
    expect(errorOf([], { [TOKEN_ENV]: 'a b' })).toContain(TOKEN_ENV);
  });
});
