/**
 * downloads.json: the unfinished downloads this app started, so the next start can pick them up
 * (issue 9). Its own file in the config folder, never settings.json.
 *
 * - Written through a SharedFile (../persistence/shared-file.ts): atomic, `0600`, and every
 *   change is a read-modify-write under a lock shared with the other process (design brief §8:
 *   the desktop app and web mode may run at once). `put` and `remove` touch only their own id,
 *   so neither process undoes the other's downloads.
 * - Each entry is validated on its own: a bad one is dropped with a log line, the rest kept.
 * - A file that is not a journal (not JSON, the wrong shape, larger than MAX_JOURNAL_CHARS) is
 *   renamed to `downloads.json.corrupt-<timestamp>` under the lock, like settings.json.
 * - Never rejects: a journal that cannot be read or saved is logged and the downloads go on;
 *   only their pick-up after a restart is lost.
 */
import path from 'node:path';
import * as v from 'valibot';
import { DOWNLOAD_FAILURE_KINDS } from '../../shared/contract';
import { DownloadIdSchema, DownloadTargetSchema } from '../../shared/contract-schemas';
import type { DownloadJournal, JournalEntry } from '../interfaces';
import { readListDocument } from '../persistence/list-document';
import { createSharedFile, type LockedFile } from '../persistence/shared-file';
import type { FileSystem, Logger } from '../ports';

export const DOWNLOADS_FILE_NAME = 'downloads.json';
/** More unfinished downloads than anyone starts; the oldest go first beyond it. */
export const MAX_JOURNAL_ENTRIES = 100;
/** A file larger than this is not a journal this app wrote (100 entries are about 30 KB). */
export const MAX_JOURNAL_CHARS = 1_000_000;

const Time = v.pipe(v.number(), v.finite(), v.minValue(0));
/** One entry; unknown fields (from a newer version) are dropped. */
export const JournalEntrySchema = v.object({
  id: DownloadIdSchema,
  // It reaches `lms get` at the next start: held to the same rule as the user's own text.
  model: DownloadTargetSchema,
  loadWhenDone: v.boolean(),
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000)),
  firstFailureAt: v.nullable(Time),
  retryingMs: Time,
  failureKind: v.nullable(v.picklist(DOWNLOAD_FAILURE_KINDS)),
  startedAt: Time,
});

export interface DownloadJournalOptions {
  fs: FileSystem;
  configDir: string;
  logger: Logger;
  /** For the damaged file's backup name; `Date.now` by default. */
  now?: () => number;
}

export function createDownloadJournal(options: DownloadJournalOptions): DownloadJournal {
  const { fs, logger } = options;
  const now = options.now ?? Date.now;
  const file = path.join(options.configDir, DOWNLOADS_FILE_NAME);
  const shared = createSharedFile({ fs, file, logger });

  /** The entries in the file's text, each checked on its own; undefined for a damaged file. */
  function entriesIn(text: string): JournalEntry[] | undefined {
    const list = readListDocument(text, 'downloads', MAX_JOURNAL_CHARS);
    if (list === undefined) return undefined;
    const entries = new Map<string, JournalEntry>();
    for (const [index, raw] of list.entries()) {
      const parsed = v.safeParse(JournalEntrySchema, raw);
      if (!parsed.success) {
        const issue = parsed.issues[0];
        const where = issue ? v.getDotPath(issue) : null;
        logger.warn(
          `Left out download ${index + 1} of ${DOWNLOADS_FILE_NAME}: ${where ? `${where}: ` : ''}${issue?.message ?? 'not valid'}`,
        );
        continue;
      }
      // Written by this module, ids are unique; a hand-edited duplicate keeps its first entry.
      if (!entries.has(parsed.output.id)) entries.set(parsed.output.id, parsed.output);
    }
    return [...entries.values()];
  }

  /** The entries under the lock; a damaged file is set aside first (and reads as empty). */
  async function lockedEntries(locked: LockedFile): Promise<JournalEntry[]> {
    const text = await locked.read();
    if (text === null) return [];
    const entries = entriesIn(text);
    if (entries !== undefined) return entries;
    const backup = `${file}.corrupt-${now()}`;
    await fs.rename(file, backup);
    logger.warn(
      `${DOWNLOADS_FILE_NAME} was damaged; it was kept as ${path.basename(backup)} and unfinished downloads were not picked up.`,
    );
    return [];
  }

  /** Re-reads the file under the lock, applies `change` and writes the result if it differs. */
  async function change(
    what: string,
    consequence: string,
    apply: (entries: JournalEntry[]) => JournalEntry[],
  ): Promise<void> {
    try {
      await shared.locked(async (locked) => {
        const before = await lockedEntries(locked);
        const after = apply(before);
        // Nothing to forget, nothing new: no write (and no file created just to hold nothing).
        if (JSON.stringify(after) === JSON.stringify(before)) return;
        await locked.write(`${JSON.stringify({ downloads: after }, null, 2)}\n`);
      });
    } catch (error) {
      logger.warn(`Could not ${what} in ${file}; ${consequence}`, error);
    }
  }

  return {
    async read() {
      let text: string | null;
      try {
        text = await shared.read();
      } catch (error) {
        logger.warn(`Could not read ${file}; unfinished downloads are not picked up`, error);
        return [];
      }
      if (text === null) return [];
      const entries = entriesIn(text);
      if (entries !== undefined) return entries;
      try {
        // Look again under the lock: the other process may have just replaced it, and a good
        // file must never be set aside as damaged.
        return await shared.locked(lockedEntries);
      } catch (error) {
        logger.warn(`Could not set the damaged ${file} aside`, error);
        return [];
      }
    },

    async put(entry) {
      const parsed = v.safeParse(JournalEntrySchema, entry);
      if (!parsed.success) {
        logger.error(`Not recording download ${entry.id}: ${parsed.issues[0]?.message ?? 'not valid'}`);
        return;
      }
      const checked = parsed.output;
      await change(`record the download of ${checked.model}`, 'it will not be picked up after a restart', (entries) => {
        const known = entries.some((candidate) => candidate.id === checked.id);
        const next = known
          ? entries.map((candidate) => (candidate.id === checked.id ? checked : candidate))
          : [...entries, checked];
        if (next.length <= MAX_JOURNAL_ENTRIES) return next;
        const oldest = entries
          .filter((candidate) => candidate.id !== checked.id)
          .sort((a, b) => a.startedAt - b.startedAt)
          .slice(0, next.length - MAX_JOURNAL_ENTRIES);
        logger.warn(
          `${DOWNLOADS_FILE_NAME} is full: forgetting the oldest, ${oldest.map((old) => old.model).join(', ')}`,
        );
        return next.filter((candidate) => !oldest.includes(candidate));
      });
    },

    async remove(id) {
      await change(`forget download ${id}`, 'the next start may pick it up again', (entries) =>
        entries.filter((entry) => entry.id !== id),
      );
    },
  };
}
