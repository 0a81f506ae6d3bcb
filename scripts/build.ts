/**
 * `npm run build`: everything the desktop app runs, from sources.
 *
 *   electron/main/main.ts       -> dist-electron/main/main.js      ESM, Node, `electron` and npm dependencies external
 *   electron/preload/preload.ts -> dist-electron/preload/preload.cjs  one CommonJS file: a sandboxed preload
 *                                   can neither load ES modules nor require anything but `electron`
 *   electron/main/assets/       -> dist-electron/main/assets/      tray and notification icons
 *   renderer/ (vite.config.ts)  -> dist/renderer                   rebuilt when stale (shared with web mode)
 *
 * dist-electron is built in a temporary folder and renamed into place, so a running app or a
 * packaging run never sees half a build.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { createConsoleLogger } from '../electron/core/node-ports';
import { ensureRendererBuilt } from '../electron/web/build-renderer';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Chromium of the Electron in package.json (Electron 45 ships Chromium 142). */
const CHROME_TARGET = 'chrome142';
/** Electron 45's Node. */
const NODE_TARGET = 'node22';

/** Bundles main and preload and copies the assets into `outDir` (normally dist-electron). */
export async function buildElectron(projectRoot: string, outDir: string): Promise<void> {
  const common: BuildOptions = {
    bundle: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: projectRoot,
    external: ['electron'],
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: ['electron/main/main.ts'],
      outfile: path.join(outDir, 'main', 'main.js'),
      platform: 'node',
      format: 'esm',
      target: NODE_TARGET,
      // Dependencies load from node_modules inside app.asar (electron-builder packs the production ones).
      packages: 'external',
    }),
    build({
      ...common,
      entryPoints: ['electron/preload/preload.ts'],
      outfile: path.join(outDir, 'preload', 'preload.cjs'),
      // A sandboxed preload is a renderer script with a tiny `require`: no Node built-ins.
      platform: 'browser',
      format: 'cjs',
      target: CHROME_TARGET,
    }),
  ]);
  await fsp.cp(path.join(projectRoot, 'electron', 'main', 'assets'), path.join(outDir, 'main', 'assets'), {
    recursive: true,
  });
}

/**
 * Builds into a temporary folder beside `outDir` and swaps it in. A folder cannot be renamed
 * over a non-empty one, so the old build is moved aside first; when another build swaps its own
 * in between, ours replaces it on the next attempt (both are builds of the same sources).
 */
async function buildElectronInPlace(projectRoot: string, outDir: string): Promise<void> {
  const temp = path.join(
    path.dirname(outDir),
    `.build-tmp-${path.basename(outDir)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await buildElectron(projectRoot, temp);
    for (let attempt = 0; ; attempt++) {
      const aside = `${temp}-old-${attempt}`;
      await fsp.rename(outDir, aside).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await fsp.rm(aside, { recursive: true, force: true });
      try {
        await fsp.rename(temp, outDir);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const inTheWay = code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM' || code === 'EACCES';
        if (!inTheWay || attempt >= 4) throw error;
      }
    }
  } finally {
    await fsp.rm(temp, { recursive: true, force: true });
  }
}

/** The whole desktop build: dist-electron and (when stale) dist/renderer. */
export async function buildAll(projectRoot = PROJECT_ROOT): Promise<void> {
  const logger = createConsoleLogger('warn');
  await Promise.all([
    buildElectronInPlace(projectRoot, path.join(projectRoot, 'dist-electron')),
    ensureRendererBuilt({ projectRoot, outDir: path.join(projectRoot, 'dist', 'renderer'), logger }),
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildAll().then(
    () => process.stdout.write('Built dist-electron/ and dist/renderer/.\n'),
    (error: unknown) => {
      process.stderr.write(
        `Build failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
