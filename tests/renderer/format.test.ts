import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatEta,
  formatPercent,
  formatRelativeTime,
  formatSpeed,
  formatTokens,
  formatTtl,
} from '../../renderer/src/format';

describe('formatBytes', () => {
  it('uses base 1000 like LM Studio, with at most three significant figures', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(84_000_000)).toBe('84 MB');
    expect(formatBytes(2_500_000_000)).toBe('2.5 GB');
    expect(formatBytes(4_920_000_000)).toBe('4.92 GB');
    expect(formatBytes(12_110_000_000)).toBe('12.1 GB');
    expect(formatBytes(812_400)).toBe('812 KB');
    expect(formatBytes(1_500_000_000_000)).toBe('1.5 TB');
  });

  it('moves to the next unit instead of showing 1000', () => {
    expect(formatBytes(999_960)).toBe('1 MB');
  });

  it('says nothing for unknown sizes', () => {
    expect(formatBytes(null)).toBe('');
    expect(formatBytes(undefined)).toBe('');
    expect(formatBytes(Number.NaN)).toBe('');
    expect(formatBytes(-1)).toBe('');
  });
});

describe('formatSpeed and formatEta', () => {
  it('formats a speed per second', () => {
    expect(formatSpeed(25_000_000)).toBe('25 MB/s');
    expect(formatSpeed(null)).toBe('');
  });

  it('formats time left, and nothing for the ETA lms prints before it knows', () => {
    expect(formatEta(45)).toBe('45 s left');
    expect(formatEta(200)).toBe('3 min 20 s left');
    expect(formatEta(1500)).toBe('25 min left');
    expect(formatEta(3900)).toBe('1 h 5 min left');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('');
    expect(formatEta(null)).toBe('');
  });

  it('keeps durations to their two largest units', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(90_000)).toBe('1 d 1 h');
  });
});

describe('formatRelativeTime', () => {
  const now = 1_000_000_000;
  it('says when something happens, the way people say it', () => {
    expect(formatRelativeTime(now + 12 * 60_000, now)).toBe('in 12 min');
    expect(formatRelativeTime(now + 45_000, now)).toBe('in 45 s');
    expect(formatRelativeTime(now + 2 * 3_600_000, now)).toBe('in 2 h');
    expect(formatRelativeTime(now + 90 * 60_000, now)).toBe('in 1.5 h');
    expect(formatRelativeTime(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatRelativeTime(now + 3 * 86_400_000, now)).toBe('in 3 d');
    expect(formatRelativeTime(now - 10_000, now)).toBe('just now');
    expect(formatRelativeTime(now + 10_000, now)).toBe('in a moment');
  });
});

describe('formatTtl', () => {
  const now = 1_000_000_000;
  it('counts down from the last use', () => {
    expect(formatTtl(60 * 60_000, now - 48 * 60_000, now)).toBe('unloads in 12 min');
    expect(formatTtl(60_000, now - 120_000, now)).toBe('unloads any moment');
  });

  it('says nothing without a TTL and gives the TTL itself without a last use', () => {
    expect(formatTtl(null, now, now)).toBeNull();
    expect(formatTtl(3_600_000, null, now)).toBe('unloads 1 h after last use');
  });
});

describe('formatTokens and formatPercent', () => {
  it('shortens power-of-two context lengths', () => {
    expect(formatTokens(8192)).toBe('8K');
    expect(formatTokens(131_072)).toBe('128K');
    expect(formatTokens(1_048_576)).toBe('1M');
    expect(formatTokens(4000)).toBe('4,000');
    expect(formatTokens(null)).toBe('');
  });

  it('rounds percentages down and clamps them', () => {
    expect(formatPercent(99.9)).toBe('99%');
    expect(formatPercent(120)).toBe('100%');
    expect(formatPercent(null)).toBe('');
  });
});
