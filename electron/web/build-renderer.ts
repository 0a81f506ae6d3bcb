/**
 * Builds the popup for web mode when dist/renderer is missing or older than its sources (see
 * stamped-build.mjs for the stamp and the atomic, race-free swap).
 */
import path from 'node:path';
import type { Logger } from '../core/ports';
import { type BuildOutcome, ensureStampedBuild } from './stamped-build.mjs';

export { BUILD_STAMP_FILE, type BuildOutcome } from './stamped-build.mjs';

/** What the popup's build depends on, relative to the project root. */
export const RENDERER_INPUTS = ['renderer', 'electron/shared', 'vite.config.ts', 'package-lock.json'] as const;

export interface EnsureRendererBuiltOptions {
  projectRoot: string;
  /** Where the server reads the popup from, normally `<projectRoot>/dist/renderer`. */
  outDir: string;
  logger: Logger;
  /** Builds into `outDir`; vite in production, a stand-in in tests. */
  build?: (outDir: string) => Promise<void>;
}

/** Makes sure `outDir` holds a build of the current sources; builds only when needed. */
export function ensureRendererBuilt(options: EnsureRendererBuiltOptions): Promise<BuildOutcome> {
  const { projectRoot, outDir, logger } = options;
  return ensureStampedBuild({
    projectRoot,
    inputs: RENDERER_INPUTS,
    outDir,
    requiredFile: 'index.html',
    build: options.build ?? ((dir: string) => viteBuild(projectRoot, dir)),
    onBuildStart: () =>
      logger.info('Building the popup for web mode (dist/renderer is missing or older than its sources)…'),
  });
}

/**
 * Runs vite in this process with the project's config, into `outDir`. The config's `root` is
 * relative, which vite resolves against the working directory: it is pinned to the project so
 * a run from any folder builds the same thing.
 */
async function viteBuild(projectRoot: string, outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: path.join(projectRoot, 'vite.config.ts'),
    root: path.join(projectRoot, 'renderer'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
}
