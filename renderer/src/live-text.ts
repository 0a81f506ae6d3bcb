/**
 * Text that depends on the clock ("unloads in 12 min"), kept current without re-rendering on a
 * timer: one timeout per change of the shown text, at the granularity it shows, and none while
 * the page is hidden (it catches up when shown again).
 */
import {
  createContext,
  createElement,
  type ReactNode,
  useContext,
  useEffect,
  useReducer,
  useRef,
  useState,
} from 'react';

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

/** The clock live text renders by: the real one (read at each call, so fake timers apply), except in a first view rendered as of a fixed time. */
const realClock = () => Date.now();
const RenderClock = createContext<() => number>(realClock);

/**
 * Renders `children` as of `atMs` (web mode's first view, see renderer/src/first-view-server.tsx):
 * the server's HTML and the page's hydrating render then show the same text whatever their clocks
 * say. Once hydrated, the page switches to the real clock (the server never does: no effect runs there).
 */
export function RenderedAsOf({ atMs, children }: { atMs: number; children: ReactNode }) {
  const [clock, setClock] = useState(() => () => atMs);
  useEffect(() => setClock(() => realClock), []);
  return createElement(RenderClock.Provider, { value: clock }, children);
}

/** The clock to render by: the snapshot's time while a server-rendered first view hydrates, else the real one. */
export const useRenderClock = (): (() => number) => useContext(RenderClock);

/**
 * `textAt(now)`, re-rendering the calling component only when that text changes. `textAt` must
 * be stable while its inputs are (wrap it in useCallback): a new one starts a new schedule.
 * `doc` defaults to the page's document (read in an effect: a server render has none).
 */
export function useLiveText(textAt: (nowMs: number) => string | null, doc?: Document): string | null {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const now = useContext(RenderClock);
  const text = textAt(now());
  const shown = useRef(text);
  shown.current = text;

  // biome-ignore lint/correctness/useExhaustiveDependencies: each new text starts the wait for the next one
  useEffect(() => {
    const page = doc ?? document;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stale = () => textAt(Date.now()) !== shown.current;
    const schedule = () => {
      clearTimeout(timer);
      timer = undefined;
      if (page.visibilityState === 'hidden') return;
      const delay = msUntilTextChanges(textAt, Date.now());
      // Past a day, check again in a day: a long TTL still counts down to minutes.
      timer = setTimeout(() => (stale() ? rerender() : schedule()), delay ?? DAY_MS);
    };
    const onVisibilityChange = () => {
      if (page.visibilityState !== 'hidden' && stale()) rerender();
      else schedule();
    };
    schedule();
    page.addEventListener('visibilitychange', onVisibilityChange);
    return () => {
      clearTimeout(timer);
      page.removeEventListener('visibilitychange', onVisibilityChange);
    };
  }, [textAt, text, doc, now]);

  return text;
}
