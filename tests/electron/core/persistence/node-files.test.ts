import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../../../../electron/core/node-ports';
import {
  isProcessAlive,
  leftoverOwner,
  lockPathFor,
  removeLeftovers,
  withFileLock,
} from '../../../../electron/core/persistence/node-files';
import { createSharedFile } from '../../../../electron/core/persistence/shared-file';
import type { Logger } from '../../../../electron/core/ports';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const posix = process.platform !== 'win32';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'node-files-'));
  file = path.join(dir, 'settings.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A process id that is certainly free: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('withFileLock', () => {
  it('holds <file>.lock while the work runs and removes it after, even when the work fails', async () => {
    const seen = await withFileLock(file, async () => readFile(lockPathFor(file), 'utf8'));
    expect(seen).toMatch(new RegExp(`^${process.pid} [0-9a-f]+\\n$`));
    await expect(
      withFileLock(file, async () => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(await readdir(dir)).toEqual([]);
  });

  it('makes a second holder wait for the first', async () => {
    const order: string[] = [];
    let release!: () => void;
    const first = withFileLock(file, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      order.push('first out');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = withFileLock(file, async () => {
      order.push('second in');
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(order).toEqual(['first in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  it('breaks the lock of a process that died holding it', async () => {
    await writeFile(lockPathFor(file), `${await deadPid()} abcdef12\n`);
    expect(await withFileLock(file, async () => 'got it')).toBe('got it');
    expect(await readdir(dir)).toEqual([]);
  });

  it('breaks a lock whose process id was reused, once it is far older than any save', async () => {
    // Our own pid answers signal 0, as a reused pid would.
    await writeFile(lockPathFor(file), `${process.pid} abcdef12\n`);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(lockPathFor(file), longAgo, longAgo);
    expect(await withFileLock(file, async () => 'got it')).toBe('got it');
  });
});

describe('removeLeftovers', () => {
  it("removes a dead writer's temporary file and lock, and keeps a live writer's and other files", async () => {
    const dead = await deadPid();
    const names = {
      deadTemp: `.settings.json.${dead}.0badc0de.tmp`,
      deadStale: `.settings.json.lock.${dead}.0badc0de.stale`,
      liveTemp: `.settings.json.${process.pid}.0badc0de.tmp`,
      otherFile: `.downloads.json.${dead}.0badc0de.tmp`,
      backup: 'settings.json.corrupt-1700000000000',
    };
    for (const name of Object.values(names)) await writeFile(path.join(dir, name), 'x');
    await writeFile(file, '{}');
    await writeFile(lockPathFor(file), `${dead} 0badc0de\n`);
    const removed = await removeLeftovers(file);
    expect(removed.sort()).toEqual([names.deadStale, names.deadTemp, 'settings.json.lock'].sort());
    expect((await readdir(dir)).sort()).toEqual(
      [names.backup, names.liveTemp, names.otherFile, 'settings.json'].sort(),
    );
  });

  it('reads the owner only from names this module makes', () => {
    expect(leftoverOwner('settings.json', '.settings.json.123.abc.tmp')).toBe(123);
    expect(leftoverOwner('settings.json', '.settings.json.lock.123.abc.stale')).toBe(123);
    expect(leftoverOwner('settings.json', '.settings.json.1.partial.tmp')).toBeNull();
    expect(leftoverOwner('settings.json', 'settings.json.lock')).toBeNull();
    expect(leftoverOwner('settings.json', '.other.json.123.abc.tmp')).toBeNull();
  });

  it('knows a live process from a dead one', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(await deadPid())).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
  });
});

// POSIX only: Windows has no 0600/0700 modes to check.
describe.runIf(posix)('createSharedFile: modes', () => {
  it('creates new folders 0700 and new files 0600, whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      const nested = path.join(dir, 'config', 'lmstudio-tray');
      const shared = createSharedFile({ fs: nodeFileSystem, file: path.join(nested, 'settings.json'), logger: silent });
      await shared.locked((locked) => locked.write('{}\n'));
      expect((await stat(path.join(dir, 'config'))).mode & 0o777).toBe(0o700);
      expect((await stat(nested)).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(nested, 'settings.json'))).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('leaves an existing folder the user chose as it is', async () => {
    const chosen = path.join(dir, 'chosen');
    await nodeFileSystem.mkdir(chosen);
    await chmod(chosen, 0o755);
    const shared = createSharedFile({ fs: nodeFileSystem, file: path.join(chosen, 'settings.json'), logger: silent });
    await shared.locked((locked) => locked.write('{}\n'));
    expect((await stat(chosen)).mode & 0o777).toBe(0o755);
  });

  it('warns once, without changing it, when other users can write to the folder', async () => {
    const chosen = path.join(dir, 'shared-folder');
    await nodeFileSystem.mkdir(chosen);
    await chmod(chosen, 0o777);
    const warnings: string[] = [];
    const logger: Logger = { ...silent, warn: (message) => warnings.push(message) };
    const shared = createSharedFile({ fs: nodeFileSystem, file: path.join(chosen, 'settings.json'), logger });
    await shared.locked((locked) => locked.write('{}\n'));
    await shared.locked((locked) => locked.write('{}\n'));
    expect(warnings).toEqual([
      `${chosen} can be changed by other users (its mode is 0777), so they could replace settings.json. It is left as it is; chmod go-w would fix that.`,
    ]);
    expect((await stat(chosen)).mode & 0o777).toBe(0o777);
  });

  it('does not warn about a folder only its owner can write to, nor one with the sticky bit', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silent, warn: (message) => warnings.push(message) };
    const sticky = path.join(dir, 'sticky');
    await nodeFileSystem.mkdir(sticky);
    await chmod(sticky, 0o1777);
    for (const folder of [path.join(dir, 'own'), sticky]) {
      const shared = createSharedFile({ fs: nodeFileSystem, file: path.join(folder, 'settings.json'), logger });
      await shared.locked((locked) => locked.write('{}\n'));
    }
    expect(warnings).toEqual([]);
  });

  it('replaces a file that was 0644 by one that is 0600', async () => {
    await writeFile(file, '{}', { mode: 0o644 });
    const shared = createSharedFile({ fs: nodeFileSystem, file, logger: silent });
    await shared.locked((locked) => locked.write('{"a":1}\n'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await shared.read()).toBe('{"a":1}\n');
  });
});
