/**
 * Reads every file written under a folder while the tests run. Tests remove their temporary
 * folders when they end, long before the scan at the end of `npm test`: watching is how a file
 * that lived a few seconds is still looked at. Each file is scanned for the secrets known when it
 * is read (the canaries, and the web tokens in the ledger so far: a token is noted when its Open
 * line is read, before anything can write it elsewhere).
 */
import { type FSWatcher, lstatSync, readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { findLeaksInBytes, type Leak, type Secret } from './scan';

/** How often changed files are read: often enough to see a file that lives a fraction of a second. */
const READ_EVERY_MS = 25;
/**
 * A file written again and again (a log being appended to) is read at most this often, so the
 * cost stays in proportion to the run; its last state is read when the watch stops.
 */
const REREAD_AFTER_MS = 1000;
/** Larger files (a video, say) are left to the end-of-run scan, if they are still there. */
const LARGEST_READ_BYTES = 64 * 1024 * 1024;

export interface WriteWatch {
  /** Reads what is still pending and stops; every file read, and the leaks found in them. */
  stop(): { filesRead: string[]; leaks: Leak[] };
}

export function watchWrites(
  root: string,
  secrets: () => readonly Secret[],
  skip: (file: string) => boolean = () => false,
): WriteWatch {
  const pending = new Set<string>();
  /** When each file was last read (Date.now()). */
  const lastRead = new Map<string, number>();
  const leaks = new Map<string, Leak>();
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(root, { recursive: true }, (_event, name) => {
      if (name) pending.add(path.join(root, name.toString()));
    });
    // A folder removed while it is being added to the watch: the rest is still watched.
    watcher.on('error', () => {});
  } catch {
    watcher = null; // no recursive watch here: the end-of-run scan still runs
  }

  function readPending(final = false): void {
    if (pending.size === 0) return;
    let known: readonly Secret[];
    try {
      known = secrets();
    } catch {
      return; // tried again at the next tick; the runner must never fall over mid-run
    }
    const now = Date.now();
    for (const file of pending) {
      if (!final && now - (lastRead.get(file) ?? -Infinity) < REREAD_AFTER_MS) continue; // read again later
      pending.delete(file);
      if (skip(file)) continue;
      try {
        const stat = lstatSync(file);
        if (!stat.isFile() || stat.size > LARGEST_READ_BYTES) continue;
        const bytes = readFileSync(file);
        lastRead.set(file, now);
        for (const leak of findLeaksInBytes(bytes, known, file)) leaks.set(`${leak.label}\n${leak.place}`, leak);
      } catch {
        // Gone already: nothing left on disk to leak.
      }
    }
  }

  const timer = setInterval(readPending, READ_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      readPending(true);
      watcher?.close();
      return { filesRead: [...lastRead.keys()], leaks: [...leaks.values()] };
    },
  };
}
