/**
 * A clock that runs in real time but can jump ahead: `runNext()` moves time to the next timer
 * and fires it at once. Real child processes keep doing real I/O meanwhile, so a test can make a
 * 120 s silence limit or a 2 s grace pass without waiting for it, and without vitest's fake
 * timers (which would also freeze the I/O callbacks the runner depends on).
 */
import type { Clock } from '../../../electron/core/ports';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
  /** Set for intervals: the period to re-arm with. */
  every: number | null;
  real: ReturnType<typeof setTimeout>;
}

export interface JumpClock extends Clock {
  /** Moves time to the earliest pending timer and fires every timer then due; false when none is pending. */
  runNext(): boolean;
  /** How far ahead the earliest pending timer is (ms), or null when none is pending. */
  untilNext(): number | null;
  pending(): number;
}

export function createJumpClock(): JumpClock {
  let offset = 0;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const now = () => Date.now() + offset;

  function fire(timer: Timer): void {
    clearTimeout(timer.real);
    if (timer.every === null) timers.delete(timer.id);
    else arm(timer, timer.every);
    timer.fn();
  }

  function arm(timer: Timer, ms: number): void {
    timer.due = now() + ms;
    timer.real = setTimeout(() => fire(timer), Math.max(0, timer.due - now()));
    timers.set(timer.id, timer);
  }

  function add(fn: () => void, ms: number, every: number | null): number {
    const timer = { id: nextId++, due: 0, fn, every, real: undefined as unknown as ReturnType<typeof setTimeout> };
    arm(timer, Math.max(0, ms));
    return timer.id;
  }

  function remove(handle: unknown): void {
    const timer = timers.get(handle as number);
    if (!timer) return;
    clearTimeout(timer.real);
    timers.delete(timer.id);
  }

  return {
    now,
    setTimeout: (fn, ms) => add(fn, ms, null),
    clearTimeout: remove,
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
    clearInterval: remove,
    runNext() {
      if (timers.size === 0) return false;
      const earliest = Math.min(...[...timers.values()].map((timer) => timer.due));
      offset += Math.max(0, earliest - now());
      for (const timer of [...timers.values()].sort((a, b) => a.due - b.due)) {
        if (timer.due <= now() && timers.has(timer.id)) fire(timer);
      }
      return true;
    },
    pending: () => timers.size,
    untilNext: () =>
      timers.size === 0 ? null : Math.max(0, Math.min(...[...timers.values()].map((timer) => timer.due)) - now()),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for `promise`, jumping the clock to its next timer whenever nothing happened for a
 * moment of real time (the child's I/O gets that moment first). Gives up after `maxRounds`
 * such moments (a hang of the code under test, reported as such).
 */
export async function settleWithJumps<T>(promise: Promise<T>, clock: JumpClock, maxRounds = 500): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  for (let round = 0; !settled; round += 1) {
    if (round >= maxRounds) throw new Error(`still not settled after ${maxRounds} rounds of the clock`);
    await pause(20);
    const ahead = clock.untilNext();
    if (settled || ahead === null) continue;
    // The longer the jump, the more a real process would have done meanwhile: let it (a busy
    // machine may need a while to deliver an exit), up to a quarter of a second.
    await pause(Math.min(250, ahead / 20));
    if (!settled) clock.runNext();
  }
  return watched;
}
