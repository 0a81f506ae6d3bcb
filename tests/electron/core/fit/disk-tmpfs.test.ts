/**
 * The disk guard on a real small filesystem: a 64 MB tmpfs as LM Studio's downloadsFolder,
 * measured by the production `nodeDiskSpace` (statfs). The floor and the margin's minimum are
 * scaled down (16 MB and 8 MB) so 64 MB can exercise them: a 10 MB write fits, a 100 MB one is
 * refused with the figures statfs gives (and would indeed have failed with ENOSPC), and filling
 * the filesystem wakes `watch`.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDiskGuard, formatDiskSize } from '../../../../electron/core/fit/disk';
import type { DiskGuard } from '../../../../electron/core/interfaces';
import { nodeDiskSpace, nodeFileSystem, systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import type { DiskSpace } from '../../../../electron/shared/contract';
import { mountTmpfs, tmpfsProbe, unmount } from './tmpfs';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const TMPFS_BYTES = 64 * 1024 * 1024;
const FLOOR_BYTES = 16_000_000;
const MIN_MARGIN_BYTES = 8_000_000;

const probe = tmpfsProbe();
const title = 'the disk guard on a 64 MB tmpfs';

// Runs only as root on Linux where the kernel lets us mount a tmpfs (as CI does); elsewhere
// vitest reports it skipped, with the reason in its title, never passed. disk.test.ts covers
// every rule with an injected filesystem port.
describe.runIf(probe.ok)(probe.ok ? title : `${title} (not run: ${probe.reason})`, () => {
  let root: string;
  let mountPoint: string;
  let mounted = false;
  let folder: string;
  let guard: DiskGuard;
  /** statfs calls so far, to wait for the watch's next measurements. */
  let measurements = 0;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'disk-tmpfs-'));
    mountPoint = path.join(root, 'small-disk');
    await nodeFileSystem.mkdir(mountPoint);
    const refused = mountTmpfs(mountPoint, '64m');
    if (refused !== null) throw new Error(`Could not mount the tmpfs: ${refused}`);
    mounted = true;
    // LM Studio's chosen folder, not created yet: the guard measures the mount point above it.
    folder = path.join(mountPoint, 'lmstudio', 'models');
    const home = path.join(root, 'home', '.lmstudio');
    await nodeFileSystem.mkdir(home);
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ downloadsFolder: folder }));
    guard = createDiskGuard({
      fs: nodeFileSystem,
      diskSpace: {
        freeSpace(dir) {
          measurements += 1;
          return nodeDiskSpace.freeSpace(dir);
        },
      },
      clock: systemClock,
      logger: silent,
      platform: process.platform,
      home: () => home,
      isLocal: () => true,
      enabled: () => true,
      floorBytes: FLOOR_BYTES,
      minMarginBytes: MIN_MARGIN_BYTES,
      watchIntervalMs: 20,
    });
  });

  afterAll(async () => {
    if (mounted) unmount(mountPoint);
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function measured(): Promise<DiskSpace> {
    const answer = await guard.space();
    if (!answer.known) throw new Error(`space not known: ${answer.reason}`);
    return answer.space;
  }

  it("measures the tmpfs that will hold LM Studio's folder", async () => {
    const space = await measured();
    expect(space.folder).toBe(folder);
    expect(space.totalBytes).toBe(TMPFS_BYTES);
    expect(space.freeBytes).toBeLessThanOrEqual(TMPFS_BYTES);
    expect(space.freeBytes).toBeGreaterThan(TMPFS_BYTES - 1_000_000);
  });

  it('lets a 10 MB write through, and it fits', async () => {
    expect(await guard.refusal(10_000_000)).toBeNull();
    await writeFile(path.join(mountPoint, 'ten-megabytes.gguf'), Buffer.alloc(10_000_000, 1));
    expect((await measured()).freeBytes).toBeLessThan(TMPFS_BYTES - 10_000_000);
  });

  it('refuses a 100 MB one with the figures statfs gives, and it would not have fit', async () => {
    const { freeBytes } = await measured();
    expect(await guard.refusal(100_000_000)).toEqual({
      message: `Not enough disk space: it needs 108 MB, ${formatDiskSize(freeBytes, 'down')} is free in ${folder}.`,
      neededBytes: 108_000_000,
      freeBytes,
      folder,
    });
    const tooBig = path.join(mountPoint, 'hundred-megabytes.gguf');
    await expect(writeFile(tooBig, Buffer.alloc(100_000_000, 1))).rejects.toMatchObject({ code: 'ENOSPC' });
    await unlink(tooBig);
  });

  it('calls onLow once the filesystem fills under the floor', async () => {
    const lows: DiskSpace[] = [];
    let told!: () => void;
    const toldOnce = new Promise<void>((resolve) => {
      told = resolve;
    });
    const stop = guard.watch((low) => {
      lows.push(low.space);
      told();
    });
    try {
      const { freeBytes } = await measured();
      expect(freeBytes).toBeGreaterThan(FLOOR_BYTES);
      // Leaves about 8 MB: under the 16 MB floor.
      await writeFile(path.join(mountPoint, 'filler.gguf'), Buffer.alloc(freeBytes - 8_000_000, 1));
      await toldOnce;
      // Three more measurements, still under the floor: the same drop is not told again.
      const seen = measurements;
      await vi.waitFor(() => expect(measurements).toBeGreaterThanOrEqual(seen + 3), { timeout: 10_000, interval: 10 });
      expect(lows).toHaveLength(1);
      expect(lows[0]).toMatchObject({ folder, totalBytes: TMPFS_BYTES });
      expect(lows[0]!.freeBytes).toBeLessThan(FLOOR_BYTES);
      // onLow may come while the filler is still being written: the refusal's figure is now's.
      const now = await measured();
      expect((await guard.refusal(null))?.message).toBe(
        `Only ${formatDiskSize(now.freeBytes, 'down')} is free in ${folder}: downloads need at least 16 MB free. Free some space, then try again.`,
      );
    } finally {
      stop();
    }
  });
});
