/**
 * A build that is redone only when its sources changed, shared by the popup (vite) and web mode's
 * own bundle (esbuild). Plain JavaScript: web mode's launcher runs it before anything is built,
 * without a TypeScript loader (types in stamped-build.d.mts).
 *
 * The output is stamped with the newest modification time among the inputs and how many there
 * are (folders count too, so a deleted or renamed file counts). A build goes to a temporary
 * folder beside the output and is renamed into place, because a rename is atomic: a reader sees
 * the old build or the new one, never half of one. When two runs build at once, the first
 * rename wins and the other keeps that build and drops its own.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Written into the output last: a build without it is incomplete and counts as stale. */
export const BUILD_STAMP_FILE = '.build-stamp.json';

/**
 * Makes sure `outDir` holds a build of the current inputs; builds only when needed.
 * @param {import('./stamped-build.d.mts').StampedBuildOptions} options
 * @returns {Promise<import('./stamped-build.d.mts').BuildOutcome>}
 */
export async function ensureStampedBuild(options) {
  const { projectRoot, inputs, outDir, requiredFile, build } = options;
  // Taken before building, so an edit made during the build makes the next run build again.
  const fingerprint = await fingerprintInputs(projectRoot, inputs);
  if (await isBuildCurrent(outDir, fingerprint, requiredFile)) return 'up-to-date';

  options.onBuildStart?.();
  const parent = path.dirname(outDir);
  await fsp.mkdir(parent, { recursive: true });
  await removeAbandonedBuilds(parent, path.basename(outDir));
  // `.build-tmp-*` is git-ignored; the same file system as outDir, so the rename is atomic.
  const temp = temporaryFolderFor(outDir);
  options.onTemporaryFolder?.(temp);
  try {
    await build(temp);
    await fsp.writeFile(path.join(temp, BUILD_STAMP_FILE), `${JSON.stringify(fingerprint)}\n`);
    return await moveIntoPlace(temp, outDir, fingerprint, requiredFile);
  } finally {
    await fsp.rm(temp, { recursive: true, force: true });
  }
}

/**
 * True when `outDir` holds a complete build (its stamp and `requiredFile`) of inputs no newer than `fingerprint`.
 * @param {string} outDir
 * @param {import('./stamped-build.d.mts').InputsFingerprint} fingerprint
 * @param {string} requiredFile
 */
export async function isBuildCurrent(outDir, fingerprint, requiredFile) {
  try {
    const stamp = JSON.parse(await fsp.readFile(path.join(outDir, BUILD_STAMP_FILE), 'utf8'));
    await fsp.access(path.join(outDir, requiredFile));
    return fingerprint.newestMtimeMs <= (stamp.newestMtimeMs ?? -1) && fingerprint.entries === stamp.entries;
  } catch {
    return false;
  }
}

/**
 * Walks the inputs (relative to `projectRoot`, skipping node_modules); a missing input simply does not count.
 * @param {string} projectRoot
 * @param {readonly string[]} inputs
 * @returns {Promise<import('./stamped-build.d.mts').InputsFingerprint>}
 */
export async function fingerprintInputs(projectRoot, inputs) {
  const fingerprint = { newestMtimeMs: 0, entries: 0 };
  /** @param {string} entry */
  const visit = async (entry) => {
    let stat;
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
  for (const input of inputs) await visit(path.join(projectRoot, input));
  return fingerprint;
}

/**
 * Where a build of `outDir` is made; the name carries this process's id for removeAbandonedBuilds.
 * @param {string} outDir
 */
function temporaryFolderFor(outDir) {
  return path.join(
    path.dirname(outDir),
    `.build-tmp-${path.basename(outDir)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/**
 * Renames the finished build to `outDir`. A folder cannot be renamed over a non-empty one, so a
 * stale build is first moved aside; if a current build is already there, another run won the
 * race and its build is kept.
 * @param {string} temp
 * @param {string} outDir
 * @param {import('./stamped-build.d.mts').InputsFingerprint} fingerprint
 * @param {string} requiredFile
 * @returns {Promise<import('./stamped-build.d.mts').BuildOutcome>}
 */
async function moveIntoPlace(temp, outDir, fingerprint, requiredFile) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await fsp.rename(temp, outDir);
      return 'built';
    } catch (error) {
      if (!isDestinationInTheWay(error)) throw error;
    }
    if (await isBuildCurrent(outDir, fingerprint, requiredFile)) return 'built-by-another-run';
    const aside = `${temp}-old`;
    try {
      await fsp.rename(outDir, aside);
    } catch (error) {
      // Another run moved it first: try our rename again.
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
    }
    await fsp.rm(aside, { recursive: true, force: true });
  }
  throw new Error(`Could not put the build in place at ${outDir}: other runs kept replacing it.`);
}

/**
 * A run stopped mid-build (Ctrl+C, a crash) leaves its temporary folder behind. The folder name
 * carries the builder's pid: those whose process is gone are removed; a live run's are left alone.
 * @param {string} parent
 * @param {string} name
 */
async function removeAbandonedBuilds(parent, name) {
  const prefix = `.build-tmp-${name}-`;
  for (const entry of await fsp.readdir(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) {
      await fsp.rm(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

/** @param {number} pid */
function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/** @param {unknown} error */
function isDestinationInTheWay(error) {
  const code = /** @type {NodeJS.ErrnoException} */ (error).code;
  // POSIX says ENOTEMPTY or EEXIST; Windows says EPERM (or EACCES while a file is open).
  return code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM' || code === 'EACCES';
}
