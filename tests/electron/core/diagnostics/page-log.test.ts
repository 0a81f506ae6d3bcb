import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPageLog, PAGE_LOG_MAX_CHARS, pageMessage } from '../../../../electron/core/diagnostics/page-log';
import { systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createPageLog', () => {
  it('logs the page warnings and errors prefixed popup:, at their level', () => {
    const logger = recordingLogger();
    const log = createPageLog({ logger, clock: systemClock });
    log.write('warn', 'React: key missing');
    log.write('error', 'Uncaught TypeError: x is undefined');
    expect(logger.lines).toEqual(['warn popup: React: key missing', 'error popup: Uncaught TypeError: x is undefined']);
  });

  it('takes 20 a minute, then says once how many were dropped, when the minute ends', () => {
    const logger = recordingLogger();
    const log = createPageLog({ logger, clock: systemClock });
    for (let index = 0; index < 250; index++) log.write('error', `render failed ${index}`);
    expect(logger.lines).toHaveLength(20);
    expect(logger.lines.at(-1)).toBe('error popup: render failed 19');
    vi.advanceTimersByTime(60_000);
    expect(logger.lines.at(-1)).toBe('warn popup: 230 more messages dropped (at most 20 a minute)');
    // A new minute: the page may speak again.
    log.write('warn', 'again');
    expect(logger.lines.at(-1)).toBe('warn popup: again');
    expect(logger.lines).toHaveLength(22);
  });

  it('says what it dropped when the app stops before the minute ends', () => {
    const logger = recordingLogger();
    const log = createPageLog({ logger, clock: systemClock, perMinute: 1 });
    log.write('warn', 'one');
    log.write('warn', 'two');
    log.stop();
    expect(logger.lines).toEqual(['warn popup: one', 'warn popup: 1 more message dropped (at most 1 a minute)']);
    vi.advanceTimersByTime(120_000);
    expect(logger.lines).toHaveLength(2);
  });
});

describe('pageMessage', () => {
  it('keeps a message on one line, without control characters, capped', () => {
    expect(pageMessage('line one\nforged 2026-01-01T00:00:00Z ERROR\u001b[2J line\u0000')).toBe(
      'line one forged 2026-01-01T00:00:00Z ERROR [2J line',
    );
    const long = pageMessage('z'.repeat(5000));
    expect(long.startsWith('z'.repeat(PAGE_LOG_MAX_CHARS))).toBe(true);
    expect(long.endsWith(`… (${5000 - PAGE_LOG_MAX_CHARS} more characters)`)).toBe(true);
  });
});
