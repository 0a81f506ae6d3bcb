/**
 * Builds the popup for web mode when dist/renderer is missing or older than its sources.
 *
 * The build goes to a temporary folder beside the output and is renamed into place, because a
 * rename is atomic: a server (or a second `npm run web`) reading dist/renderer sees the old
 * build or the new one, never half of one. When two runs build at once, the first rename wins
 * and the other keeps that build and drops its own.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/ports';

/** What the popup's build depends on, relative to the project root. */
export const RENDERER_INPUTS = ['renderer', 'electron/shared', 'vite.config.ts', 'package-lock.json'] as const;
/** Written into the output last: a build without it is incomplete and counts as stale. */
export const BUILD_STAMP_FILE = '.build-stamp.json';

/** The newest modification time among the inputs (folders too, so a deleted file counts) and how many there are. */
export interface InputsFingerprint {
  newestMtimeMs: number;
  entries: number;
}

export interface EnsureRendererBuiltOptions {
  projectRoot: string;
  /** Where the server reads the popup from, normally `<projectRoot>/dist/renderer`. */
  outDir: string;
  logger: Logger;
  /** Builds into `outDir`; vite in production, a stand-in in tests. */
  build?: (outDir: string) => Promise<void>;
}

export type BuildOutcome = 'up-to-date' | 'built' | 'built-by-another-run';

/** Makes sure `outDir` holds a build of the current sources; builds only when needed. */
export async function ensureRendererBuilt(options: EnsureRendererBuiltOptions): Promise<BuildOutcome> {
  const { projectRoot, outDir, logger } = options;
  const build = options.build ?? ((dir: string) => viteBuild(projectRoot, dir));
  // Taken before building, so an edit made during the build makes the next run build again.
  const fingerprint = await fingerprintInputs(projectRoot);
  if (await isBuildCurrent(outDir, fingerprint)) return 'up-to-date';

  logger.info('Building the popup for web mode (dist/renderer is missing or older than its sources)…');
  const parent = path.dirname(outDir);
  await fsp.mkdir(parent, { recursive: true });
  await removeAbandonedBuilds(parent, path.basename(outDir));
  // `.build-tmp-*` is git-ignored; the same file system as outDir, so the rename is atomic.
  const temp = path.join(
    parent,
    `.build-tmp-${path.basename(outDir)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await build(temp);
    await fsp.writeFile(path.join(temp, BUILD_STAMP_FILE), `${JSON.stringify(fingerprint)}\n`);
    return await moveIntoPlace(temp, outDir, fingerprint);
  } finally {
    await fsp.rm(temp, { recursive: true, force: true });
  }
}

/** True when `outDir` holds a complete build of inputs no newer than `fingerprint`. */
export async function isBuildCurrent(outDir: string, fingerprint: InputsFingerprint): Promise<boolean> {
  try {
    const stamp = JSON.parse(
      await fsp.readFile(path.join(outDir, BUILD_STAMP_FILE), 'utf8'),
    ) as Partial<InputsFingerprint>;
    await fsp.access(path.join(outDir, 'index.html'));
    return fingerprint.newestMtimeMs <= (stamp.newestMtimeMs ?? -1) && fingerprint.entries === stamp.entries;
  } catch {
    return false;
  }
}

/** Walks the inputs (skipping node_modules); a missing input simply does not count. */
export async function fingerprintInputs(projectRoot: string): Promise<InputsFingerprint> {
  const fingerprint: InputsFingerprint = { newestMtimeMs: 0, entries: 0 };
  const visit = async (entry: string): Promise<void> => {
    let stat: import('node:fs').Stats;
    try {
      stat = await fsp.stat(entry);
    } catch {
      return;
    }
    fingerprint.entries += 1;
    fingerprint.newestMtimeMs = Math.max(fingerprint.newestMtimeMs, stat.mtimeMs);
    if (!stat.isDirectory()) return;
    for (const name of await fsp.readdir(entry)) {
      if (name !== 'node_modules') await visit(path.join(entry, name));
    }
  };
  for (const input of RENDERER_INPUTS) await visit(path.join(projectRoot, input));
  return fingerprint;
}

/**
 * Renames the finished build to `outDir`. A folder cannot be renamed over a non-empty one, so a
 * stale build is first moved aside; if a current build is already there, another run won the
 * race and its build is kept.
 */
async function moveIntoPlace(temp: string, outDir: string, fingerprint: InputsFingerprint): Promise<BuildOutcome> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await fsp.rename(temp, outDir);
      return 'built';
    } catch (error) {
      if (!isDestinationInTheWay(error)) throw error;
    }
    if (await isBuildCurrent(outDir, fingerprint)) return 'built-by-another-run';
    const aside = `${temp}-old`;
    try {
      await fsp.rename(outDir, aside);
    } catch (error) {
      // Another run moved it first: try our rename again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await fsp.rm(aside, { recursive: true, force: true });
  }
  throw new Error(`Could not put the popup's build in place at ${outDir}: other runs kept replacing it.`);
}

/**
 * A run stopped mid-build (Ctrl+C, a crash) leaves its temporary folder behind. The folder name
 * carries the builder's pid: those whose process is gone are removed; a live run's are left alone.
 */
async function removeAbandonedBuilds(parent: string, name: string): Promise<void> {
  const prefix = `.build-tmp-${name}-`;
  for (const entry of await fsp.readdir(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) {
      await fsp.rm(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isDestinationInTheWay(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  // POSIX says ENOTEMPTY or EEXIST; Windows says EPERM (or EACCES while a file is open).
  return code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM' || code === 'EACCES';
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
