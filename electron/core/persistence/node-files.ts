/**
 * The Node side of files several processes share in the config folder (design brief §8: the
 * desktop app and web mode may run at once): atomic writes, a lock across processes, and the
 * clean-up after a process that was killed while writing.
 *
 * Every name this module leaves beside `<file>` carries the writer's process id, so a later
 * process can tell an abandoned temporary file or lock (its writer is gone) from one in use:
 *
 * - `.<file>.<pid>.<random>.tmp`: a write in progress (renamed over `<file>` when complete);
 * - `<file>.lock`: holds `<pid> <random>` while that process reads, changes and writes `<file>`
 *   (made complete in `.<file>.lock.<pid>.<random>.tmp`, then linked to its name);
 * - `.<file>.lock.<pid>.<random>.stale`: a dead process's lock, for the moment it is being removed.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** How long a save waits for another process's lock before it gives up with a message. */
export const LOCK_WAIT_MS = 10_000;
/**
 * A lock older than this is abandoned even when its process id answers: that id was reused by
 * another program after the writer died (a save holds the lock for milliseconds).
 */
export const LOCK_ABANDONED_AFTER_MS = 60_000;
/** A lock file with no readable owner yet (just created) is abandoned after this long. */
const UNREADABLE_LOCK_GRACE_MS = 2_000;

/**
 * Writes `data` so that a reader sees either the old file or the new one, never half of it:
 * a temporary file in the same folder (rename is only atomic within one file system), flushed
 * to disk with fsync before the rename, so a power cut cannot leave an empty file behind the
 * new name. A new file is `0600` (settings may hold a token). A crash before the rename leaves
 * the old file intact plus a temporary file, which `removeLeftovers` deletes later.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomHex()}.tmp`);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(temp, 'wx', 0o600);
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(temp, file);
  } catch (error) {
    await handle?.close().catch(() => {});
    await fsp.rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

/** Makes the rename itself durable (POSIX); Windows cannot open a folder for fsync. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the data itself is already on disk.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Runs `work` while holding `<file>.lock`, created exclusively (`wx`) so only one process at a
 * time holds it. Another process's lock is waited for (up to LOCK_WAIT_MS); the lock of a
 * process that no longer exists is broken. The lock is not re-entrant: callers in one process
 * serialise their own saves.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = lockPathFor(file);
  const owner = `${process.pid} ${randomHex()}\n`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (await createLock(lock, owner)) break;
    if (await breakAbandonedLock(lock)) continue;
    if (Date.now() > deadline) {
      throw new Error(
        `${path.basename(file)} is locked by another process (${lock}). If no other LM Studio Tray is running, delete that file.`,
      );
    }
    // Jittered, so two waiting processes do not retry in step.
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
  try {
    return await work();
  } finally {
    await releaseLock(lock, owner);
  }
}

/**
 * Creates the lock with its owner already inside: the owner is written to a temporary file
 * first and hard-linked to the lock's name (which fails if the lock exists), so a process
 * killed at any point never leaves an empty lock that nobody could tell was abandoned. File
 * systems without hard links get an exclusive create instead.
 */
async function createLock(lock: string, owner: string): Promise<boolean> {
  const temp = path.join(path.dirname(lock), `.${path.basename(lock)}.${process.pid}.${randomHex()}.tmp`);
  await fsp.writeFile(temp, owner, { flag: 'wx', mode: 0o600 });
  try {
    await fsp.link(temp, lock);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await fsp.rm(temp, { force: true });
  }
  try {
    await fsp.writeFile(lock, owner, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes the temporary files and the lock a dead process left beside `file`. Those of a
 * process still running (another LM Studio Tray saving right now) are left alone.
 */
export async function removeLeftovers(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = leftoverOwner(base, name);
    if (pid === null || isProcessAlive(pid)) continue;
    await fsp.rm(path.join(dir, name), { force: true }).catch(() => {});
    removed.push(name);
  }
  if (names.includes(path.basename(lockPathFor(file))) && (await breakAbandonedLock(lockPathFor(file)))) {
    removed.push(path.basename(lockPathFor(file)));
  }
  return removed;
}

export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

/** The process id in a temporary or stale-lock name this module made for `base`, else null. */
export function leftoverOwner(base: string, name: string): number | null {
  for (const prefix of [`.${base}.`, `.${base}.lock.`]) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]+\.(tmp|stale)$/.exec(name.slice(prefix.length));
    if (match) return Number(match[1]);
  }
  return null;
}

/**
 * True when the lock is gone or was abandoned and has now been removed (the caller retries at
 * once); false when a live process holds it.
 *
 * Two processes may find the same abandoned lock: each renames it to a name of its own before
 * deleting, and checks that what it renamed is still the abandoned lock. If the other process
 * had meanwhile broken it and taken a new one, that new lock is put back.
 */
async function breakAbandonedLock(lock: string): Promise<boolean> {
  const seen = await readLock(lock);
  if (seen === null) return true;
  if (!isAbandoned(seen)) return false;
  const aside = path.join(path.dirname(lock), `.${path.basename(lock)}.${process.pid}.${randomHex()}.stale`);
  try {
    await fsp.rename(lock, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return true;
    throw error;
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => null);
  if (moved !== seen.text) {
    await fsp.link(aside, lock).catch(() => {});
    await fsp.rm(aside, { force: true });
    return false;
  }
  await fsp.rm(aside, { force: true });
  return true;
}

interface LockContent {
  text: string;
  pid: number | null;
  ageMs: number;
}

async function readLock(lock: string): Promise<LockContent | null> {
  try {
    const [text, status] = await Promise.all([fsp.readFile(lock, 'utf8'), fsp.stat(lock)]);
    const pid = /^(\d+) [0-9a-f]+\n$/.exec(text)?.[1];
    return { text, pid: pid === undefined ? null : Number(pid), ageMs: Date.now() - status.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function isAbandoned(lock: LockContent): boolean {
  if (lock.ageMs > LOCK_ABANDONED_AFTER_MS) return true;
  // Created but not yet written (or cut short by a crash between the two).
  if (lock.pid === null) return lock.ageMs > UNREADABLE_LOCK_GRACE_MS;
  return !isProcessAlive(lock.pid);
}

async function releaseLock(lock: string, owner: string): Promise<void> {
  const current = await fsp.readFile(lock, 'utf8').catch(() => null);
  // Only our own: never delete a lock another process took after ours was (wrongly) broken.
  if (current === owner) await fsp.rm(lock, { force: true });
}

/** Signal 0 checks that a process exists without touching it (EPERM: it exists, another user's). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

function randomHex(): string {
  return randomBytes(4).toString('hex');
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}
