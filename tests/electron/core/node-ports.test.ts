import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createConsoleLogger,
  createNodePorts,
  defaultConfigDir,
  logLevelFrom,
  nodeFileSystem,
  writeFileAtomic,
} from '../../../electron/core/node-ports';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'node-ports-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'settings.json');
    await writeFile(file, 'old');
    await writeFileAtomic(file, '{"new":true}');
    expect(await readFile(file, 'utf8')).toBe('{"new":true}');
    expect(await readdir(dir)).toEqual(['settings.json']);
  });

  it('leaves the old file intact and cleans up when the write cannot finish', async () => {
    const file = path.join(dir, 'missing-folder', 'settings.json');
    await expect(writeFileAtomic(file, 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('nodeFileSystem', () => {
  it('tells files, executables and folders apart', async () => {
    const plain = path.join(dir, 'plain.txt');
    const tool = path.join(dir, 'tool');
    await writeFile(plain, 'x', { mode: 0o644 });
    await writeFile(tool, '#!/bin/sh\n', { mode: 0o755 });
    expect(await nodeFileSystem.exists(plain)).toBe(true);
    expect(await nodeFileSystem.exists(path.join(dir, 'nope'))).toBe(false);
    expect(await nodeFileSystem.isExecutable(tool)).toBe(true);
    if (process.platform !== 'win32') expect(await nodeFileSystem.isExecutable(plain)).toBe(false);
    expect(await nodeFileSystem.isExecutable(dir)).toBe(false);
    await nodeFileSystem.mkdir(path.join(dir, 'a', 'b'));
    expect(await nodeFileSystem.exists(path.join(dir, 'a', 'b'))).toBe(true);
  });
});

describe('createNodePorts', () => {
  it('finds executables on PATH and answers null for missing ones', async () => {
    const ports = createNodePorts({ logLevel: 'silent' });
    expect(await ports.which('node')).toMatch(/node(\.exe)?$/);
    expect(await ports.which('definitely-not-a-real-command-xyz')).toBeNull();
  });

  it('spawns with an argument array and never through a shell', async () => {
    const ports = createNodePorts({ logLevel: 'silent' });
    const child = ports.spawn(process.execPath, ['-e', 'process.stdout.write(process.argv[1])', '$(echo hi); `x`'], {
      shell: true,
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await new Promise((resolve) => child.on('close', resolve));
    expect(out).toBe('$(echo hi); `x`');
  });
});

describe('createNodePorts with a log file', () => {
  it('logs to <configDir>/logs/<process>.log as well, info and above even with the console silent, its secrets never', async () => {
    const ports = createNodePorts({
      logLevel: 'silent',
      logFile: { configDir: dir, process: 'web', secrets: ['web-token-never-written'] },
    });
    ports.logger.debug('not asked for');
    ports.logger.info('LM Studio is online');
    ports.logger.warn('the page sent web-token-never-written back');
    await ports.logFile?.flush();
    expect(ports.logFile?.path).toBe(path.join(dir, 'logs', 'web.log'));
    const lines = (await readFile(path.join(dir, 'logs', 'web.log'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO LM Studio is online$/);
    expect(lines[1]).toMatch(/WARN the page sent \(secret\) back$/);
  });

  it('has no log file unless asked', () => {
    expect(createNodePorts({ logLevel: 'silent' }).logFile).toBeUndefined();
  });
});

describe('logger', () => {
  it('filters below its level and formats errors', () => {
    const lines: string[] = [];
    const logger = createConsoleLogger('warn', (line) => lines.push(line));
    logger.info('hidden');
    logger.warn('shown', { a: 1 });
    logger.error('boom', new Error('bad'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/WARN shown \{"a":1\}\n$/);
    expect(lines[1]).toContain('ERROR boom Error: bad');
    expect(logLevelFrom({ LMSTUDIO_TRAY_LOG: 'DEBUG' })).toBe('debug');
    expect(logLevelFrom({ LMSTUDIO_TRAY_LOG: 'loud' })).toBe('info');
  });
});

describe('defaultConfigDir', () => {
  it.each([
    [{ platform: 'linux', homedir: '/home/ann', env: {} }, '/home/ann/.config/lmstudio-tray'],
    [{ platform: 'linux', homedir: '/home/ann', env: { XDG_CONFIG_HOME: '/xdg' } }, '/xdg/lmstudio-tray'],
    [
      { platform: 'linux', homedir: '/home/ann', env: { XDG_CONFIG_HOME: 'relative' } },
      '/home/ann/.config/lmstudio-tray',
    ],
    [{ platform: 'darwin', homedir: '/Users/ann', env: {} }, '/Users/ann/Library/Application Support/LM Studio Tray'],
    [
      { platform: 'win32', homedir: 'C:\\Users\\ann', env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' } },
      'C:\\Users\\ann\\AppData\\Roaming\\LM Studio Tray',
    ],
    [{ platform: 'win32', homedir: 'C:\\Users\\ann', env: {} }, 'C:\\Users\\ann\\AppData\\Roaming\\LM Studio Tray'],
  ] as const)('%o -> %s', (environment, expected) => {
    expect(defaultConfigDir(environment)).toBe(expected);
  });
});
