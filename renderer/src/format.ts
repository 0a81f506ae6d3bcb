/**
 * Sizes, speeds and times written for people. Bytes use base 1000, as LM Studio shows them
 * ("4.92 GB"), so the popup and LM Studio agree on a model's size.
 */

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Three significant figures at most, without trailing zeros: 2.5, 12.1, 812. */
function compactNumber(value: number): string {
  const decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
  return String(Number(value.toFixed(decimals)));
}

/** `2.5 GB`, `84 MB`, `0 B`; an empty string for unknown or negative sizes. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes) || bytes < 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // 999.96 KB rounds to "1000 KB": show it as the next unit instead.
  if (unit < BYTE_UNITS.length - 1 && Number(compactNumber(value)) >= 1000) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? Math.round(value) : compactNumber(value)} ${BYTE_UNITS[unit]}`;
}

/** `25 MB/s`; empty when unknown. */
export function formatSpeed(bytesPerSecond: number | null | undefined): string {
  const bytes = formatBytes(bytesPerSecond);
  return bytes ? `${bytes}/s` : '';
}

/** A duration in the two largest units that matter: `45 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) {
    const rest = total % 60;
    return rest && minutes < 10 ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest ? `${days} d ${rest} h` : `${days} d`;
}

/** `2 min left`; empty when unknown (`lms` prints `ETA Infinity:NaN:NaN` before it knows). */
export function formatEta(etaSeconds: number | null | undefined): string {
  if (etaSeconds == null || !Number.isFinite(etaSeconds) || etaSeconds < 0) return '';
  return `${formatDuration(etaSeconds)} left`;
}

/**
 * When `targetMs` happens relative to `nowMs`, rounded the way people say it:
 * `in 12 min`, `in 2 h`, `5 min ago`, `just now`.
 */
export function formatRelativeTime(targetMs: number, nowMs: number): string {
  const deltaSeconds = (targetMs - nowMs) / 1000;
  const magnitude = Math.abs(deltaSeconds);
  if (magnitude < 30) return deltaSeconds >= 0 ? 'in a moment' : 'just now';
  let amount: string;
  if (magnitude < 60) amount = `${Math.round(magnitude)} s`;
  else if (magnitude < 3600) amount = `${Math.round(magnitude / 60)} min`;
  else if (magnitude < 86_400) {
    const hours = magnitude / 3600;
    amount = `${hours < 10 ? Number(hours.toFixed(1)) : Math.round(hours)} h`;
  } else amount = `${Math.round(magnitude / 86_400)} d`;
  return deltaSeconds >= 0 ? `in ${amount}` : `${amount} ago`;
}

/**
 * When a loaded instance's TTL will unload it: `unloads in 12 min`. Null when LM Studio gave no
 * TTL (`lms load` without `--ttl`) or never reported a last use.
 */
export function formatTtl(ttlMs: number | null, lastUsedTime: number | null, nowMs: number): string | null {
  if (ttlMs == null) return null;
  if (lastUsedTime == null) return `unloads ${formatDuration(ttlMs / 1000)} after last use`;
  const unloadAt = lastUsedTime + ttlMs;
  if (unloadAt <= nowMs) return 'unloads any moment';
  return `unloads ${formatRelativeTime(unloadAt, nowMs)}`;
}

/** Context lengths are powers of two in practice: `8K`, `128K`; other values in full (`4,000`). */
export function formatTokens(tokens: number | null | undefined): string {
  if (tokens == null || !Number.isFinite(tokens) || tokens <= 0) return '';
  if (tokens >= 1024 && tokens % 1024 === 0) {
    const k = tokens / 1024;
    return k >= 1024 && k % 1024 === 0 ? `${k / 1024}M` : `${k}K`;
  }
  return tokens.toLocaleString('en-US');
}

/** `42%` from 0..100, rounded down so a bar never claims 100% before it is done. */
export function formatPercent(percent: number | null | undefined): string {
  if (percent == null || !Number.isFinite(percent)) return '';
  return `${Math.floor(Math.min(100, Math.max(0, percent)))}%`;
}

/** Tokens per second as people read a speed: `37.5` below 100, `112` above (no false precision). */
export function formatRate(perSecond: number): string {
  const fine = perSecond.toFixed(1);
  return Number(fine) < 100 ? fine : String(Math.round(perSecond));
}
