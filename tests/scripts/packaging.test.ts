/**
 * Proves `electron-builder.yml` packages what the app needs and nothing else, and burns the
 * fuses in. The Electron binary cannot be downloaded here, so electron-builder gets a stub
 * `electronDist`: a folder whose `electron` file carries Electron's fuse wire (the sentinel
 * string, wire version 1, the wire length, then one byte per fuse) exactly where
 * @electron/fuses looks for it. electron-builder flips the fuses in the copy it packages, and
 * the test reads them back with @electron/fuses itself.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as asar from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll, PROJECT_ROOT } from '../../scripts/build';

const TIMEOUT_MS = 240_000;
const require = createRequire(import.meta.url);

/** The sentinel @electron/fuses searches the binary for (node_modules/@electron/fuses/dist/constants.js). */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** A fuse's byte on the wire: ASCII '1' and '0' (@electron/fuses' FuseState, which it does not export). */
const FuseState = { ENABLE: 0x31, DISABLE: 0x30 } as const;
/** Electron's defaults, in wire order: the packaging must change every one we care about. */
const STOCK_WIRE = [
  FuseState.ENABLE, // RunAsNode
  FuseState.DISABLE, // EnableCookieEncryption
  FuseState.ENABLE, // EnableNodeOptionsEnvironmentVariable
  FuseState.ENABLE, // EnableNodeCliInspectArguments
  FuseState.DISABLE, // EnableEmbeddedAsarIntegrityValidation
  FuseState.DISABLE, // OnlyLoadAppFromAsar
  FuseState.DISABLE, // LoadBrowserProcessSpecificV8Snapshot
  FuseState.ENABLE, // GrantFileProtocolExtraPrivileges
];

const EXPECTED_FUSES: Record<keyof typeof FuseV1Options & string, boolean> = {
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  LoadBrowserProcessSpecificV8Snapshot: false,
  GrantFileProtocolExtraPrivileges: false,
};

let work: string;
let appOutDir: string;
let asarFiles: string[];

async function makeStubElectronDist(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'resources'), { recursive: true });
  await mkdir(path.join(dir, 'locales'), { recursive: true });
  await writeFile(path.join(dir, 'locales', 'en-US.pak'), '');
  const binary = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stub Electron for packaging tests"\n'),
    Buffer.alloc(256),
    Buffer.from(FUSE_SENTINEL, 'ascii'),
    Buffer.from([1, STOCK_WIRE.length, ...STOCK_WIRE]),
    Buffer.alloc(256),
  ]);
  await writeFile(path.join(dir, 'electron'), binary);
  await chmod(path.join(dir, 'electron'), 0o755);
}

beforeAll(async () => {
  await buildAll(PROJECT_ROOT);
  work = await mkdtemp(path.join(os.tmpdir(), 'lmstudio-tray-packaging-'));
  const electronDist = path.join(work, 'electron-dist');
  await makeStubElectronDist(electronDist);
  const output = path.join(work, 'release');
  await promisify(execFile)(
    process.execPath,
    [
      require.resolve('electron-builder/cli.js'),
      '--dir',
      '--linux',
      '--x64',
      '--publish',
      'never',
      `-c.electronDist=${electronDist}`,
      `-c.directories.output=${output}`,
    ],
    { cwd: PROJECT_ROOT, env: { ...process.env, CI: '1' }, maxBuffer: 16 * 1024 * 1024, timeout: TIMEOUT_MS - 30_000 },
  );
  appOutDir = path.join(output, 'linux-unpacked');
  asarFiles = asar.listPackage(path.join(appOutDir, 'resources', 'app.asar'), { isPack: false });
}, TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('electron-builder --dir', () => {
  it('burns every fuse from electron-builder.yml into the executable', async () => {
    const wire = await getCurrentFuseWire(path.join(appOutDir, 'lmstudio-tray'));
    const actual = Object.fromEntries(
      Object.keys(EXPECTED_FUSES).map((name) => {
        const state = wire[FuseV1Options[name as keyof typeof FuseV1Options]];
        return [name, state === FuseState.ENABLE];
      }),
    );
    expect(actual).toEqual(EXPECTED_FUSES);
  });

  it('app.asar holds the main, preload and renderer bundles, the icons and package.json', () => {
    for (const file of [
      '/package.json',
      '/dist-electron/main/main.js',
      '/dist-electron/preload/preload.cjs',
      '/dist-electron/main/assets/tray/idleTemplate.png',
      '/dist-electron/main/assets/tray/attention-dark@2x.png',
      '/dist-electron/main/assets/app-icon.png',
      '/dist/renderer/index.html',
    ]) {
      expect(asarFiles, file).toContain(file);
    }
    expect(asarFiles.some((file) => /^\/dist\/renderer\/assets\/.+\.js$/.test(file))).toBe(true);
  });

  it('app.asar holds every package main.js imports', () => {
    const main = asar
      .extractFile(path.join(appOutDir, 'resources', 'app.asar'), 'dist-electron/main/main.js')
      .toString();
    const imported = new Set(
      [...main.matchAll(/from\s+"([^"]+)"/g)]
        .map((match) => match[1]!)
        .filter((name) => !name.startsWith('node:') && !name.startsWith('.') && name !== 'electron')
        .map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!)),
    );
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported) expect(asarFiles, name).toContain(`/node_modules/${name}/package.json`);
    // The packaged package.json points at the packaged main.
    const manifest = JSON.parse(
      asar.extractFile(path.join(appOutDir, 'resources', 'app.asar'), 'package.json').toString(),
    );
    expect(manifest.main).toBe('dist-electron/main/main.js');
  });

  it('leaves out tests, e2e, sources, source maps, dev dependencies and the renderer-only libraries', () => {
    const offenders = asarFiles.filter(
      (file) =>
        /^\/(tests|e2e|electron|renderer|scripts|bench|build|release)(\/|$)/.test(file) ||
        (!file.startsWith('/node_modules/') && /\.(ts|tsx|map)$/.test(file)) ||
        /^\/node_modules\/(electron|electron-builder|vitest|vite|typescript|@playwright|react|react-dom|zustand)\//.test(
          file,
        ) ||
        /^\/(tsconfig.*|vite\.config\.ts|vitest\.config\.ts|biome\.json|electron-builder\.yml)$/.test(file),
    );
    expect(offenders).toEqual([]);
  });

  it('the production dependencies package.json names are all there except the renderer-only ones', () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const rendererOnly = new Set(['react', 'react-dom', 'zustand']);
    for (const name of Object.keys(pkg.dependencies).filter((dep) => !rendererOnly.has(dep))) {
      expect(asarFiles, name).toContain(`/node_modules/${name}/package.json`);
    }
  });
});
