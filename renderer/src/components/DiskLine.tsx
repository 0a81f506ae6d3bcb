/**
 * A suggestion's disk line: `Needs 12.1 GB · 40 GB free`, or `Not enough disk: needs 12.1 GB,
 * 3.2 GB free`. Loaded on demand: it shows only once `downloads:disk-space` has answered, so its
 * code arrives while that answer does.
 */
import { DISK_FLOOR_BYTES, type DiskSpace, diskMarginBytes, fitsOnDisk } from '../../../electron/shared/contract';

/** Disk sizes as LM Studio shows them: GB of 1000^3, one decimal (`12.1 GB`, `40 GB`). */
export function formatGb(bytes: number): string {
  return `${Number((bytes / 1e9).toFixed(1))} GB`;
}

/** What a download of `sizeBytes` needs (its size and the margin the core keeps free) against the free space, by the core's rule. */
export function diskLine(sizeBytes: number, space: DiskSpace): { text: string; fits: boolean } {
  const needs = formatGb(sizeBytes + diskMarginBytes(sizeBytes));
  const free = formatGb(space.freeBytes);
  if (fitsOnDisk(sizeBytes, space.freeBytes)) return { text: `Needs ${needs} · ${free} free`, fits: true };
  const floor = space.freeBytes < DISK_FLOOR_BYTES ? ` (no download starts under ${formatGb(DISK_FLOOR_BYTES)})` : '';
  return { text: `Not enough disk: needs ${needs}, ${free} free${floor}`, fits: false };
}

export function DiskLine({ sizeBytes, space }: { sizeBytes: number; space: DiskSpace }) {
  const { text, fits } = diskLine(sizeBytes, space);
  return <div className={fits ? 'row__meta' : 'row__meta suggestion__disk--short'}>{text}</div>;
}
