/**
 * The page's own warnings and errors, sent to this process's log file (`app:log`): uncaught
 * errors, unhandled rejections, and what the page's alerts told the user (lost contact with the
 * tray app among them: the web bridge reports it as a refusal, Electron's as a rejection). Rate-limited here
 * too (the core limits again), so a page that throws in a loop cannot flood the log or the link.
 * Loaded on demand by main.tsx: an error in the very first moments is not logged.
 */
import type { Bridge } from '../../electron/shared/contract';
import type { TrayStore } from './store';

/** At most this many messages per minute leave the page; the rest are counted and said once. */
export const PAGE_LOG_PER_MINUTE = 10;
const MAX_CHARS = 2000;
/** Messages that could not be sent (the transport was down), sent when the core is back. */
const MAX_UNSENT = 5;

export interface PageLogHost {
  target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  now: () => number;
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  return typeof reason === 'string' ? reason : String(reason);
}

/** Starts sending; returns the function that stops it. */
export function startPageLog(
  bridge: Bridge,
  store: TrayStore,
  host: PageLogHost = { target: window, now: () => Date.now() },
): () => void {
  let windowStart = -Infinity;
  let sentInWindow = 0;
  let dropped = 0;
  let unsent: Array<{ level: 'warn' | 'error'; message: string }> = [];

  const send = (level: 'warn' | 'error', message: string): void => {
    const entry = { level, message: message.slice(0, MAX_CHARS) };
    const keep = () => {
      if (unsent.length < MAX_UNSENT) unsent.push(entry);
    };
    // No contact (the web bridge answers `unavailable` between reconnects): kept for when it is back.
    bridge.invoke('app:log', entry).then((result) => {
      if (!result.ok && result.error.code === 'unavailable') keep();
    }, keep);
  };

  const log = (level: 'warn' | 'error', message: string): void => {
    const now = host.now();
    if (now - windowStart >= 60_000) {
      if (dropped > 0) send('warn', `The page left out ${dropped} more warnings in the last minute.`);
      windowStart = now;
      sentInWindow = 0;
      dropped = 0;
    }
    if (sentInWindow >= PAGE_LOG_PER_MINUTE) {
      dropped += 1;
      return;
    }
    sentInWindow += 1;
    send(level, message);
  };

  const onError = (event: Event) => {
    const { message, filename, lineno, error } = event as ErrorEvent;
    log('error', error ? describeReason(error) : `${message} (${filename}:${lineno})`);
  };
  const onRejection = (event: Event) =>
    log('error', `Unhandled rejection: ${describeReason((event as PromiseRejectionEvent).reason)}`);
  host.target.addEventListener('error', onError);
  host.target.addEventListener('unhandledrejection', onRejection);

  const unsubscribe = store.subscribe((state, previous) => {
    for (const error of state.errors) if (!previous.errors.includes(error)) log('warn', error.message);
    if (state.snapshotError && state.snapshotError !== previous.snapshotError) log('warn', state.snapshotError);
    // A status from the core means it is reachable again: what could not be sent goes now.
    if (state.status !== previous.status && unsent.length > 0) {
      const again = unsent;
      unsent = [];
      for (const entry of again) send(entry.level, entry.message);
    }
  });

  return () => {
    host.target.removeEventListener('error', onError);
    host.target.removeEventListener('unhandledrejection', onRejection);
    unsubscribe();
  };
}
