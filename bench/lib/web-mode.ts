/**
 * Web mode as a user starts it: exactly what package.json's `web` script runs (read at run time,
 * so the bench follows changes to it), with `--no-open` and the simulator's address, timed from
 * spawn to the `Open` line. Also what /proc says about a process: CPU ticks, resident memory and
 * its `lms log stream` child.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '../../e2e/simulator/index';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPEN_LINE = /^Open (http:\/\/[^\s]+\/\?token=[^\s]+)$/m;

export interface WebModeRun {
  url: string;
  /** spawn -> the Open line, in ms. */
  startMs: number;
  /** The process that serves (the node behind `sh -c` / `exec`). */
  pid: () => Promise<number>;
  output: () => string;
  stop: () => Promise<void>;
}

export function webScript(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts.web;
  if (!script) throw new Error('package.json has no "web" script');
  return script;
}

/** Spawns `sh -c '<scripts.web> "$@"'` as `npm run web -- ARGS` does, in its own process group. */
export async function startWebMode(sim: Simulator, options: { lmsPath?: string } = {}): Promise<WebModeRun> {
  const configDir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-bench-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: sim.homeDir };
  delete env.LM_API_TOKEN;
  delete env.LMSTUDIO_TRAY_TOKEN;
  const args = [
    '--no-open',
    '--port',
    '0',
    '--base-url',
    sim.baseUrl,
    '--lms',
    options.lmsPath ?? sim.lmsPath,
    '--config-dir',
    configDir,
  ];
  const started = performance.now();
  const child = spawn('sh', ['-c', `${webScript()} "$@"`, 'sh', ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const stop = async () => {
    await stopGroup(child);
    await rm(configDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`web mode printed no Open line in 120 s:\n${output}`)), 120_000);
      child.stdout.on('data', () => {
        const found = output.match(OPEN_LINE);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`web mode exited with ${code} before serving:\n${output}`));
      });
    });
    const startMs = performance.now() - started;
    return { url, startMs, pid: () => servingPid(child.pid!), output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGINT to the group (as Ctrl+C does), SIGKILL after 15 s; resolves when the spawned process exited. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  signal('SIGINT');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Follows `sh` (and npm) down to the process that does the work: the first one that is not a shell. */
async function servingPid(pid: number): Promise<number> {
  let current = pid;
  for (let depth = 0; depth < 5; depth++) {
    const comm = (await readFile(`/proc/${current}/comm`, 'utf8')).trim();
    if (comm !== 'sh' && comm !== 'bash' && comm !== 'npm' && comm !== 'npm exec') return current;
    const children = (await readFile(`/proc/${current}/task/${current}/children`, 'utf8')).trim().split(/\s+/);
    const next = Number(children.at(-1));
    if (!Number.isInteger(next) || next <= 0) return current;
    current = next;
  }
  return current;
}

/** USER_HZ: /proc counts CPU time in these ticks; 100 on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory (VmRSS) in MB. */
export async function residentMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kb / 1024;
}

/** The children of every thread of `pid` (/proc/PID/task/TID/children). */
async function childPids(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const lists = await Promise.all(
    tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')),
  );
  return lists.flatMap((list) => list.trim().split(/\s+/).filter(Boolean).map(Number));
}

/**
 * The `lms log stream` child web mode (`webPid`) runs while LM Studio runs, found as its child
 * whose command line holds `log stream` and the simulator's home (where its fake lms lives):
 * undefined when there is none.
 */
export async function logStreamChildPid(webPid: number, simHomeDir: string): Promise<number | undefined> {
  for (const pid of await childPids(webPid)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    const streaming = args.some((arg, i) => arg === 'log' && args[i + 1] === 'stream');
    if (streaming && args.some((arg) => arg.startsWith(`${simHomeDir}${path.sep}`))) return pid;
  }
  return undefined;
}
