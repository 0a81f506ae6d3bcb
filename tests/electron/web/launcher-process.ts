/**
 * Web mode's launcher as a test starts it: its own process group (so everything it leaves behind
 * can be found and killed after it exits), a minimal environment, and its output collected.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

export interface LauncherRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnLauncher(options: {
  launcher: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Every child started, for the test's cleanup. */
  started: ChildProcess[];
}): LauncherRun {
  const child = spawn(process.execPath, [options.launcher, ...options.args], {
    cwd: options.cwd,
    // TMPDIR too: `npm test` gives the run its own, which the secret scan reads at the end.
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  options.started.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Pids of the processes in a process group (none once everything in it has exited). */
export function processGroup(pgid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}
