/**
 * Starts settings-driver.ts (or another driver of a shared file in this folder, such as
 * journal-driver.ts for downloads.json) as a child process: bundled once per test file with
 * esbuild into a temporary folder, then run with plain `node` as often as a suite likes. Each
 * child carries the suite's marker in its environment, so the suite can check that none
 * outlives it. Every driver speaks the same lines: `load`/`loaded`, `go`, `saving`, `done`,
 * `saved`, and `lost ...` when a change it has just saved is not in the file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll } from 'vitest';
import type { JournalEntry } from '../../../electron/core/interfaces';
import type { SettingsPatch } from '../../../electron/shared/contract';
import { MARKER_VARIABLE } from '../processes';

/** What journal-driver.ts does once told `go`: each step records an entry, or forgets one by id. */
export type JournalWork = Array<{ put: JournalEntry } | { remove: string }>;
/** What outages-driver.ts does once told `go`: each step opens or closes the outage of an address. */
export type OutageWork = Array<{ open: string; at: number } | { close: string; at: number }>;

export interface BundledDriver {
  file: string;
  remove(): Promise<void>;
}

export async function bundleSettingsDriver(entry = 'settings-driver.ts'): Promise<BundledDriver> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-settings-driver-'));
  const file = path.join(dir, entry.replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [path.join(import.meta.dirname, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    logLevel: 'silent',
    // `which` is CommonJS and requires Node's own modules: give the ES module a `require`.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface DriverRun {
  child: ChildProcess;
  /** Loads the store (which cleans up after any killed predecessor); resolves once it has. */
  load(): Promise<void>;
  /** Resolves once the driver printed this line (`saved` after its last save). */
  printed(line: string): Promise<void>;
  /** Starts the saves; resolves once `go` is handed to the system (not buffered in this process). */
  go(): Promise<void>;
  /** Everything the driver printed so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `work` is what the driver does once told `go`: the settings driver's patches, the journal driver's puts and removes. */
export function startSettingsDriver(
  driver: BundledDriver,
  configDir: string,
  work: SettingsPatch[] | JournalWork | OutageWork,
  marker: string,
): DriverRun {
  const child = spawn(process.execPath, [driver.file, configDir, JSON.stringify(work)], {
    env: { ...process.env, [MARKER_VARIABLE]: marker },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // A killed child closes its stdin pipe; a late `go` must not crash the suite with EPIPE.
  child.stdin?.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const printed = (line: string) => {
    const seen = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (`\n${stdout}`.includes(`\n${line}\n`)) resolve();
      };
      check();
      child.stdout?.on('data', check);
      void exited.then(() => {
        check();
        reject(new Error(`${path.basename(driver.file)} ended without printing "${line}": ${stdout}${stderr}`));
      });
    });
    seen.catch(() => {});
    return seen;
  };
  return {
    child,
    load: () => {
      child.stdin?.write('load\n');
      return printed('loaded');
    },
    printed,
    go: () => new Promise<void>((resolve) => child.stdin?.write('go\n', () => resolve())),
    output: () => stdout + stderr,
    exited,
  };
}

/**
 * Bundles the driver once for the test file that calls this (in its top level) and removes it
 * after; the returned function gives the bundle to the tests.
 */
export function bundledSettingsDriverForThisFile(entry?: string): () => BundledDriver {
  let driver: BundledDriver | undefined;
  beforeAll(async () => {
    driver = await bundleSettingsDriver(entry);
  }, 60_000);
  afterAll(async () => {
    await driver?.remove();
  });
  return () => {
    if (!driver) throw new Error('The driver is not bundled yet.');
    return driver;
  };
}
