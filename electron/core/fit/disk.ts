/**
 * The disk guard: free space of the filesystem that holds LM Studio's models folder, before and
 * during downloads (LM Studio does not guard against a full disk: it exits on ENOSPC and may not
 * start again until space is freed; lmstudio-protocol-2 §3).
 *
 * - The models folder is `downloadsFolder` in `<LM Studio home>/settings.json` (an absolute path,
 *   as lms's `resolveModelsFolderPath` requires a string), else `<home>/models`. It is read again
 *   when asked, at most once per `folderTtlMs`: the user can move it in LM Studio at any time.
 * - A folder that does not exist yet is measured at its nearest existing parent: it will be
 *   created on the same filesystem.
 * - Only where LM Studio runs on this machine and the `checkDiskSpace` setting is on; elsewhere
 *   the space is not known and nothing is refused (the check is skipped, not failed).
 * - Sizes in words are GB of 1000^3, as LM Studio shows them; what is needed is rounded up and
 *   what is free rounded down, so a refusal never reads "needs 3.5 GB, 3.5 GB is free".
 */
import { DISK_FLOOR_BYTES, type DiskSpace, type DiskSpaceAnswer } from '../../shared/contract';
import { MODEL_SUGGESTIONS } from '../../shared/suggestions';
import type { DiskGuard, DiskRefusal } from '../interfaces';
import { pathFor } from '../lmstudio/home';
import type { Clock, DiskSpacePort, FileSystem, Logger } from '../ports';

/** How often `watch` measures free space while someone watches. */
export const DISK_WATCH_INTERVAL_MS = 5_000;
/** LM Studio's settings.json is read again at most this often. */
export const MODELS_FOLDER_TTL_MS = 5_000;
/** The smallest margin a download must leave free beyond its size (contract.ts: 1 GB). */
export const DISK_MIN_MARGIN_BYTES = 1_000_000_000;
/** The share of its size a download must leave free beyond it, when that is more (contract.ts: 5 %). */
const DISK_MARGIN_SHARE = 0.05;

export interface DiskGuardOptions {
  fs: Pick<FileSystem, 'readFile'>;
  diskSpace: DiskSpacePort;
  clock: Clock;
  logger: Logger;
  /** The platform LM Studio's paths are written for (`path.win32` or `path.posix`). */
  platform: NodeJS.Platform;
  /** LM Studio's home folder, once found (null before, or when it could not be). */
  home: () => string | null;
  /** Whether LM Studio runs on this machine (the server's address is local). */
  isLocal: () => boolean;
  /** The `checkDiskSpace` setting. */
  enabled: () => boolean;
  /** Default DISK_WATCH_INTERVAL_MS. */
  watchIntervalMs?: number;
  /** Default MODELS_FOLDER_TTL_MS. */
  folderTtlMs?: number;
  /** Under this much free space nothing may be written. Default DISK_FLOOR_BYTES (tests on a small filesystem scale it down). */
  floorBytes?: number;
  /** The margin's minimum. Default DISK_MIN_MARGIN_BYTES (scaled down with the floor). */
  minMarginBytes?: number;
}

type KnownSpace = DiskSpaceAnswer & { known: true };

/**
 * The size of a download known before it starts: a suggestion's, when the typed target is that
 * suggestion's key (trimmed; keys compared without case, as LM Studio's catalog does). Else null:
 * the size is known only once `lms get` prints its plan or REST reports `total_size_bytes`.
 */
export function sizeKnownBeforeStart(model: string): number | null {
  const wanted = model.trim().toLowerCase();
  return MODEL_SUGGESTIONS.find((suggestion) => suggestion.key.toLowerCase() === wanted)?.sizeBytes ?? null;
}

/**
 * A size in words: GB of 1000^3 with one decimal (`3.5 GB`, `2 GB`), MB under 1 GB (`84 MB`).
 * `up` for what is needed, `down` for what is free.
 */
export function formatDiskSize(bytes: number, rounding: 'up' | 'down'): string {
  const round = rounding === 'up' ? Math.ceil : Math.floor;
  if (bytes >= 1_000_000_000) return `${round(bytes / 100_000_000) / 10} GB`;
  const megabytes = round(Math.max(0, bytes) / 1_000_000);
  return megabytes >= 1000 ? '1 GB' : `${megabytes} MB`;
}

/**
 * A folder as messages name it: LM Studio's settings may name one with any character but `/`,
 * and a message stays one line, so control characters are shown escaped (`\n`, `\u001b`).
 */
function shownFolder(folder: string): string {
  return folder.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) =>
    char === '\n' ? '\\n' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function createDiskGuard(options: DiskGuardOptions): DiskGuard {
  const { fs, diskSpace, clock, logger } = options;
  const p = pathFor(options.platform);
  const watchIntervalMs = options.watchIntervalMs ?? DISK_WATCH_INTERVAL_MS;
  const folderTtlMs = options.folderTtlMs ?? MODELS_FOLDER_TTL_MS;
  const floorBytes = options.floorBytes ?? DISK_FLOOR_BYTES;
  const minMarginBytes = options.minMarginBytes ?? DISK_MIN_MARGIN_BYTES;

  /** The models folder as last read, shared by calls made while it is being read. */
  let folderRead: { home: string; readAt: number; folder: Promise<string> } | null = null;

  /** With the default floor and margin this is contract.ts's `diskMarginBytes`. */
  const marginFor = (sizeBytes: number): number => Math.max(minMarginBytes, Math.ceil(sizeBytes * DISK_MARGIN_SHARE));

  function modelsFolder(home: string): Promise<string> {
    const now = clock.now();
    if (folderRead && folderRead.home === home && now - folderRead.readAt < folderTtlMs) return folderRead.folder;
    folderRead = { home, readAt: now, folder: readModelsFolder(home) };
    return folderRead.folder;
  }

  async function readModelsFolder(home: string): Promise<string> {
    const fallback = p.join(home, 'models');
    const file = p.join(home, 'settings.json');
    let settings: unknown;
    try {
      settings = JSON.parse(await fs.readFile(file));
    } catch {
      // Missing or not JSON: lms falls back to the default folder too.
      return fallback;
    }
    const chosen = (settings as { downloadsFolder?: unknown } | null)?.downloadsFolder;
    // As written, like lms: a folder's name may end with a space.
    if (typeof chosen === 'string' && p.isAbsolute(chosen)) return chosen;
    if (chosen !== undefined) logger.debug(`Ignoring downloadsFolder in ${file}: not an absolute path`, chosen);
    return fallback;
  }

  /** Free space of the filesystem that holds `folder`, measured at its nearest existing parent. */
  async function freeSpaceOf(folder: string): Promise<{ freeBytes: number; totalBytes: number }> {
    let dir = folder;
    for (;;) {
      try {
        return await diskSpace.freeSpace(dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        const parent = p.dirname(dir);
        if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === dir) throw error;
        dir = parent;
      }
    }
  }

  async function space(): Promise<DiskSpaceAnswer> {
    if (!options.isLocal()) {
      return { known: false, reason: 'LM Studio runs on another machine: its free disk space is not checked here.' };
    }
    if (!options.enabled()) {
      return { known: false, reason: 'The disk space check is switched off in the settings.' };
    }
    const home = options.home();
    if (home === null) {
      return { known: false, reason: "LM Studio's folder was not found, so its free disk space is not known." };
    }
    const folder = await modelsFolder(home);
    try {
      const { freeBytes, totalBytes } = await freeSpaceOf(folder);
      const measured: DiskSpace = { folder, freeBytes, totalBytes, checkedAt: clock.now() };
      return { known: true, space: measured };
    } catch (error) {
      logger.warn(`Could not read the free space of ${folder}`, error);
      const detail = error instanceof Error ? error.message : String(error);
      return { known: false, reason: shownFolder(`Could not read the free space of ${folder}: ${detail}`) };
    }
  }

  async function refusal(bytesMissing: number | null): Promise<DiskRefusal | null> {
    const answer = await space();
    if (!answer.known) return null;
    const { folder, freeBytes } = answer.space;
    const where = shownFolder(folder);
    const free = formatDiskSize(freeBytes, 'down');
    const sizeNeed = bytesMissing === null ? 0 : Math.max(0, bytesMissing) + marginFor(Math.max(0, bytesMissing));
    const neededBytes = Math.max(floorBytes, sizeNeed);
    if (freeBytes >= neededBytes) return null;
    // The download's own need, when it is what does not fit; else the floor, which says what to do.
    if (sizeNeed >= floorBytes) {
      return {
        message: `Not enough disk space: it needs ${formatDiskSize(sizeNeed, 'up')}, ${free} is free in ${where}.`,
        neededBytes,
        freeBytes,
        folder,
      };
    }
    return {
      message: `Only ${free} is free in ${where}: downloads need at least ${formatDiskSize(floorBytes, 'up')} free. Free some space, then try again.`,
      neededBytes,
      freeBytes,
      folder,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Watching while downloads run: one timer for all watchers, only while there is one
  // ---------------------------------------------------------------------------------------------

  /** Each watcher, with whether it has been told of the current drop under the floor. */
  const watchers = new Set<{ onLow: (space: KnownSpace) => void; told: boolean }>();
  let timer: unknown = null;
  let polling = false;

  async function poll(): Promise<void> {
    // A slow filesystem (a network drive) must not pile measurements up.
    if (polling) return;
    polling = true;
    try {
      const answer = await space();
      // Switched off or remote meanwhile: nothing to say, and no drop is forgotten.
      if (!answer.known) return;
      const low = answer.space.freeBytes < floorBytes;
      for (const watcher of [...watchers]) {
        if (!low) {
          watcher.told = false;
          continue;
        }
        // Removed by an earlier watcher's callback: it asked not to hear any more.
        if (watcher.told || !watchers.has(watcher)) continue;
        watcher.told = true;
        try {
          watcher.onLow(answer);
        } catch (error) {
          logger.error('A disk space watcher threw', error);
        }
      }
    } catch (error) {
      logger.warn('Could not watch the free disk space', error);
    } finally {
      polling = false;
    }
  }

  function watch(onLow: (space: KnownSpace) => void): () => void {
    // A watcher that joins during a drop is told at the next measurement: its download is at risk too.
    const watcher = { onLow, told: false };
    watchers.add(watcher);
    if (timer === null) timer = clock.setInterval(() => void poll(), watchIntervalMs);
    return () => {
      if (!watchers.delete(watcher)) return;
      if (watchers.size === 0 && timer !== null) {
        clock.clearInterval(timer);
        timer = null;
      }
    };
  }

  return { space, refusal, watch };
}
