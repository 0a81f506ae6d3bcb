import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLmStudioHome, readLastServerConfig } from '../../../../electron/core/lmstudio/home';
import { nodeFileSystem as realFs } from '../../../../electron/core/node-ports';
import type { Environment } from '../../../../electron/core/ports';

let home: string;
let environment: Environment;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'lms-home-'));
  environment = { platform: 'linux', homedir: home, env: {} };
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('findLmStudioHome', () => {
  it('defaults to ~/.lmstudio when nothing exists', async () => {
    expect(await findLmStudioHome(environment, realFs)).toBe(path.join(home, '.lmstudio'));
  });

  it('uses ~/.cache/lm-studio when it exists (older installs), without writing the pointer file', async () => {
    await mkdir(path.join(home, '.cache', 'lm-studio'), { recursive: true });
    expect(await findLmStudioHome(environment, realFs)).toBe(path.join(home, '.cache', 'lm-studio'));
    expect(await realFs.exists(path.join(home, '.lmstudio-home-pointer'))).toBe(false);
  });

  it('follows ~/.lmstudio-home-pointer first, trimmed', async () => {
    await mkdir(path.join(home, '.cache', 'lm-studio'), { recursive: true });
    await writeFile(path.join(home, '.lmstudio-home-pointer'), '  /data/lmstudio\n');
    expect(await findLmStudioHome(environment, realFs)).toBe('/data/lmstudio');
  });

  it('ignores an empty pointer file', async () => {
    await writeFile(path.join(home, '.lmstudio-home-pointer'), '\n');
    expect(await findLmStudioHome(environment, realFs)).toBe(path.join(home, '.lmstudio'));
  });

  it('builds Windows paths on win32', async () => {
    const windows: Environment = { platform: 'win32', homedir: 'C:\\Users\\ada', env: {} };
    const noFiles = { ...realFs, exists: async () => false, readFile: async () => Promise.reject(new Error('ENOENT')) };
    expect(await findLmStudioHome(windows, noFiles)).toBe('C:\\Users\\ada\\.lmstudio');
  });
});

describe('readLastServerConfig', () => {
  const write = async (content: string) => {
    await mkdir(path.join(home, '.internal'), { recursive: true });
    await writeFile(path.join(home, '.internal', 'http-server-config.json'), content);
  };

  it('reads the last port and network interface', async () => {
    await write('{"port":4321,"networkInterface":"0.0.0.0"}');
    expect(await readLastServerConfig(home, realFs)).toEqual({ port: 4321, networkInterface: '0.0.0.0' });
  });

  it('tolerates a missing interface and extra fields', async () => {
    await write('{"port":1234,"cors":true}');
    expect(await readLastServerConfig(home, realFs)).toEqual({ port: 1234, networkInterface: null });
  });

  it('gives null for a missing file, bad JSON or a bad port', async () => {
    expect(await readLastServerConfig(home, realFs)).toBeNull();
    await write('{"port":');
    expect(await readLastServerConfig(home, realFs)).toBeNull();
    await write('{"port":"1234"}');
    expect(await readLastServerConfig(home, realFs)).toBeNull();
    await write('{"port":70000}');
    expect(await readLastServerConfig(home, realFs)).toBeNull();
  });
});
