/**
 * `app:log`: the page's own warnings and errors, into this process's log, prefixed `popup:`.
 *
 * A page is not trusted to be quiet (a render loop can throw a thousand times a second, and in
 * web mode anyone with the token can send): at most PAGE_LOG_PER_MINUTE messages a minute, then
 * one line saying how many were dropped; each message on one line (control characters gone) and
 * at most PAGE_LOG_MAX_CHARS long.
 */
import type { Clock, Logger } from '../ports';

export const PAGE_LOG_PER_MINUTE = 20;
export const PAGE_LOG_MAX_CHARS = 1_000;
const WINDOW_MS = 60_000;

export interface PageLog {
  write(level: 'warn' | 'error', message: string): void;
  /** Says what was dropped and ends the timer (at shutdown). */
  stop(): void;
}

export function createPageLog(options: { logger: Logger; clock: Clock; perMinute?: number }): PageLog {
  const { logger, clock } = options;
  const perMinute = options.perMinute ?? PAGE_LOG_PER_MINUTE;
  let windowStart = Number.NEGATIVE_INFINITY;
  let written = 0;
  let dropped = 0;
  let timer: unknown = null;

  function reportDropped(): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    if (dropped === 0) return;
    logger.warn(
      `popup: ${dropped} more ${dropped === 1 ? 'message' : 'messages'} dropped (at most ${perMinute} a minute)`,
    );
    dropped = 0;
  }

  return {
    write(level, message) {
      const now = clock.now();
      if (now - windowStart >= WINDOW_MS) {
        reportDropped();
        windowStart = now;
        written = 0;
      }
      if (written >= perMinute) {
        dropped++;
        // Said when the minute is over, even if the page says nothing more.
        timer ??= clock.setTimeout(reportDropped, windowStart + WINDOW_MS - now);
        return;
      }
      written++;
      logger[level](`popup: ${pageMessage(message)}`);
    },
    stop: reportDropped,
  };
}

/** One line, no control characters, capped. */
export function pageMessage(message: string): string {
  const flat = message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  if (flat.length <= PAGE_LOG_MAX_CHARS) return flat;
  let end = PAGE_LOG_MAX_CHARS;
  if (/[\ud800-\udbff]/.test(flat[end - 1]!)) end -= 1;
  return `${flat.slice(0, end)}… (${flat.length - end} more characters)`;
}
