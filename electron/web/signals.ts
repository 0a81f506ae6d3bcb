/**
 * How web mode stops: the first SIGINT/SIGTERM/SIGHUP shuts down cleanly and exits 0; a later
 * one while that runs exits at once (the user asked twice); a shutdown that hangs is cut short.
 *
 * One Ctrl-C can arrive more than once: the terminal signals the whole foreground process group,
 * so under `npm run web` node gets its own SIGINT and then npm's forwarded copy. Signals within
 * `SAME_REQUEST_MS` of the first are therefore the same request; only a later one forces.
 */
import type { Logger } from '../core/ports';

/** SIGHUP: the terminal was closed (Node emits it on Windows too, when the console closes). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];
const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** Long enough for a parent's forwarded copy of the same Ctrl-C, shorter than a person pressing twice. */
export const SAME_REQUEST_MS = 500;

/** The parts of `process` this needs, so tests pass a fake and no real signal is sent. */
export interface SignalTarget {
  on(signal: StopSignal, listener: (signal: StopSignal) => void): unknown;
  off(signal: StopSignal, listener: (signal: StopSignal) => void): unknown;
  exit(code: number): void;
}

export interface StopOnSignalsOptions {
  /** Shuts everything down; exit 0 when it resolves, 1 when it rejects. */
  stop: () => Promise<void>;
  logger: Logger;
  /** After this long, exit 1 without waiting any more. */
  timeoutMs: number;
  target?: SignalTarget;
  /** Milliseconds since some fixed point (tests pass a fake clock). */
  now?: () => number;
}

/** Installs the handlers; returns a function that removes them. */
export function stopOnSignals(options: StopOnSignalsOptions): () => void {
  const { stop, logger, timeoutMs } = options;
  const target: SignalTarget = options.target ?? process;
  const now = options.now ?? (() => performance.now());
  let firstSignalAt: number | null = null;
  const onSignal = (signal: StopSignal) => {
    if (firstSignalAt !== null) {
      if (now() - firstSignalAt <= SAME_REQUEST_MS) {
        logger.debug(`${signal} again within ${SAME_REQUEST_MS} ms: the same request to stop.`);
        return;
      }
      logger.warn(`${signal} again: exiting without waiting for the shutdown to finish.`);
      target.exit(128 + SIGNAL_NUMBERS[signal]);
      return;
    }
    firstSignalAt = now();
    logger.info(`${signal}: stopping LM Studio Tray…`);
    const timer = setTimeout(() => {
      logger.error(`Stopping took more than ${timeoutMs / 1000} s; exiting anyway.`);
      target.exit(1);
    }, timeoutMs);
    timer.unref?.();
    stop().then(
      () => {
        clearTimeout(timer);
        target.exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error('Stopping failed', error);
        target.exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) target.on(signal, onSignal);
  return () => {
    for (const signal of STOP_SIGNALS) target.off(signal, onSignal);
  };
}
