import { describe, expect, it } from 'vitest';
import {
  createDownloadTextFormatter,
  drawBar,
  formatElapsedTime,
  formatRemainingTime,
  formatSizeBytes1000,
  formatSizeBytes1024,
  planLine,
  progressBarWrites,
} from '../../../e2e/simulator/format';

describe('lms byte formatting', () => {
  it('formats sizes in base 1000 with two decimals, whole bytes below 1 KB', () => {
    expect(formatSizeBytes1000(0)).toBe('0 B');
    expect(formatSizeBytes1000(999)).toBe('999 B');
    expect(formatSizeBytes1000(1_500)).toBe('1.50 KB');
    expect(formatSizeBytes1000(25_100_000)).toBe('25.10 MB');
    expect(formatSizeBytes1000(4_230_000_000)).toBe('4.23 GB');
    expect(formatSizeBytes1000(1_200_000_000_000)).toBe('1.20 TB');
    expect(formatSizeBytes1024(2_497_280_256)).toBe('2.33 GiB');
  });

  it('formats the ETA as mm:ss, hh:mm:ss past an hour, and Infinity:NaN:NaN at speed 0', () => {
    expect(formatRemainingTime(120)).toBe('02:00');
    expect(formatRemainingTime(3_661)).toBe('01:01:01');
    expect(formatRemainingTime(Number.POSITIVE_INFINITY)).toBe('Infinity:NaN:NaN');
  });

  it('formats elapsed time like formatElapsedTime', () => {
    expect(formatElapsedTime(12.345)).toBe('12.35ms');
    expect(formatElapsedTime(5_320)).toBe('5.32s');
    expect(formatElapsedTime(62_000)).toBe('1m 2.00s');
    expect(formatElapsedTime(3_601_000)).toBe('1h 0m 1.00s');
  });

  it('draws 22 cells with one partial block, even at 0, and 22 full blocks at 1', () => {
    expect(drawBar(0.2908, 22)).toBe('██████▌               ');
    expect(drawBar(0, 22)).toBe('▏                     ');
    expect(drawBar(1, 22)).toBe('█'.repeat(22));
    for (const ratio of [0, 0.01, 0.5, 0.999]) expect([...drawBar(ratio, 22)]).toHaveLength(22);
  });

  it('reproduces the protocol file example frame byte for byte', () => {
    const text = createDownloadTextFormatter()({
      downloadedBytes: 1_230_000_000,
      totalBytes: 4_230_000_000,
      speedBytesPerSecond: 25_100_000,
    });
    const frame = progressBarWrites({ ratio: 0.2908, text, spinnerIndex: 0, totalBlocks: 22, clearLine: true }).join(
      '',
    );
    expect(frame).toBe(
      '\x1b[?25l\x1b[s\x1b[2K\r⠋ [██████▌               ] 29.08% | 1.23 GB / 4.23 GB | 25.10 MB/s | ETA 02:00          \x1b[u',
    );
  });

  it('pads each size field to the longest string it has shown (at least 6)', () => {
    const format = createDownloadTextFormatter();
    format({ downloadedBytes: 12_340_000_000, totalBytes: 14_000_000_000, speedBytesPerSecond: 125_000_000 });
    expect(format({ downloadedBytes: 500, totalBytes: 14_000_000_000, speedBytesPerSecond: 0 })).toBe(
      '   500 B / 14.00 GB |       0 B/s | ETA Infinity:NaN:NaN',
    );
  });

  it('writes NaN% for a total of 0 and plan lines with erase-to-end and a newline', () => {
    const frame = progressBarWrites({
      ratio: Number.NaN,
      text: '',
      spinnerIndex: 1,
      totalBlocks: 22,
      clearLine: false,
    });
    expect(frame.join('')).toContain('] NaN%          \x1b[u');
    expect(planLine('   ✓ Satisfied qwen/qwen3-4b')).toBe('\r   ✓ Satisfied qwen/qwen3-4b\x1b[0K\n');
  });
});
