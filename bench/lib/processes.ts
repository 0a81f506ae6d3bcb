/**
 * The other processes the bench compares web mode with: anchor (a) and the minimal watcher as
 * processes of their own (bench/lib/fetch-poller.ts and bench/lib/minimal-watcher.ts bundled to
 * plain JavaScript, as such an app would ship), and a bare `node -e` HTTP server that prints a
 * line once it listens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT, stopGroup } from './web-mode';

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  /** spawn -> the ready line, ms. */
  startMs: number;
  stop: () => Promise<void>;
}

const FLOOR_SERVER =
  "require('http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', function () { console.log('Open http://127.0.0.1:' + this.address().port + '/'); });";

/** Spawns a process in its own group and waits for a stdout line matching `ready`. */
export async function spawnUntilLine(command: string, args: string[], ready: RegExp): Promise<StartedProcess> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let output = '';
  child.stdout!.setEncoding('utf8');
  const startMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} printed nothing matching ${ready} in 30 s`)), 30_000);
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}: ${output}`));
    });
  });
  return { child, pid: child.pid!, startMs, stop: () => stopGroup(child) };
}

export function startFloorServer(): Promise<StartedProcess> {
  return spawnUntilLine(process.execPath, ['-e', FLOOR_SERVER], /^Open /m);
}

/**
 * Bundles `entry` (TypeScript run at the top of a module, resolved from the project root) to
 * plain JavaScript, as such an app would ship, and runs it with `args` until it prints `ready`.
 */
async function startBundledProcess(entry: string, args: string[], ready: RegExp): Promise<StartedProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-bench-process-'));
  const outfile = path.join(dir, 'main.mjs');
  await build({
    stdin: { contents: entry, resolveDir: PROJECT_ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'silent',
  });
  const started = await spawnUntilLine(process.execPath, [outfile, ...args], ready);
  return {
    ...started,
    stop: async () => {
      await started.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Anchor (a) as its own Node process, polling `baseUrl`. */
export function startPollerProcess(baseUrl: string): Promise<StartedProcess> {
  return startBundledProcess(
    `import { startFetchPoller } from './bench/lib/fetch-poller.ts';\nstartFetchPoller(process.argv[2], 0);\nconsole.log('polling');\n`,
    [baseUrl],
    /^polling$/m,
  );
}

/** The idle CPU floor (bench/lib/minimal-watcher.ts) as its own Node process, watching `baseUrl`. */
export function startMinimalWatcherProcess(baseUrl: string, token: string): Promise<StartedProcess> {
  return startBundledProcess(
    `import { startMinimalWatcher } from './bench/lib/minimal-watcher.ts';\nstartMinimalWatcher(process.argv[2], process.argv[3]);\nconsole.log('watching');\n`,
    [baseUrl, token],
    /^watching$/m,
  );
}
