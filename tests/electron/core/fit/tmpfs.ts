/**
 * A real small filesystem for the disk checks: a tmpfs, which only root may mount (as CI runs),
 * and only where the kernel or container allows it. Shared by the disk guard's tmpfs test and
 * the browser journey of the disk refusal; each reports "not run" with the probe's reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a tmpfs of `size` (`64m`, `3g`) on `dir`; the error in words when the system refuses. */
export function mountTmpfs(dir: string, size: string): string | null {
  const run = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (run.error) return run.error.message;
  if (run.status === 0) return null;
  // The first line says why (`permission denied.`); the next only points at dmesg.
  return run.stderr.trim().split('\n')[0] || `mount exited with ${run.status}`;
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir]);
}

/** Whether this machine lets a test mount a tmpfs, tried once with a tiny one; else why not. */
export function tmpfsProbe(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'tmpfs is Linux only' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'mounting a tmpfs needs root' };
  const dir = mkdtempSync(join(tmpdir(), 'tmpfs-probe-'));
  const refused = mountTmpfs(dir, '1m');
  if (refused === null) unmount(dir);
  rmdirSync(dir);
  return refused === null ? { ok: true } : { ok: false, reason: `mount was refused: ${refused}` };
}
