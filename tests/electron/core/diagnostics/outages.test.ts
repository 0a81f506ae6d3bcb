import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutageHistory, MAX_OUTAGES, OUTAGES_FILE_NAME } from '../../../../electron/core/diagnostics/outages';
import { nodeFileSystem } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import type { ServerState, ServerStatus } from '../../../../electron/shared/contract';

const DAY = 24 * 60 * 60 * 1000;
const T0 = 1_800_000_000_000;
const URL_A = 'http://127.0.0.1:1234';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string) => {
    lines.push(message);
  };
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

function status(state: ServerState, since: number, baseUrl = URL_A): ServerStatus {
  return {
    state,
    detail: '',
    baseUrl,
    port: 1234,
    remote: false,
    apiGeneration: null,
    lmsPath: null,
    lmsSearched: [],
    since,
    checkedAt: since,
    unstable: false,
    lmStudioClosed: false,
  };
}

let dir: string;
let file: string;
let now: number;
let logger: ReturnType<typeof recordingLogger>;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'outages-'));
  file = path.join(dir, OUTAGES_FILE_NAME);
  now = T0;
  logger = recordingLogger();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const history = () => createOutageHistory({ fs: nodeFileSystem, configDir: dir, logger, now: () => now });

describe('outage history: a real outages.json', () => {
  it('opens an entry when the server leaves online and closes it when it comes back', async () => {
    const outages = history();
    expect(await outages.list(0)).toEqual([]);
    await outages.record(status('not-responding', T0), status('online', T0 - 60_000));
    expect(await outages.list(0)).toEqual([{ from: T0, to: null, state: 'not-responding', baseUrl: URL_A }]);
    now = T0 + 90_000;
    await outages.record(status('online', T0 + 90_000), status('not-responding', T0));
    expect(await outages.list(0)).toEqual([{ from: T0, to: T0 + 90_000, state: 'not-responding', baseUrl: URL_A }]);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    // Survives a restart: a new history reads the same file.
    expect(await history().list(T0 + 1)).toHaveLength(1);
  });

  it('records only transitions through online (not start-up, not one outage state to another)', async () => {
    const outages = history();
    await outages.record(status('offline', T0), status('checking', T0 - 1));
    await outages.record(status('online', T0 + 10), status('offline', T0));
    await outages.record(status('offline', T0 + 20), status('online', T0 + 10));
    await outages.record(status('not-responding', T0 + 30), status('offline', T0 + 20));
    expect(await outages.list(0)).toEqual([{ from: T0 + 20, to: null, state: 'offline', baseUrl: URL_A }]);
    expect(await readdir(dir)).toEqual([OUTAGES_FILE_NAME]);
  });

  it('drops entries that ended more than 7 days ago and keeps the newest 500', async () => {
    const outages = history();
    await outages.record(status('offline', T0), status('online', T0 - 1));
    await outages.record(status('online', T0 + 1000), status('offline', T0));
    for (let index = 1; index <= MAX_OUTAGES + 20; index++) {
      now = T0 + 8 * DAY + index * 10_000;
      await outages.record(status('offline', now), status('online', now - 1));
      await outages.record(status('online', now + 5000), status('offline', now));
    }
    const kept = await outages.list(0);
    expect(kept).toHaveLength(MAX_OUTAGES);
    expect(kept[0]?.from).toBe(T0 + 8 * DAY + 21 * 10_000);
    expect(kept.at(-1)?.from).toBe(now);
    expect(await outages.list(now + 1)).toHaveLength(1);
  });

  it('two processes watching one server keep one entry per outage and lose none of each other', async () => {
    const desktop = history();
    const web = history();
    await Promise.all([
      desktop.record(status('offline', T0), status('online', T0 - 1)),
      web.record(status('offline', T0 + 5), status('online', T0 - 1)),
      web.record(status('offline', T0 + 7, 'http://10.0.0.2:1234'), status('online', T0 - 1, 'http://10.0.0.2:1234')),
    ]);
    const open = await desktop.list(0);
    expect(open).toHaveLength(2);
    expect(open.map((entry) => entry.baseUrl).sort()).toEqual([URL_A, 'http://10.0.0.2:1234'].sort());
    // The desktop app sees the first server back; web mode, the second.
    await Promise.all([
      desktop.record(status('online', T0 + 100), status('offline', T0)),
      web.record(status('online', T0 + 200, 'http://10.0.0.2:1234'), status('offline', T0 + 7, 'http://10.0.0.2:1234')),
    ]);
    expect((await web.list(0)).map((entry) => [entry.baseUrl, entry.to])).toEqual([
      [URL_A, T0 + 100],
      ['http://10.0.0.2:1234', T0 + 200],
    ]);
  });

  it('sets a damaged file aside and drops a damaged entry, keeping the rest', async () => {
    await writeFile(file, '{"outages": [');
    const outages = history();
    expect(await outages.list(0)).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual([`${OUTAGES_FILE_NAME}.corrupt-${T0}`]);
    await writeFile(
      file,
      JSON.stringify({
        outages: [
          { from: T0, to: T0 + 1, state: 'offline', baseUrl: URL_A },
          { from: 'yesterday', to: null, state: 'offline', baseUrl: URL_A },
          { from: T0 + 5, to: T0 + 1, state: 'offline', baseUrl: URL_A },
          { from: T0 + 9, to: null, state: 'exploded', baseUrl: URL_A },
        ],
      }),
    );
    expect(await outages.list(0)).toEqual([{ from: T0, to: T0 + 1, state: 'offline', baseUrl: URL_A }]);
    expect(logger.lines).toContain(`Left out 3 damaged entries of ${OUTAGES_FILE_NAME}`);
  });

  it('never rejects: a history it cannot save is logged and the app goes on', async () => {
    await writeFile(path.join(dir, 'blocked'), '');
    const outages = createOutageHistory({
      fs: nodeFileSystem,
      configDir: path.join(dir, 'blocked'),
      logger,
      now: () => now,
    });
    await expect(outages.record(status('offline', T0), status('online', T0 - 1))).resolves.toBeUndefined();
    expect(await outages.list(0)).toEqual([]);
    expect(logger.lines.some((line) => line.startsWith('Could not record an outage'))).toBe(true);
    expect(await readFile(path.join(dir, 'blocked'), 'utf8')).toBe('');
  });
});
