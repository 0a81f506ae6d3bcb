/**
 * The registry of every child process the core starts, so that quitting ends them all and none
 * outlives the app (a stray `lms get` would keep a download's terminal session open for ever).
 */
import type { ChildProcess } from 'node:child_process';
import type { ProcessRegistry } from './interfaces';
import type { Clock, Logger } from './ports';

interface Tracked {
  label: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Creates a registry: `track` each child as it is spawned; it is forgotten when it exits. */
export function createProcessRegistry(options: { clock: Clock; logger: Logger }): ProcessRegistry {
  const { clock, logger } = options;
  const children = new Map<ChildProcess, Tracked>();

  function track(label: string, child: ChildProcess): void {
    if (children.has(child) || hasExited(child)) return;
    const exited = new Promise<void>((resolve) => {
      const forget = () => {
        children.delete(child);
        resolve();
      };
      child.once('exit', forget);
      // A child that failed to spawn emits `error` and never `exit`.
      child.on('error', () => {
        if (child.pid === undefined || hasExited(child)) forget();
      });
    });
    children.set(child, { label, child, exited });
  }

  function running(): Array<{ pid: number | undefined; label: string }> {
    return [...children.values()].map(({ child, label }) => ({ pid: child.pid, label }));
  }

  async function end({ label, child, exited }: Tracked, graceMs: number): Promise<void> {
    const timers: unknown[] = [];
    const after = (ms: number) =>
      new Promise<'timeout'>((resolve) => {
        timers.push(clock.setTimeout(() => resolve('timeout'), ms));
      });
    try {
      child.kill('SIGTERM');
      if ((await Promise.race([exited.then(() => 'exited' as const), after(graceMs)])) === 'exited') return;
      logger.warn(`${label} (pid ${child.pid}) ignored SIGTERM for ${graceMs} ms; sending SIGKILL.`);
      child.kill('SIGKILL');
      // SIGKILL cannot be ignored, but never let quitting hang on a process we cannot see exit.
      if ((await Promise.race([exited.then(() => 'exited' as const), after(graceMs)])) === 'timeout') {
        logger.error(`${label} (pid ${child.pid}) did not exit after SIGKILL; giving up on it.`);
        children.delete(child);
      }
    } finally {
      for (const timer of timers) clock.clearTimeout(timer);
    }
  }

  async function endAll(graceMs = 2000): Promise<void> {
    await Promise.all([...children.values()].map((tracked) => end(tracked, graceMs)));
  }

  return { track, running, endAll };
}
