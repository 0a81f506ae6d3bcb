/**
 * The built main bundle loads under Node with every import resolved (its npm dependencies from
 * node_modules, Electron's named exports) and runs the shell's pre-`ready` steps. `electron` is
 * a stub (fixtures/electron-stub.mjs): the real module would try to download the binary.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildElectron, PROJECT_ROOT } from '../../scripts/build';

let home: string;
/**
 * Its own build, inside the project (git-ignored `.build-tmp-*`) so the bundle finds
 * node_modules as the packaged app does, and apart from dist-electron, which the packaging
 * test may be packing at this very moment.
 */
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(path.join(PROJECT_ROOT, '.build-tmp-main-bundle-test-'));
  await buildElectron(PROJECT_ROOT, outDir);
  home = await mkdtemp(path.join(os.tmpdir(), 'main-bundle-'));
}, 120_000);
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
});

describe('the built main bundle (dist-electron/main/main.js)', () => {
  it('loads, sets the name and settings folder, and a second instance quits', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        path.join(import.meta.dirname, 'fixtures', 'electron-loader.mjs'),
        path.join(outDir, 'main', 'main.js'),
      ],
      {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') },
        timeout: 60_000,
      },
    );
    expect(stderr).toBe('');
    const calls = JSON.parse(stdout.trim().split('\n').at(-1)!) as unknown[][];
    const settingsDir = process.platform === 'linux' ? path.join(home, '.config', 'lmstudio-tray') : expect.any(String);
    expect(calls).toEqual([
      ['app.setName', 'LM Studio Tray'],
      ['app.setPath', 'userData', settingsDir],
      ['app.setPath', 'sessionData', expect.stringMatching(/electron$/)],
      ['app.quit'],
    ]);
  });
});
