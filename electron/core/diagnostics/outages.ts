/**
 * outages.json: the outages of the last 7 days as seen while this app ran, for the diagnostics
 * report. Its own file in the config folder, kept across restarts.
 *
 * - Fed the health monitor's confirmed transitions: leaving online opens an entry, coming back
 *   online closes the open ones for that address.
 * - The desktop app and web mode may both watch the same server (design brief §8): every change
 *   is a read-modify-write under the SharedFile lock, and an outage another process already
 *   opened is not opened twice. Whichever process sees the server back closes it.
 * - At most MAX_OUTAGES entries; entries that ended more than OUTAGE_DAYS ago are dropped.
 * - Each entry is validated on its own (a bad one is dropped); a file that is not an outage
 *   history is set aside as `outages.json.corrupt-<timestamp>`, like downloads.json.
 * - Never rejects: a history that cannot be read or saved is logged, and the app goes on.
 */
import path from 'node:path';
import * as v from 'valibot';
import { SERVER_STATES } from '../../shared/contract';
import type { OutageEntry, OutageHistory } from '../interfaces';
import { readListDocument } from '../persistence/list-document';
import { createSharedFile, type LockedFile } from '../persistence/shared-file';
import type { FileSystem, Logger } from '../ports';

export const OUTAGES_FILE_NAME = 'outages.json';
export const MAX_OUTAGES = 500;
export const OUTAGE_DAYS = 7;
const OUTAGE_KEEP_MS = OUTAGE_DAYS * 24 * 60 * 60 * 1000;
/** 500 entries are about 60 KB: a larger file is not one this app wrote. */
export const MAX_OUTAGES_CHARS = 1_000_000;

const Time = v.pipe(v.number(), v.finite(), v.minValue(0));
export const OutageEntrySchema = v.object({
  from: Time,
  to: v.nullable(Time),
  state: v.picklist(SERVER_STATES),
  baseUrl: v.pipe(v.string(), v.maxLength(2048)),
});

export interface OutageHistoryOptions {
  fs: FileSystem;
  configDir: string;
  logger: Logger;
  /** For pruning and the damaged file's backup name. */
  now: () => number;
}

export function createOutageHistory(options: OutageHistoryOptions): OutageHistory {
  const { fs, logger, now } = options;
  const file = path.join(options.configDir, OUTAGES_FILE_NAME);
  const shared = createSharedFile({ fs, file, logger });

  function entriesIn(text: string): OutageEntry[] | undefined {
    const list = readListDocument(text, 'outages', MAX_OUTAGES_CHARS);
    if (list === undefined) return undefined;
    const entries: OutageEntry[] = [];
    let dropped = 0;
    for (const raw of list) {
      const parsed = v.safeParse(OutageEntrySchema, raw);
      if (parsed.success && (parsed.output.to === null || parsed.output.to >= parsed.output.from)) {
        entries.push(parsed.output);
      } else {
        dropped++;
      }
    }
    if (dropped > 0)
      logger.warn(`Left out ${dropped} damaged ${dropped === 1 ? 'entry' : 'entries'} of ${OUTAGES_FILE_NAME}`);
    return entries;
  }

  async function lockedEntries(locked: LockedFile): Promise<OutageEntry[]> {
    const text = await locked.read();
    if (text === null) return [];
    const entries = entriesIn(text);
    if (entries !== undefined) return entries;
    const backup = `${file}.corrupt-${now()}`;
    await fs.rename(file, backup);
    logger.warn(`${OUTAGES_FILE_NAME} was damaged; it was kept as ${path.basename(backup)} and a new history begins.`);
    return [];
  }

  /** The last week's entries, the newest MAX_OUTAGES, oldest first. */
  function pruned(entries: OutageEntry[]): OutageEntry[] {
    const cutoff = now() - OUTAGE_KEEP_MS;
    return entries
      .filter((entry) => (entry.to ?? Number.POSITIVE_INFINITY) >= cutoff)
      .sort((a, b) => a.from - b.from)
      .slice(-MAX_OUTAGES);
  }

  async function change(apply: (entries: OutageEntry[]) => OutageEntry[]): Promise<void> {
    try {
      await shared.locked(async (locked) => {
        const before = await lockedEntries(locked);
        const after = pruned(apply(before));
        if (JSON.stringify(after) === JSON.stringify(before)) return;
        await locked.write(`${JSON.stringify({ outages: after }, null, 2)}\n`);
      });
    } catch (error) {
      logger.warn(`Could not record an outage in ${file}; the diagnostics report may miss it`, error);
    }
  }

  return {
    async record(status, previous) {
      const wasOnline = previous.state === 'online';
      const isOnline = status.state === 'online';
      if (wasOnline && !isOnline) {
        const opened: OutageEntry = { from: status.since, to: null, state: status.state, baseUrl: status.baseUrl };
        await change((entries) =>
          // The other process saw this outage first: one entry for it, not two.
          entries.some((entry) => entry.to === null && entry.baseUrl === status.baseUrl)
            ? entries
            : [...entries, opened],
        );
      } else if (isOnline && !wasOnline) {
        await change((entries) =>
          entries.map((entry) =>
            entry.to === null && entry.baseUrl === status.baseUrl
              ? { ...entry, to: Math.max(entry.from, status.since) }
              : entry,
          ),
        );
      }
    },

    async list(sinceMs) {
      let text: string | null;
      try {
        text = await shared.read();
      } catch (error) {
        logger.warn(`Could not read ${file}`, error);
        return [];
      }
      if (text === null) return [];
      let entries = entriesIn(text);
      if (entries === undefined) {
        try {
          // Looked at again under the lock: the other process may have just replaced it.
          entries = await shared.locked(lockedEntries);
        } catch (error) {
          logger.warn(`Could not set the damaged ${file} aside`, error);
          return [];
        }
      }
      return pruned(entries).filter((entry) => (entry.to ?? Number.POSITIVE_INFINITY) >= sinceMs);
    },
  };
}
