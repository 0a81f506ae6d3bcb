import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../electron/core/node-ports';
import type { Logger } from '../../../electron/core/ports';
import { createProcessRegistry } from '../../../electron/core/processes';

const started: ChildProcess[] = [];
const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

/** A real child that sleeps; `stubborn` ones ignore SIGTERM. Resolves once it is running its code. */
async function sleeper(options: { stubborn?: boolean } = {}): Promise<ChildProcess> {
  const code = `${options.stubborn ? "process.on('SIGTERM', () => {});" : ''} console.log('ready'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  await once(child.stdout!, 'data');
  return child;
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('createProcessRegistry', () => {
  it('tracks children and forgets them when they exit', async () => {
    const registry = createProcessRegistry({ clock: systemClock, logger });
    const child = await sleeper();
    registry.track('sleeper', child);
    expect(registry.running()).toEqual([{ pid: child.pid, label: 'sleeper' }]);
    child.kill('SIGTERM');
    await vi.waitFor(() => expect(registry.running()).toEqual([]));
  });

  it('does not track a child that has already exited', async () => {
    const registry = createProcessRegistry({ clock: systemClock, logger });
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await once(child, 'exit');
    registry.track('done', child);
    expect(registry.running()).toEqual([]);
  });

  it('forgets a child that failed to spawn', async () => {
    const registry = createProcessRegistry({ clock: systemClock, logger });
    const child = spawn('/nonexistent/lms', [], { stdio: 'ignore' });
    registry.track('missing', child);
    await once(child, 'error');
    expect(registry.running()).toEqual([]);
  });

  it('endAll ends every child with SIGTERM, and SIGKILL for those that ignore it; none survives', async () => {
    const registry = createProcessRegistry({ clock: systemClock, logger });
    const children = await Promise.all([sleeper(), sleeper(), sleeper({ stubborn: true })]);
    children.forEach((child, i) => {
      registry.track(`child ${i}`, child);
    });
    await registry.endAll(300);
    expect(registry.running()).toEqual([]);
    for (const child of children) expect(isAlive(child.pid)).toBe(false);
    expect(children.map((child) => child.signalCode)).toEqual(['SIGTERM', 'SIGTERM', 'SIGKILL']);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('ignored SIGTERM'));
  });

  it('endAll with nothing running resolves at once', async () => {
    const registry = createProcessRegistry({ clock: systemClock, logger });
    await expect(registry.endAll()).resolves.toBeUndefined();
  });
});
