import type { Clock } from './ports';

/** A throttle that keeps only the latest value. */
export interface Coalescer<T> {
  /** Offers a value: emitted at once if the last emit is old enough, else kept for the trailing emit. */
  push(value: T): void;
  /** Emits a pending value now (e.g. before shutdown), if any. */
  flush(): void;
  /** Drops any pending value and its timer. */
  cancel(): void;
}

/**
 * Coalesces a burst of values into at most `maxPerSecond` emits a second, always ending with a
 * trailing emit of the latest value, so a progress stream redrawn every 50 ms reaches the page
 * at a human rate and its final state is never lost. Time comes from the injected clock.
 */
export function createCoalescer<T>(
  emit: (value: T) => void,
  options: { clock: Clock; maxPerSecond: number },
): Coalescer<T> {
  const { clock } = options;
  const intervalMs = 1000 / options.maxPerSecond;
  let lastEmitAt = Number.NEGATIVE_INFINITY;
  let pending: { value: T } | null = null;
  let timer: unknown = null;

  const fire = () => {
    timer = null;
    if (!pending) return;
    const { value } = pending;
    pending = null;
    lastEmitAt = clock.now();
    emit(value);
  };

  return {
    push(value) {
      pending = { value };
      if (timer !== null) return;
      const wait = lastEmitAt + intervalMs - clock.now();
      if (wait <= 0) fire();
      else timer = clock.setTimeout(fire, wait);
    },
    flush() {
      if (timer !== null) clock.clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}
