/**
 * The disk guard against an injected filesystem port and a fake LM Studio home: where the models
 * folder is, the margin and floor rules at their edges, the refusals' words, when it stays silent,
 * and `watch` under fake timers. The same guard on a real small filesystem is disk-tmpfs.test.ts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTrayCore } from '../../../../electron/core/app';
import {
  createDiskGuard,
  type DiskGuardOptions,
  formatDiskSize,
  sizeKnownBeforeStart,
} from '../../../../electron/core/fit/disk';
import { nodeFileSystem, spawnWithoutShell, systemClock } from '../../../../electron/core/node-ports';
import type { DiskSpacePort, Logger } from '../../../../electron/core/ports';
import {
  DISK_FLOOR_BYTES,
  type DiskSpaceAnswer,
  fitsOnDisk,
  type Settings,
} from '../../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const GB = 1_000_000_000;
const HOME = '/home/me/.lmstudio';
const MODELS = '/home/me/.lmstudio/models';

function enoent(folder: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, statfs '${folder}'`), { code: 'ENOENT' });
}

/** The folders that exist, with their filesystem's figures; every other folder is ENOENT. */
function fakeDisk(folders: Record<string, number>, totalBytes = 500 * GB) {
  const free = new Map(Object.entries(folders));
  const asked: string[] = [];
  const port: DiskSpacePort = {
    async freeSpace(folder) {
      asked.push(folder);
      const freeBytes = free.get(folder);
      if (freeBytes === undefined) throw enoent(folder);
      return { freeBytes, totalBytes };
    },
  };
  return { port, asked, setFree: (folder: string, bytes: number) => free.set(folder, bytes) };
}

/** LM Studio's home files, read through the guard's `fs.readFile`. */
function fakeFiles(files: Record<string, string>) {
  const contents = new Map(Object.entries(files));
  const reads: string[] = [];
  return {
    fs: {
      async readFile(file: string) {
        reads.push(file);
        const content = contents.get(file);
        if (content === undefined) throw enoent(file);
        return content;
      },
    },
    reads,
    write: (file: string, content: string) => contents.set(file, content),
  };
}

const settingsFile = (downloadsFolder: unknown) =>
  JSON.stringify({ downloadsFolder, modelLoadingGuardrails: { mode: 'high' } }, null, 2);

function guardWith(
  disk: ReturnType<typeof fakeDisk>,
  files: ReturnType<typeof fakeFiles>,
  overrides: Partial<DiskGuardOptions> = {},
) {
  return createDiskGuard({
    fs: files.fs,
    diskSpace: disk.port,
    clock: systemClock,
    logger: silent,
    platform: 'linux',
    home: () => HOME,
    isLocal: () => true,
    enabled: () => true,
    ...overrides,
  });
}

const known = (answer: DiskSpaceAnswer) => {
  if (!answer.known) throw new Error(`space not known: ${answer.reason}`);
  return answer.space;
};

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-02T10:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the models folder', () => {
  it("is LM Studio's downloadsFolder, measured with the port", async () => {
    const disk = fakeDisk({ '/data/models': 40 * GB });
    const guard = guardWith(disk, fakeFiles({ [`${HOME}/settings.json`]: settingsFile('/data/models') }));
    expect(await guard.space()).toEqual({
      known: true,
      space: { folder: '/data/models', freeBytes: 40 * GB, totalBytes: 500 * GB, checkedAt: Date.now() },
    });
    expect(disk.asked).toEqual(['/data/models']);
  });

  it('is <home>/models without settings.json', async () => {
    const guard = guardWith(fakeDisk({ [MODELS]: 40 * GB }), fakeFiles({}));
    expect(known(await guard.space()).folder).toBe(MODELS);
  });

  it.each([
    ['missing', JSON.stringify({ modelLoadingGuardrails: { mode: 'high' } })],
    ['a number', settingsFile(42)],
    ['null', settingsFile(null)],
    ['an array', settingsFile(['/data/models'])],
    ['empty', settingsFile('  ')],
    ['a relative path', settingsFile('models')],
    ['in a file that is not JSON', '{"downloadsFolder": "/data/mo'],
    ['in a file that is JSON null', 'null'],
  ])('is <home>/models when downloadsFolder is %s', async (_name, content) => {
    const guard = guardWith(fakeDisk({ [MODELS]: 40 * GB }), fakeFiles({ [`${HOME}/settings.json`]: content }));
    expect(known(await guard.space()).folder).toBe(MODELS);
  });

  it('is measured at its nearest existing parent while it does not exist yet, and named as chosen', async () => {
    const disk = fakeDisk({ '/data': 40 * GB });
    const guard = guardWith(disk, fakeFiles({ [`${HOME}/settings.json`]: settingsFile('/data/lmstudio/models') }));
    expect(known(await guard.space())).toMatchObject({ folder: '/data/lmstudio/models', freeBytes: 40 * GB });
    expect(disk.asked).toEqual(['/data/lmstudio/models', '/data/lmstudio', '/data']);
  });

  it('follows Windows paths on win32', async () => {
    const home = 'C:\\Users\\ada\\.lmstudio';
    const disk = fakeDisk({ 'D:\\': 40 * GB, [`${home}\\models`]: 9 * GB });
    const files = fakeFiles({ [`${home}\\settings.json`]: settingsFile('D:\\LM Studio\\models') });
    const guard = guardWith(disk, files, { platform: 'win32', home: () => home });
    expect(known(await guard.space())).toMatchObject({ folder: 'D:\\LM Studio\\models', freeBytes: 40 * GB });
    expect(disk.asked).toEqual(['D:\\LM Studio\\models', 'D:\\LM Studio', 'D:\\']);
    // A portable launcher's unexpanded `%UserProfile%` is not a path: the default folder is used.
    files.write(`${home}\\settings.json`, settingsFile('%UserProfile%\\.lmstudio\\models'));
    const later = guardWith(disk, files, { platform: 'win32', home: () => home });
    expect(known(await later.space())).toMatchObject({ folder: `${home}\\models`, freeBytes: 9 * GB });
  });

  it('is read again when asked, but at most once per five seconds', async () => {
    const disk = fakeDisk({ '/data/models': 40 * GB, '/mnt/big/models': 900 * GB });
    const files = fakeFiles({ [`${HOME}/settings.json`]: settingsFile('/data/models') });
    const guard = guardWith(disk, files);
    expect(known(await guard.space()).folder).toBe('/data/models');
    // The user moves the folder in LM Studio.
    files.write(`${HOME}/settings.json`, settingsFile('/mnt/big/models'));
    await vi.advanceTimersByTimeAsync(4_999);
    await Promise.all([guard.space(), guard.space()]);
    expect(known(await guard.space()).folder).toBe('/data/models');
    expect(files.reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(known(await guard.space())).toMatchObject({ folder: '/mnt/big/models', freeBytes: 900 * GB });
    expect(files.reads).toHaveLength(2);
  });
});

describe('when the space is not known', () => {
  it('says why for a server on another machine, and refuses nothing', async () => {
    const disk = fakeDisk({ [MODELS]: 0 });
    const guard = guardWith(disk, fakeFiles({}), { isLocal: () => false });
    expect(await guard.space()).toEqual({
      known: false,
      reason: 'LM Studio runs on another machine: its free disk space is not checked here.',
    });
    expect(await guard.refusal(100 * GB)).toBeNull();
    expect(disk.asked).toEqual([]);
  });

  it('says why when the check is switched off, and refuses nothing', async () => {
    const disk = fakeDisk({ [MODELS]: 0 });
    const guard = guardWith(disk, fakeFiles({}), { enabled: () => false });
    expect(await guard.space()).toEqual({
      known: false,
      reason: 'The disk space check is switched off in the settings.',
    });
    expect(await guard.refusal(null)).toBeNull();
    expect(disk.asked).toEqual([]);
  });

  it("says why before LM Studio's home is found", async () => {
    const guard = guardWith(fakeDisk({ [MODELS]: 0 }), fakeFiles({}), { home: () => null });
    expect(await guard.space()).toEqual({
      known: false,
      reason: "LM Studio's folder was not found, so its free disk space is not known.",
    });
    expect(await guard.refusal(null)).toBeNull();
  });

  it('says why when the OS will not tell (skips the check rather than failing it)', async () => {
    const port: DiskSpacePort = {
      freeSpace: async (folder) => {
        throw Object.assign(new Error(`EACCES: permission denied, statfs '${folder}'`), { code: 'EACCES' });
      },
    };
    const guard = createDiskGuard({
      fs: fakeFiles({}).fs,
      diskSpace: port,
      clock: systemClock,
      logger: silent,
      platform: 'linux',
      home: () => HOME,
      isLocal: () => true,
      enabled: () => true,
    });
    expect(await guard.space()).toEqual({
      known: false,
      reason: `Could not read the free space of ${MODELS}: EACCES: permission denied, statfs '${MODELS}'`,
    });
    expect(await guard.refusal(100 * GB)).toBeNull();
  });
});

describe('refusals', () => {
  const guardWithFree = (freeBytes: number, overrides: Partial<DiskGuardOptions> = {}) =>
    guardWith(fakeDisk({ [MODELS]: freeBytes }), fakeFiles({}), overrides);

  it('says how much is needed (size and margin), how much is free and where', async () => {
    // qwen/qwen3-4b: 2.5 GB and the 1 GB margin.
    expect(await guardWithFree(1_200_000_000).refusal(2_500_000_000)).toEqual({
      message: `Not enough disk space: it needs 3.5 GB, 1.2 GB is free in ${MODELS}.`,
      neededBytes: 3_500_000_000,
      freeBytes: 1_200_000_000,
      folder: MODELS,
    });
    expect((await guardWithFree(9_000_000_000).refusal(12_110_000_000))?.message).toBe(
      // 5 % of 12.11 GB is 0.6055 GB: under 1 GB, so the margin is 1 GB.
      `Not enough disk space: it needs 13.2 GB, 9 GB is free in ${MODELS}.`,
    );
    expect((await guardWithFree(40 * GB).refusal(40 * GB))?.message).toBe(
      `Not enough disk space: it needs 42 GB, 40 GB is free in ${MODELS}.`,
    );
  });

  it('refuses anything under the floor, saying what to do', async () => {
    expect(await guardWithFree(1_200_000_000).refusal(null)).toEqual({
      message: `Only 1.2 GB is free in ${MODELS}: downloads need at least 2 GB free. Free some space, then try again.`,
      neededBytes: DISK_FLOOR_BYTES,
      freeBytes: 1_200_000_000,
      folder: MODELS,
    });
    // A small model whose size and margin are under the floor: the floor is what it misses.
    expect(await guardWithFree(1_500_000_000).refusal(84_000_000)).toMatchObject({
      message: `Only 1.5 GB is free in ${MODELS}: downloads need at least 2 GB free. Free some space, then try again.`,
      neededBytes: DISK_FLOOR_BYTES,
    });
    expect((await guardWithFree(300_000_000).refusal(null))?.message).toBe(
      `Only 300 MB is free in ${MODELS}: downloads need at least 2 GB free. Free some space, then try again.`,
    );
  });

  it('rounds what is needed up and what is free down', async () => {
    expect((await guardWithFree(3_449_999_999).refusal(2_450_000_001))?.message).toBe(
      `Not enough disk space: it needs 3.5 GB, 3.4 GB is free in ${MODELS}.`,
    );
  });

  it('lets through exactly size + margin above the floor, and not a byte less', async () => {
    expect(await guardWithFree(3_500_000_000).refusal(2_500_000_000)).toBeNull();
    expect(await guardWithFree(3_499_999_999).refusal(2_500_000_000)).not.toBeNull();
    // 5 % once it is more than 1 GB: 40 GB needs 42 GB.
    expect(await guardWithFree(42 * GB).refusal(40 * GB)).toBeNull();
    expect(await guardWithFree(42 * GB - 1).refusal(40 * GB)).not.toBeNull();
    // The floor itself is enough for a download of unknown size.
    expect(await guardWithFree(DISK_FLOOR_BYTES).refusal(null)).toBeNull();
    expect(await guardWithFree(DISK_FLOOR_BYTES - 1).refusal(null)).not.toBeNull();
    // Nothing missing (a retry of a complete file) still needs the floor.
    expect(await guardWithFree(DISK_FLOOR_BYTES).refusal(0)).toBeNull();
    expect(await guardWithFree(DISK_FLOOR_BYTES - 1).refusal(0)).not.toBeNull();
  });

  it("agrees with the contract's fitsOnDisk", async () => {
    const sizes = [0, 84_000_000, 999_999_999, GB, 2_500_000_000, 20 * GB, 20 * GB + 1, 123_456_789_012];
    const frees = [0, DISK_FLOOR_BYTES - 1, DISK_FLOOR_BYTES, 3_500_000_000, 21 * GB, 22 * GB, 200 * GB];
    for (const size of sizes) {
      for (const free of frees) {
        const refused = (await guardWithFree(free).refusal(size)) !== null;
        expect({ size, free, refused }).toEqual({ size, free, refused: !fitsOnDisk(size, free) });
      }
    }
  });

  it('scales the floor and the margin by its options', async () => {
    const options = { floorBytes: 16_000_000, minMarginBytes: 8_000_000 };
    expect(await guardWithFree(18_000_000, options).refusal(10_000_000)).toBeNull();
    expect(await guardWithFree(67_108_864, options).refusal(100_000_000)).toMatchObject({
      message: `Not enough disk space: it needs 108 MB, 67 MB is free in ${MODELS}.`,
      neededBytes: 108_000_000,
    });
    // 5 % of 400 MB is 20 MB, more than the 8 MB minimum.
    expect(await guardWithFree(419_999_999, options).refusal(400_000_000)).not.toBeNull();
    expect((await guardWithFree(15_000_000, options).refusal(null))?.message).toBe(
      `Only 15 MB is free in ${MODELS}: downloads need at least 16 MB free. Free some space, then try again.`,
    );
  });
});

describe('formatDiskSize', () => {
  it.each([
    [3_500_000_000, 'up', '3.5 GB'],
    [3_450_000_001, 'up', '3.5 GB'],
    [3_499_999_999, 'down', '3.4 GB'],
    [2_000_000_000, 'up', '2 GB'],
    [12_110_000_000, 'up', '12.2 GB'],
    [12_110_000_000, 'down', '12.1 GB'],
    [1_000_000_000, 'down', '1 GB'],
    [999_999_999, 'down', '999 MB'],
    [999_500_000, 'up', '1 GB'],
    [84_000_000, 'up', '84 MB'],
    [0, 'down', '0 MB'],
  ] as const)('%d rounded %s is %s', (bytes, rounding, words) => {
    expect(formatDiskSize(bytes, rounding)).toBe(words);
  });
});

describe('sizeKnownBeforeStart', () => {
  it("is a suggestion's size when the typed target is its key", () => {
    expect(sizeKnownBeforeStart('qwen/qwen3-4b')).toBe(2_500_000_000);
    expect(sizeKnownBeforeStart('  OpenAI/GPT-OSS-20B \n')).toBe(12_110_000_000);
  });

  it.each([
    'qwen3-4b',
    'qwen/qwen3-4b@q8_0',
    'https://huggingface.co/Qwen/Qwen3-4B-GGUF',
    'lmstudio-community/qwen3-4b-gguf',
    '',
  ])('is unknown for %j', (typed) => {
    expect(sizeKnownBeforeStart(typed)).toBeNull();
  });
});

describe('watch', () => {
  const INTERVAL_MS = 5_000;

  function watchedDisk(freeBytes: number, overrides: Partial<DiskGuardOptions> = {}) {
    const disk = fakeDisk({ [MODELS]: freeBytes });
    const guard = guardWith(disk, fakeFiles({}), overrides);
    return { disk, guard };
  }

  it('runs no timer until someone watches, and stops it when the last one leaves', async () => {
    const { disk, guard } = watchedDisk(40 * GB);
    expect(vi.getTimerCount()).toBe(0);
    const stopFirst = guard.watch(() => {});
    const stopSecond = guard.watch(() => {});
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(disk.asked).toHaveLength(3);
    stopFirst();
    stopFirst(); // twice is harmless and does not remove the other watcher
    expect(vi.getTimerCount()).toBe(1);
    stopSecond();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(disk.asked).toHaveLength(3);
    // Watching again starts a new timer.
    const stopThird = guard.watch(() => {});
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(disk.asked).toHaveLength(4);
    stopThird();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('measures every five seconds and calls onLow once per drop under the floor', async () => {
    const { disk, guard } = watchedDisk(10 * GB);
    const lows: DiskSpaceAnswer[] = [];
    const stop = guard.watch((space) => lows.push(space));

    await vi.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(disk.asked).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(disk.asked).toHaveLength(1);
    expect(lows).toEqual([]);

    disk.setFree(MODELS, DISK_FLOOR_BYTES); // at the floor: not under it
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(lows).toEqual([]);

    disk.setFree(MODELS, DISK_FLOOR_BYTES - 1);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(lows).toEqual([
      {
        known: true,
        space: { folder: MODELS, freeBytes: DISK_FLOOR_BYTES - 1, totalBytes: 500 * GB, checkedAt: Date.now() },
      },
    ]);
    // Still low: not again.
    disk.setFree(MODELS, 1_000_000);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 4);
    expect(lows).toHaveLength(1);

    // Space freed, then a second drop: told again, once.
    disk.setFree(MODELS, 5 * GB);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    disk.setFree(MODELS, 500_000_000);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(lows.map((low) => (low.known ? low.space.freeBytes : null))).toEqual([DISK_FLOOR_BYTES - 1, 500_000_000]);
    stop();
  });

  it('tells each watcher once, also one that joins during a drop, and survives one that throws', async () => {
    const { disk, guard } = watchedDisk(1 * GB);
    const first: number[] = [];
    const second: number[] = [];
    const stopThrowing = guard.watch(() => {
      throw new Error('a watcher with a bug');
    });
    const stopFirst = guard.watch((low) => first.push(low.space.freeBytes));
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    const stopSecond = guard.watch((low) => second.push(low.space.freeBytes));
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 2);
    expect(first).toEqual([1 * GB]);
    expect(second).toEqual([1 * GB]);
    expect(disk.asked).toHaveLength(3);
    stopThrowing();
    stopFirst();
    stopSecond();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says nothing while the check is switched off or the server is remote, and remembers a drop across it', async () => {
    let enabled = true;
    const { disk, guard } = watchedDisk(1 * GB, { enabled: () => enabled });
    const lows: number[] = [];
    const stop = guard.watch((low) => lows.push(low.space.freeBytes));
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(lows).toEqual([1 * GB]);
    enabled = false;
    disk.setFree(MODELS, 500_000_000);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 2);
    enabled = true;
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    // The same drop, never back above the floor: not told twice.
    expect(lows).toEqual([1 * GB]);
    stop();
  });

  it('does not pile measurements up on a slow filesystem', async () => {
    let calls = 0;
    let answer: ((value: { freeBytes: number; totalBytes: number }) => void) | null = null;
    const slow: DiskSpacePort = {
      freeSpace: () => {
        calls += 1;
        return new Promise((resolve) => {
          answer = resolve;
        });
      },
    };
    const guard = createDiskGuard({
      fs: fakeFiles({}).fs,
      diskSpace: slow,
      clock: systemClock,
      logger: silent,
      platform: 'linux',
      home: () => HOME,
      isLocal: () => true,
      enabled: () => true,
    });
    const lows: number[] = [];
    const stop = guard.watch((low) => lows.push(low.space.freeBytes));
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 5);
    expect(calls).toBe(1);
    answer!({ freeBytes: 1 * GB, totalBytes: 500 * GB });
    await vi.advanceTimersByTimeAsync(0);
    expect(lows).toEqual([1 * GB]);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(calls).toBe(2);
    stop();
  });

  it('honours its interval option', async () => {
    const { disk, guard } = watchedDisk(40 * GB, { watchIntervalMs: 250 });
    const stop = guard.watch(() => {});
    await vi.advanceTimersByTimeAsync(1_000);
    expect(disk.asked).toHaveLength(4);
    stop();
  });
});

describe('the downloads:disk-space command', () => {
  let dir: string;
  beforeEach(async () => {
    vi.useRealTimers();
    dir = await mkdtemp(path.join(os.tmpdir(), 'disk-command-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function core(overrides: Partial<Settings>) {
    const home = path.join(dir, 'home');
    const models = path.join(dir, 'big-disk', 'models');
    await mkdir(path.join(home, '.lmstudio'), { recursive: true });
    await writeFile(path.join(home, '.lmstudio', 'settings.json'), settingsFile(models));
    const asked: string[] = [];
    const instance = createTrayCore({
      clock: systemClock,
      spawn: spawnWithoutShell,
      fs: nodeFileSystem,
      notifier: { show() {} },
      logger: silent,
      environment: { platform: process.platform, homedir: home, env: { PATH: '' } },
      configDir: path.join(dir, 'config'),
      overrides,
      transport: 'web',
      appVersion: '0.0.0-test',
      which: async () => null,
      diskSpace: {
        async freeSpace(folder) {
          asked.push(folder);
          return { freeBytes: 7 * GB, totalBytes: 100 * GB };
        },
      },
    });
    await instance.start({ waitForFirstCheck: false });
    return { instance, asked, models };
  }

  it('answers with the free space of the folder LM Studio downloads to', async () => {
    // A local address where nothing listens: LM Studio is local (and down).
    const { instance, asked, models } = await core({ baseUrl: 'http://127.0.0.1:9' });
    try {
      const result = await instance.invoke('downloads:disk-space', undefined);
      expect(result).toEqual({
        ok: true,
        value: {
          known: true,
          space: { folder: models, freeBytes: 7 * GB, totalBytes: 100 * GB, checkedAt: expect.any(Number) },
        },
      });
      expect(asked).toEqual([models]);
    } finally {
      await instance.shutdown();
    }
  });

  it('answers why not when the setting is off', async () => {
    const { instance, asked } = await core({ baseUrl: 'http://127.0.0.1:9', checkDiskSpace: false });
    try {
      expect(await instance.invoke('downloads:disk-space', undefined)).toEqual({
        ok: true,
        value: { known: false, reason: 'The disk space check is switched off in the settings.' },
      });
      expect(asked).toEqual([]);
    } finally {
      await instance.shutdown();
    }
  });
});
