/**
 * Byte-exact text pieces of the `lms` CLI, shared by the fake `lms` and the tests that assert its
 * output. Each mirrors the real helper named in its comment (lmstudio-ai/lms `src/...`).
 */

/** The spinner frames of `Spinner.ts` and `ProgressBar.ts`. */
export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

/** `formatSizeBytes1000`: base 1000, two decimals, whole bytes below 1 KB. */
export function formatSizeBytes1000(sizeBytes: number): string {
  const kB = 1000;
  const mB = 1000 * kB;
  const gB = 1000 * mB;
  const tB = 1000 * gB;
  if (sizeBytes < kB) return `${sizeBytes} B`;
  if (sizeBytes < mB) return `${(sizeBytes / kB).toFixed(2)} KB`;
  if (sizeBytes < gB) return `${(sizeBytes / mB).toFixed(2)} MB`;
  if (sizeBytes < tB) return `${(sizeBytes / gB).toFixed(2)} GB`;
  return `${(sizeBytes / tB).toFixed(2)} TB`;
}

/**
 * `formatSizeBytes1024` (lms `src/formatBytes.ts`, as lmstudio-protocol-2.md §2 quotes it): base
 * 1024, two decimals, units `Bytes|KiB|MiB|GiB|TiB`; 0 is `0 Bytes`. E.g. `4.58 GiB`.
 */
export function formatSizeBytes1024(sizeBytes: number): string {
  if (sizeBytes === 0) return '0 Bytes';
  const units = ['Bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = sizeBytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

/** `downloadPbUpdater.formatRemainingTime`: `mm:ss`, `hh:mm:ss` past an hour; `Infinity:NaN:NaN` at speed 0. */
export function formatRemainingTime(timeSeconds: number): string {
  const seconds = timeSeconds % 60;
  const minutes = Math.floor(timeSeconds / 60) % 60;
  const hours = Math.floor(timeSeconds / 3600);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (hours > 0) return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
  return `${pad(minutes)}:${pad(seconds)}`;
}

/** `formatElapsedTime`: `12.34ms`, `5.32s`, `1m 2.00s`, `1h 0m 1.00s`. */
export function formatElapsedTime(timeMs: number): string {
  const sec = 1000;
  const min = 60 * sec;
  const hour = 60 * min;
  const segments: string[] = [];
  let rest = timeMs;
  let started = false;
  if (rest >= hour) {
    const hours = Math.floor(rest / hour);
    segments.push(`${hours}h`);
    rest -= hours * hour;
    started = true;
  }
  if (rest >= min || started) {
    const minutes = Math.floor(rest / min);
    segments.push(`${minutes}m`);
    rest -= minutes * min;
    started = true;
  }
  if (rest >= sec || started) {
    segments.push(`${(rest / sec).toFixed(2)}s`);
    started = true;
  }
  if (!started) segments.push(`${rest.toFixed(2)}ms`);
  return segments.join(' ');
}

/** `ProgressBar.drawBar`: full blocks, then one partial block (even at 0), then spaces. */
export function drawBar(ratio: number, totalBlocks: number): string {
  if (ratio === 1) return '█'.repeat(totalBlocks);
  const completedBlocks = Math.floor(ratio * totalBlocks);
  const ratioPerBlock = 1 / totalBlocks;
  const partialBlock = Math.floor(((ratio % ratioPerBlock) / ratioPerBlock) * 8);
  return `${'█'.repeat(completedBlocks)}${'▏▎▍▌▋▊▉█'.charAt(partialBlock)}${' '.repeat(totalBlocks - completedBlocks - 1)}`;
}

/**
 * The separate `write()` calls of one `ProgressBar.refresh()`. Joined they read
 * `\x1b[?25l\x1b[s{\x1b[2K}\r⠋ [bar] 29.08% | text          \x1b[u`.
 */
export function progressBarWrites(options: {
  ratio: number;
  text: string;
  spinnerIndex: number;
  totalBlocks: number;
  clearLine: boolean;
}): string[] {
  const writes = ['\x1b[?25l', '\x1b[s'];
  if (options.clearLine) writes.push('\x1b[2K');
  writes.push(`\r${SPINNER_FRAMES[options.spinnerIndex % SPINNER_FRAMES.length]} [`);
  writes.push(drawBar(options.ratio, options.totalBlocks));
  writes.push(`] ${(options.ratio * 100).toFixed(2)}%`);
  if (options.text) writes.push(` | ${options.text}`);
  writes.push('          \x1b[u');
  return writes;
}

/** What `ProgressBar.stop()` writes: clear the line, column 1, show the cursor. */
export const PROGRESS_BAR_STOP = '\x1b[2K\x1b[1G\x1b[?25h';
/** What `Spinner.stop()` writes. */
export const SPINNER_STOP = '\r\x1b[K\x1b[?25h';

/**
 * `createDownloadPbUpdater`: each size is padded to the longest string seen so far for that field
 * (at least 6 characters). Returns a function from one progress update to the bar's text.
 */
export function createDownloadTextFormatter(): (update: {
  downloadedBytes: number;
  totalBytes: number;
  speedBytesPerSecond: number;
}) => string {
  let longestDownloaded = 6;
  let longestTotal = 6;
  let longestSpeed = 6;
  return ({ downloadedBytes, totalBytes, speedBytesPerSecond }) => {
    const downloaded = formatSizeBytes1000(downloadedBytes);
    longestDownloaded = Math.max(longestDownloaded, downloaded.length);
    const total = formatSizeBytes1000(totalBytes);
    longestTotal = Math.max(longestTotal, total.length);
    const speed = formatSizeBytes1000(speedBytesPerSecond);
    longestSpeed = Math.max(longestSpeed, speed.length);
    const timeLeftSeconds = Math.round((totalBytes - downloadedBytes) / speedBytesPerSecond);
    return `${downloaded.padStart(longestDownloaded)} / ${total.padStart(longestTotal)} | ${speed.padStart(longestSpeed)}/s | ETA ${formatRemainingTime(timeLeftSeconds)}`;
  };
}

/** One line of the download plan: `\r` + line + erase-to-end + newline (piped output appends). */
export function planLine(line: string): string {
  return `\r${line}\x1b[0K\n`;
}
