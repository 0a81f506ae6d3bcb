import { link, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDownloadJournal,
  DOWNLOADS_FILE_NAME,
  MAX_JOURNAL_CHARS,
  MAX_JOURNAL_ENTRIES,
} from '../../../../electron/core/downloads/journal';
import type { JournalEntry } from '../../../../electron/core/interfaces';
import { nodeFileSystem } from '../../../../electron/core/node-ports';
import type { FileSystem, Logger } from '../../../../electron/core/ports';

const POSIX = process.platform !== 'win32';

/** A logger that keeps what was said, to check that a dropped entry is reported. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string) => {
    lines.push(message);
  };
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

const entry = (id: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({
  id,
  model: `qwen/${id}`,
  loadWhenDone: false,
  attempt: 1,
  firstFailureAt: null,
  retryingMs: 0,
  failureKind: null,
  startedAt: 1_700_000_000_000,
  ...extra,
});

let dir: string;
let file: string;
let logger: ReturnType<typeof recordingLogger>;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'journal-'));
  file = path.join(dir, DOWNLOADS_FILE_NAME);
  logger = recordingLogger();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const journal = (fs: FileSystem = nodeFileSystem) =>
  createDownloadJournal({ fs, configDir: dir, logger, now: () => 1_700_000_000_000 });
const onDisk = async () => JSON.parse(await readFile(file, 'utf8')) as { downloads: unknown[] };

describe('download journal: a real file', () => {
  it('reads nothing, and writes nothing, while there is no file', async () => {
    const j = journal();
    expect(await j.read()).toEqual([]);
    await j.remove('dl-1-abc');
    expect(await readdir(dir)).toEqual([]);
  });

  it('records, replaces by id and forgets downloads in downloads.json, never settings.json', async () => {
    const j = journal();
    await j.put(entry('dl-1'));
    await j.put(entry('dl-2', { loadWhenDone: true }));
    await j.put(entry('dl-1', { attempt: 3, failureKind: 'network', firstFailureAt: 5, retryingMs: 70_000 }));
    expect(await j.read()).toEqual([
      entry('dl-1', { attempt: 3, failureKind: 'network', firstFailureAt: 5, retryingMs: 70_000 }),
      entry('dl-2', { loadWhenDone: true }),
    ]);
    await j.remove('dl-1');
    expect(await journal().read()).toEqual([entry('dl-2', { loadWhenDone: true })]);
    expect((await onDisk()).downloads).toEqual([entry('dl-2', { loadWhenDone: true })]);
    expect(await readdir(dir)).toEqual([DOWNLOADS_FILE_NAME]);
  });

  // Windows has no permission bits for group and others to check: only POSIX systems run it.
  it.runIf(POSIX)('creates the file 0600 (POSIX modes)', async () => {
    await journal().put(entry('dl-1'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('replaces the file by a rename, never rewriting it in place', async () => {
    const j = journal();
    await j.put(entry('dl-1'));
    const before = await readFile(file, 'utf8');
    // A second name for the old file: an in-place write would change what it shows too.
    await link(file, path.join(dir, 'old-name'));
    await j.put(entry('dl-2'));
    expect(await readFile(path.join(dir, 'old-name'), 'utf8')).toBe(before);
    expect((await onDisk()).downloads).toHaveLength(2);
    expect((await readdir(dir)).sort()).toEqual([DOWNLOADS_FILE_NAME, 'old-name']);
  });

  it('loses nothing when two journals on the same folder (desktop app and web mode) interleave puts and removes', async () => {
    const desktop = journal();
    const web = journal();
    const work = (j: typeof desktop, prefix: string) =>
      Promise.all(
        Array.from({ length: 12 }, async (_, n) => {
          await j.put(entry(`${prefix}-${n}`, { attempt: n + 1 }));
          if (n % 3 === 0) await j.remove(`${prefix}-${n}`);
        }),
      );
    await Promise.all([work(desktop, 'desk'), work(web, 'web')]);
    const ids = (await journal().read()).map((kept) => kept.id).sort();
    const expected = ['desk', 'web'].flatMap((prefix) =>
      Array.from({ length: 12 }, (_, n) => n)
        .filter((n) => n % 3 !== 0)
        .map((n) => `${prefix}-${n}`),
    );
    expect(ids).toEqual(expected.sort());
    expect(await readdir(dir)).toEqual([DOWNLOADS_FILE_NAME]);
  });

  it('drops a bad entry with a log line and keeps the rest (a byte-order mark tolerated)', async () => {
    const good = entry('dl-good', { loadWhenDone: true });
    const text = JSON.stringify({
      downloads: [
        { ...good, fromANewerVersion: 1 },
        { ...entry('dl-bad'), attempt: 0 },
        { ...entry('dl-url'), model: 'file:///etc/passwd' },
        { ...entry('dl-kind'), failureKind: 'gremlins' },
        'not an entry',
        { ...entry('dl-good'), model: 'a/duplicate' },
      ],
    });
    await writeFile(file, `\uFEFF${text}`);
    expect(await journal().read()).toEqual([good]);
    expect(logger.lines.filter((line) => line.startsWith('Left out download'))).toHaveLength(4);
    expect(logger.lines.join('\n')).toContain('attempt');
    // Still the same file: one bad entry does not make the journal damaged.
    expect(await readdir(dir)).toEqual([DOWNLOADS_FILE_NAME]);
  });

  it.each([
    ['not JSON', '{"downloads": ['],
    ['empty', ''],
    ['an array', '[]'],
    ['without its list', '{"downloads": {"id": "dl-1"}}'],
    ['too large', `{"downloads": [], "padding": "${'x'.repeat(MAX_JOURNAL_CHARS)}"}`],
  ])('sets a damaged file (%s) aside under the lock and starts again', async (_name, text) => {
    await writeFile(file, text);
    const j = journal();
    expect(await j.read()).toEqual([]);
    const backup = `${DOWNLOADS_FILE_NAME}.corrupt-1700000000000`;
    expect(await readdir(dir)).toEqual([backup]);
    expect(await readFile(path.join(dir, backup), 'utf8')).toBe(text);
    expect(logger.lines.join('\n')).toContain(`kept as ${backup}`);
    await j.put(entry('dl-1'));
    expect(await j.read()).toEqual([entry('dl-1')]);
  });

  it('never sets aside a file the other process replaced with a good one in the meantime', async () => {
    await writeFile(file, JSON.stringify({ downloads: [entry('dl-1')] }));
    let reads = 0;
    // The first, unlocked read sees the other process's half-replaced view; under the lock the file is good.
    const racing: FileSystem = {
      ...nodeFileSystem,
      readFile: async (name) => (name === file && reads++ === 0 ? '{"downl' : nodeFileSystem.readFile(name)),
    };
    expect(await journal(racing).read()).toEqual([entry('dl-1')]);
    expect(await readdir(dir)).toEqual([DOWNLOADS_FILE_NAME]);
  });

  it('refuses to record an entry that would not read back, and says so', async () => {
    const j = journal();
    await j.put({ ...entry('dl-1'), model: '../../etc/passwd' });
    await j.put({ ...entry('dl-2'), retryingMs: Number.NaN });
    expect(await readdir(dir)).toEqual([]);
    expect(logger.lines.filter((line) => line.startsWith('Not recording download'))).toHaveLength(2);
  });

  it('never rejects: a folder it cannot write to is logged, and the downloads go on', async () => {
    const failing: FileSystem = {
      ...nodeFileSystem,
      writeFileAtomic: async () => {
        throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
      },
    };
    await expect(journal(failing).put(entry('dl-1'))).resolves.toBeUndefined();
    expect(logger.lines.join('\n')).toContain('Could not record the download of qwen/dl-1');
  });
});

describe('download journal: bounded', () => {
  /** Files in memory: a hundred puts without a hundred fsyncs. */
  function memoryFs(): FileSystem {
    const files: Record<string, string> = {};
    const missing = (name: string) => Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
    return {
      readFile: async (name) => {
        if (files[name] === undefined) throw missing(name);
        return files[name];
      },
      writeFileAtomic: async (name, data) => {
        files[name] = data;
      },
      rename: async (from, to) => {
        files[to] = files[from]!;
        delete files[from];
      },
      exists: async (name) => name in files,
      isExecutable: async () => false,
      mkdir: async () => {},
      stat: async () => ({ kind: 'directory', mode: 0o700, uid: 0 }),
      realpath: async (name) => name,
      withLock: (_name, work) => work(),
      removeLeftovers: async () => [],
    };
  }

  it(`keeps at most ${MAX_JOURNAL_ENTRIES} downloads, forgetting the oldest first`, async () => {
    const j = journal(memoryFs());
    for (let n = 0; n <= MAX_JOURNAL_ENTRIES; n++) await j.put(entry(`dl-${n}`, { startedAt: 1000 + n }));
    const kept = await j.read();
    expect(kept).toHaveLength(MAX_JOURNAL_ENTRIES);
    expect(kept.map((k) => k.id)).not.toContain('dl-0');
    expect(kept.at(-1)?.id).toBe(`dl-${MAX_JOURNAL_ENTRIES}`);
    expect(logger.lines.join('\n')).toContain('forgetting the oldest, qwen/dl-0');
  });
});
