/**
 * Web mode's launcher as a test starts it: its own process group (so everything it leaves behind
 * can be found and killed after it exits), a minimal environment, and its output collected.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { expect, vi } from 'vitest';
import { noteSecret } from '../../robustness/secrets/canaries';

/** Generous: the first run builds the popup with vite. */
export const START_TIMEOUT_MS = 120_000;

export interface LauncherRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnLauncher(options: {
  /** The launcher script, run with node; or an npm script, run as a user types it (`npm run web -- ARGS`). */
  launcher: string | { npmScript: string };
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Every child started, for the test's cleanup. */
  started: ChildProcess[];
}): LauncherRun {
  const [file, args] =
    typeof options.launcher === 'string'
      ? [process.execPath, [options.launcher, ...options.args]]
      : ['npm', ['run', '--silent', options.launcher.npmScript, '--', ...options.args]];
  const child = spawn(file, args, {
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

/** Waits for web mode's `Open http://127.0.0.1:PORT/?token=...` line; fails at once if it exited. */
export async function waitForOpenLine(run: LauncherRun): Promise<{ url: string; port: number; token: string }> {
  let match: RegExpExecArray | null = null;
  await vi.waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`the CLI exited early:\n${run.stderr()}`);
      match = /^Open (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+))$/m.exec(run.stdout());
      expect(match, `no Open line yet; stderr so far:\n${run.stderr()}`).not.toBeNull();
    },
    { timeout: START_TIMEOUT_MS, interval: 100 },
  );
  const [, url, port, token] = match as unknown as [string, string, string, string];
  noteSecret(token);
  return { url, port: Number(port), token };
}
