import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  discoverLms,
  lmsNotFoundMessage,
  lmsRefusalMessages,
} from '../../../../../electron/core/lmstudio/lms/discover';
import { nodeFileSystem as realFs } from '../../../../../electron/core/node-ports';
import type { Environment } from '../../../../../electron/core/ports';

let home: string;
let environment: Environment;
const nowhere = async () => null;

async function installLms(file: string, executable = true): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '#!/bin/sh\necho lms\n');
  await chmod(file, executable ? 0o755 : 0o644);
  return file;
}

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'lms-discover-'));
  // No PATH at all, as for an app started from the macOS Finder.
  environment = { platform: 'linux', homedir: home, env: {} };
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('discoverLms', () => {
  it('prefers the configured path when it is executable', async () => {
    const configured = await installLms(path.join(home, 'custom', 'lms'));
    const onPath = await installLms(path.join(home, 'usr', 'bin', 'lms'));
    await installLms(path.join(home, '.lmstudio', 'bin', 'lms'));
    const found = await discoverLms({
      configuredPath: configured,
      environment,
      fs: realFs,
      which: async () => onPath,
    });
    expect(found).toEqual({ path: configured, searched: [configured] });
  });

  it('skips a configured path that is not executable, and says it looked there and why it was not used', async () => {
    const configured = await installLms(path.join(home, 'custom', 'lms'), false);
    const onPath = await installLms(path.join(home, 'usr', 'bin', 'lms'));
    const found = await discoverLms({
      configuredPath: configured,
      environment,
      fs: realFs,
      which: async () => onPath,
    });
    expect(found).toEqual({
      path: onPath,
      searched: [configured, 'PATH'],
      refused: [{ path: configured, reason: 'is not executable (chmod +x would make it so)', configured: true }],
    });
    expect(lmsRefusalMessages(found)).toEqual([
      `The lms path in Settings (${configured}) is not executable (chmod +x would make it so), so it is not used. Using ${onPath} instead.`,
    ]);
  });

  it('uses PATH next', async () => {
    await installLms(path.join(home, '.lmstudio', 'bin', 'lms'));
    const onPath = await installLms(path.join(home, 'opt', 'bin', 'lms'));
    const found = await discoverLms({
      configuredPath: null,
      environment,
      fs: realFs,
      which: async () => onPath,
    });
    expect(found.path).toBe(onPath);
  });

  it('finds ~/.lmstudio/bin/lms without PATH (apps started from the Finder)', async () => {
    const installed = await installLms(path.join(home, '.lmstudio', 'bin', 'lms'));
    const found = await discoverLms({ configuredPath: null, environment, fs: realFs, which: nowhere });
    expect(found).toEqual({ path: installed, searched: ['PATH', installed] });
  });

  it('finds ~/.cache/lm-studio/bin/lms on older installs', async () => {
    const installed = await installLms(path.join(home, '.cache', 'lm-studio', 'bin', 'lms'));
    const found = await discoverLms({ configuredPath: null, environment, fs: realFs, which: nowhere });
    expect(found).toEqual({ path: installed, searched: ['PATH', installed] });
  });

  it('follows the home pointer file first', async () => {
    const pointed = path.join(home, 'elsewhere');
    await writeFile(path.join(home, '.lmstudio-home-pointer'), `${pointed}\n`);
    const installed = await installLms(path.join(pointed, 'bin', 'lms'));
    await installLms(path.join(home, '.lmstudio', 'bin', 'lms'));
    const found = await discoverLms({ configuredPath: null, environment, fs: realFs, which: nowhere });
    expect(found).toEqual({ path: installed, searched: ['PATH', installed] });
  });

  it('falls back to the other install folders when the home has no lms', async () => {
    const pointed = path.join(home, 'elsewhere');
    await writeFile(path.join(home, '.lmstudio-home-pointer'), pointed);
    const installed = await installLms(path.join(home, '.lmstudio', 'bin', 'lms'));
    const found = await discoverLms({ configuredPath: null, environment, fs: realFs, which: nowhere });
    expect(found).toEqual({ path: installed, searched: ['PATH', path.join(pointed, 'bin', 'lms'), installed] });
  });

  it('treats a failing `which` as not found', async () => {
    const installed = await installLms(path.join(home, '.lmstudio', 'bin', 'lms'));
    const which = async () => Promise.reject(new Error('boom'));
    expect((await discoverLms({ configuredPath: null, environment, fs: realFs, which })).path).toBe(installed);
  });

  it('lists every place looked when nothing is found', async () => {
    const found = await discoverLms({ configuredPath: '/nope/lms', environment, fs: realFs, which: nowhere });
    expect(found).toEqual({
      path: null,
      refused: [{ path: '/nope/lms', reason: 'does not exist', configured: true }],
      searched: [
        '/nope/lms',
        'PATH',
        path.join(home, '.lmstudio', 'bin', 'lms'),
        path.join(home, '.cache', 'lm-studio', 'bin', 'lms'),
      ],
    });
    expect(lmsNotFoundMessage(found)).toBe(
      'The lms path in Settings (/nope/lms) does not exist, so it is not used. ' +
        `No other \`lms\` was found (looked in: PATH, ${home}/.lmstudio/bin/lms, ${home}/.cache/lm-studio/bin/lms). ` +
        'Install LM Studio from https://lmstudio.ai/download, open it once, or set the path in Settings.',
    );
  });

  it('names at most three places, so the message stays a line', () => {
    const searched = ['PATH', '/a/lms', '/b/lms', '/c/lms', '/d/lms'];
    expect(lmsNotFoundMessage({ path: null, searched })).toBe(
      "LM Studio's `lms` command was not found (looked in: PATH, /a/lms, /b/lms and 2 more). " +
        'Install LM Studio from https://lmstudio.ai/download, open it once, or set the path in Settings.',
    );
  });

  it('looks for lms.exe under %USERPROFILE% on Windows', async () => {
    const windows: Environment = { platform: 'win32', homedir: 'C:\\Users\\ada', env: {} };
    const looked: string[] = [];
    const fs = {
      ...realFs,
      exists: async () => false,
      readFile: async () => Promise.reject(new Error('ENOENT')),
      isExecutable: async (file: string) => {
        looked.push(file);
        return file === 'C:\\Users\\ada\\.cache\\lm-studio\\bin\\lms.exe';
      },
    };
    const found = await discoverLms({ configuredPath: null, environment: windows, fs, which: nowhere });
    expect(found.path).toBe('C:\\Users\\ada\\.cache\\lm-studio\\bin\\lms.exe');
    expect(looked).toEqual([
      'C:\\Users\\ada\\.lmstudio\\bin\\lms.exe',
      'C:\\Users\\ada\\.cache\\lm-studio\\bin\\lms.exe',
    ]);
  });
});
