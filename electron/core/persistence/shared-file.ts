/**
 * A file in the config folder that the desktop app and web mode may both write at once
 * (design brief §8): settings.json today, and any other saved state that joins it later.
 *
 * - Reads need no lock: every write is atomic (temporary file + rename), so a reader sees the
 *   old content or the new, never half.
 * - A change is read-modify-write under a lock shared with other processes, so two processes
 *   saving different parts at the same moment both keep their change.
 * - What a process killed mid-save left behind (a temporary file, its lock) is removed by the
 *   next process that opens the file.
 * - The folder is created `0700` and the file `0600` when they are new.
 */
import path from 'node:path';
import type { FileSystem, Logger } from '../ports';

export interface SharedFile {
  readonly path: string;
  /** The file's text, or null when there is none yet. The first read cleans up after a crashed writer. */
  read(): Promise<string | null>;
  /** Runs `work` under the lock, with the file's current text at hand and an atomic write. */
  locked<T>(work: (file: LockedFile) => Promise<T>): Promise<T>;
}

/** The file while its lock is held: what is read here cannot change until the lock is released. */
export interface LockedFile {
  read(): Promise<string | null>;
  write(text: string): Promise<void>;
}

export function createSharedFile(options: { fs: FileSystem; file: string; logger: Logger }): SharedFile {
  const { fs, file, logger } = options;
  let cleanedUp = false;
  /** One change at a time from this process: the lock is not re-entrant. */
  let queue: Promise<unknown> = Promise.resolve();

  async function cleanUp(): Promise<void> {
    cleanedUp = true;
    try {
      const removed = await fs.removeLeftovers(file);
      if (removed.length > 0) {
        logger.info(`Removed what an interrupted save of ${path.basename(file)} left behind: ${removed.join(', ')}`);
      }
    } catch (error) {
      logger.warn(`Could not clean up after an interrupted save of ${file}`, error);
    }
  }

  let folderChecked = false;
  /**
   * A folder the user chose keeps its permissions (design brief §8), but if other users can
   * write to it they can replace the file: say so once.
   */
  async function warnIfOthersCanWrite(folder: string): Promise<void> {
    folderChecked = true;
    try {
      const { mode } = await fs.stat(folder);
      if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
        logger.warn(
          `${folder} can be changed by other users (its mode is 0${mode.toString(8)}), so they could replace ${path.basename(file)}. It is left as it is; chmod go-w would fix that.`,
        );
      }
    } catch {
      // Checked again by the write itself, which reports its own error.
    }
  }

  async function readNow(): Promise<string | null> {
    try {
      return await fs.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return null;
      throw error;
    }
  }

  return {
    path: file,
    async read() {
      if (!cleanedUp) await cleanUp();
      return readNow();
    },
    locked(work) {
      const run = queue.then(async () => {
        await fs.mkdir(path.dirname(file));
        if (!folderChecked) await warnIfOthersCanWrite(path.dirname(file));
        return fs.withLock(file, async () => {
          // Under the lock, whatever a dead writer left is garbage for sure.
          await cleanUp();
          return work({ read: readNow, write: (text) => fs.writeFileAtomic(file, text) });
        });
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}
