/**
 * Text that depends on the clock ("unloads in 12 min"), kept current without re-rendering on a
 * timer: one timeout per change of the shown text, at the granularity it shows, and none while
 * the page is hidden (it catches up when shown again).
 */
import { useEffect, useReducer, useRef } from 'react';

const DAY_MS = 86_400_000;
/** How closely a change is found: the text is at most this late. */
const PRECISION_MS = 250;

/**
 * Milliseconds until `textAt` (a countdown: once its text changes, that text never comes back)
 * shows something else than at `nowMs`; null when nothing changes within a day.
 */
export function msUntilTextChanges(textAt: (nowMs: number) => string | null, nowMs: number): number | null {
  const current = textAt(nowMs);
  if (textAt(nowMs + DAY_MS) === current) return null;
  // Invariant: unchanged at `low`, changed at `high`.
  let low = 0;
  let high = DAY_MS;
  while (high - low > PRECISION_MS) {
    const middle = Math.floor((low + high) / 2);
    if (textAt(nowMs + middle) === current) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * `textAt(now)`, re-rendering the calling component only when that text changes. `textAt` must
 * be stable while its inputs are (wrap it in useCallback): a new one starts a new schedule.
 */
export function useLiveText(textAt: (nowMs: number) => string | null, doc: Document = document): string | null {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const text = textAt(Date.now());
  const shown = useRef(text);
  shown.current = text;

  // biome-ignore lint/correctness/useExhaustiveDependencies: each new text starts the wait for the next one
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stale = () => textAt(Date.now()) !== shown.current;
    const schedule = () => {
      clearTimeout(timer);
      timer = undefined;
      if (doc.visibilityState === 'hidden') return;
      const delay = msUntilTextChanges(textAt, Date.now());
      // Past a day, check again in a day: a long TTL still counts down to minutes.
      timer = setTimeout(() => (stale() ? rerender() : schedule()), delay ?? DAY_MS);
    };
    const onVisibilityChange = () => {
      if (doc.visibilityState !== 'hidden' && stale()) rerender();
      else schedule();
    };
    schedule();
    doc.addEventListener('visibilitychange', onVisibilityChange);
    return () => {
      clearTimeout(timer);
      doc.removeEventListener('visibilitychange', onVisibilityChange);
    };
  }, [textAt, text, doc]);

  return text;
}
