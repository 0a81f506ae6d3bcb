/**
 * The idle group finds web mode's `lms log stream` child through /proc: only a child of the
 * given process, only one running `log stream`, only the lms of the given home; gone once it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { logStreamChildPid } from '../../bench/lib/web-mode';

const HOME = '/tmp/lmstudio-sim-bench-test';
const children: ChildProcess[] = [];

/** A Node child idling with `args` on its command line, as `node HOME/.lmstudio/.internal/sim-lms.mjs ARGS` would. */
function idleChild(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)', `${HOME}/.lmstudio/bin/lms`, ...args], {
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = exited(child);
      child.kill('SIGKILL');
      await gone;
    }
  }
});

// Runs only on Linux (as CI): the lookup reads a process's children and command lines from /proc,
// which other systems do not have; the bench's idle group itself needs /proc the same way.
describe.runIf(process.platform === 'linux')('logStreamChildPid', () => {
  it("finds the child running the home's lms log stream, not its other lms children nor another home's (even one whose path starts the same)", async () => {
    idleChild(['ps', '--json']);
    idleChild(['log', 'streams']);
    const stream = idleChild(['log', 'stream', '--source', 'model', '--filter', 'input,output', '--json']);
    await expect.poll(() => logStreamChildPid(process.pid, HOME)).toBe(stream.pid);
    expect(await logStreamChildPid(process.pid, '/tmp/another-home')).toBeUndefined();
    expect(await logStreamChildPid(process.pid, HOME.slice(0, -1))).toBeUndefined();
  });

  it('finds nothing once the stream has exited', async () => {
    const stream = idleChild(['log', 'stream', '--json']);
    await expect.poll(() => logStreamChildPid(process.pid, HOME)).toBe(stream.pid);
    const gone = exited(stream);
    stream.kill('SIGTERM');
    await gone;
    expect(await logStreamChildPid(process.pid, HOME)).toBeUndefined();
  });
});
