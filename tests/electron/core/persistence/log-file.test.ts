import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLogFile,
  formatEntry,
  MAX_ENTRY_LINES,
  MAX_LOG_LINE_CHARS,
  redactLogText,
} from '../../../../electron/core/persistence/log-file';
import { CANARY_API_TOKEN, CANARY_WEB_TOKEN } from '../../../robustness/secrets/canaries';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'log-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createLogFile', () => {
  it('writes <configDir>/logs/<process>.log, 0600 in a 0700 folder, one file per process', async () => {
    const desktop = createLogFile({ configDir: dir, process: 'desktop' });
    const web = createLogFile({ configDir: dir, process: 'web' });
    desktop.append('2026-12-02T10:00:00.000Z INFO from the desktop');
    web.append('2026-12-02T10:00:00.000Z INFO from web mode');
    await Promise.all([desktop.flush(), web.flush()]);
    expect(desktop.path).toBe(path.join(dir, 'logs', 'desktop.log'));
    expect(desktop.dir).toBe(path.join(dir, 'logs'));
    expect(await readFile(desktop.path, 'utf8')).toBe('2026-12-02T10:00:00.000Z INFO from the desktop\n');
    expect(await readFile(web.path, 'utf8')).toBe('2026-12-02T10:00:00.000Z INFO from web mode\n');
    if (process.platform !== 'win32') {
      expect((await stat(desktop.dir)).mode & 0o777).toBe(0o700);
      expect((await stat(desktop.path)).mode & 0o777).toBe(0o600);
    }
  });

  it('writes a burst of lines in order, and appends to what an earlier run wrote', async () => {
    const first = createLogFile({ configDir: dir, process: 'web' });
    first.append('line 0');
    await first.flush();
    const second = createLogFile({ configDir: dir, process: 'web' });
    for (let index = 1; index <= 500; index++) second.append(`line ${index}`);
    expect(await second.lastLines(3)).toEqual(['line 498', 'line 499', 'line 500']);
    const lines = (await readFile(second.path, 'utf8')).trimEnd().split('\n');
    expect(lines).toEqual(Array.from({ length: 501 }, (_, index) => `line ${index}`));
  });

  it('rotates past its size into .1 and .2, keeps no more, and reads the last lines across them', async () => {
    const log = createLogFile({ configDir: dir, process: 'desktop', maxBytes: 1000, keep: 2 });
    // 100 lines of 50 bytes: five files' worth, written in several bursts.
    for (let index = 0; index < 100; index++) {
      log.append(`entry ${String(index).padStart(3, '0')} ${'x'.repeat(39)}`);
      if (index % 7 === 0) await log.flush();
    }
    await log.flush();
    expect((await readdir(log.dir)).sort()).toEqual(['desktop.log', 'desktop.log.1', 'desktop.log.2']);
    for (const name of await readdir(log.dir)) {
      expect((await stat(path.join(log.dir, name))).size).toBeLessThanOrEqual(1000);
    }
    // Each file holds at least 1000 bytes less one burst: three of them hold the last 30 lines.
    const last = await log.lastLines(30);
    expect(last.map((line) => line.slice(0, 9))).toEqual(
      Array.from({ length: 30 }, (_, index) => `entry ${String(70 + index).padStart(3, '0')}`),
    );
    // More than the files hold: all there is, oldest first.
    const all = await log.lastLines(1000);
    expect(all.length).toBeLessThan(100);
    expect(all.at(-1)?.startsWith('entry 099')).toBe(true);
  });

  it('never writes a secret it was given, nor tokens, Authorization values or control characters', async () => {
    const log = createLogFile({ configDir: dir, process: 'web' });
    log.addSecret(CANARY_WEB_TOKEN);
    log.append(`INFO Open http://127.0.0.1:5000/?token=${encodeURIComponent(CANARY_WEB_TOKEN)}`);
    log.append(`WARN the page sent ${CANARY_WEB_TOKEN} back`);
    log.append(`DEBUG headers {"Authorization":"Bearer ${CANARY_API_TOKEN}"}`);
    log.append('ERROR forged\u001b[31m red \u0007 line\rwith a carriage return');
    await log.flush();
    const text = await readFile(log.path, 'utf8');
    expect(text).not.toContain(CANARY_WEB_TOKEN);
    expect(text).not.toContain(encodeURIComponent(CANARY_WEB_TOKEN));
    expect(text).not.toContain(CANARY_API_TOKEN);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text.split('\n')).toEqual([
      'INFO Open http://127.0.0.1:5000/?token=(secret)',
      'WARN the page sent (secret) back',
      'DEBUG headers {"Authorization":"(secret)"}',
      'ERROR forged red   line',
      '    with a carriage return',
      '',
    ]);
  });

  it('writes what is still buffered synchronously when the process exits', async () => {
    const log = createLogFile({ configDir: dir, process: 'desktop' });
    log.append('first');
    await log.flush();
    log.append('the last words before process.exit(1)');
    log.flushSync();
    expect(await readFile(log.path, 'utf8')).toBe('first\nthe last words before process.exit(1)\n');
  });

  it('says once, elsewhere, that it cannot write, and the app goes on', async () => {
    const errors: string[] = [];
    // A file where the folder should be: every write fails.
    const blocked = path.join(dir, 'not-a-folder');
    await writeFile(blocked, '');
    const log = createLogFile({ configDir: blocked, process: 'web', onError: (message) => errors.push(message) });
    log.append('one');
    await log.flush();
    log.append('two');
    await log.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Could not write the log file .*web\.log/);
    expect(await log.lastLines(10)).toEqual([]);
  });
});

describe('formatEntry', () => {
  it('indents the lines of a stack trace under the entry and caps long lines and long entries', () => {
    expect(formatEntry('ERROR failed Error: boom\n    at f (a.js:1:1)\n    at g (b.js:2:2)\n')).toBe(
      'ERROR failed Error: boom\n    at f (a.js:1:1)\n    at g (b.js:2:2)\n',
    );
    const long = formatEntry(`INFO ${'y'.repeat(10_000)}`);
    expect(long.length).toBeLessThan(MAX_LOG_LINE_CHARS + 60);
    expect(long).toMatch(/… \(\d+ more characters\)\n$/);
    const many = formatEntry(Array.from({ length: 500 }, (_, index) => `line ${index}`).join('\n'));
    expect(many.split('\n')).toHaveLength(MAX_ENTRY_LINES + 2);
    expect(many).toContain(`(${500 - MAX_ENTRY_LINES} more lines)`);
  });
});

describe('redactLogText', () => {
  it.each([
    ['Authorization: Bearer abc.def', 'Authorization: (secret)'],
    ['authorization=Basic dXNlcjpwYXNz', 'authorization=(secret)'],
    ['sent Bearer abc123 to LM Studio', 'sent Bearer (secret) to LM Studio'],
    ['GET /?token=abc&x=1', 'GET /?token=(secret)&x=1'],
    ['GET /signin?signin=one-time#x', 'GET /signin?signin=(secret)#x'],
    [`token ${CANARY_API_TOKEN} in a message`, 'token (secret) in a message'],
    ['{"apiToken":"hunter2","baseUrl":"x"}', '{"apiToken":"(secret)","baseUrl":"x"}'],
    ['the token is wrong (HTTP 401)', 'the token is wrong (HTTP 401)'],
  ])('%s', (input, expected) => {
    expect(redactLogText(input)).toBe(expected);
  });
});
