/**
 * The simulator's temporary HOME: LM Studio's home folder with the files `lms` and the tray read
 * (`.lmstudio/.internal/http-server-config.json`) and the fake `lms` executable.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SimHome {
  homeDir: string;
  /** `homeDir/.lmstudio`: what `findLMStudioHome()` resolves to. */
  lmstudioHome: string;
  lmsPath: string;
  /** The models folder: `homeDir/models` when settings.json names it, else `lmstudioHome/models`. */
  modelsDir: string;
  /** Whether settings.json carries `downloadsFolder`. */
  downloadsFolderInSettings: boolean;
}

/** Homes not yet removed: a process that exits without `close()` still leaves no temporary folder. */
const liveHomes = new Set<string>();
let exitHookInstalled = false;

function removeLiveHomesOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of liveHomes) rmSync(dir, { recursive: true, force: true });
  });
}

export async function createHome(downloadsFolderInSettings = true): Promise<SimHome> {
  const homeDir = await mkdtemp(join(tmpdir(), 'lmstudio-sim-'));
  liveHomes.add(homeDir);
  removeLiveHomesOnExit();
  const lmstudioHome = join(homeDir, '.lmstudio');
  await mkdir(join(lmstudioHome, '.internal'), { recursive: true });
  await mkdir(join(lmstudioHome, 'bin'), { recursive: true });
  await mkdir(join(lmstudioHome, 'models'), { recursive: true });
  const modelsDir = downloadsFolderInSettings ? join(homeDir, 'models') : join(lmstudioHome, 'models');
  await mkdir(modelsDir, { recursive: true });
  return { homeDir, lmstudioHome, lmsPath: join(lmstudioHome, 'bin', 'lms'), modelsDir, downloadsFolderInSettings };
}

/**
 * `<LM Studio home>/settings.json` (lmstudio-protocol-2.md §3, §5), written synchronously so a
 * test reads what `configure` just set.
 */
export function writeLmStudioSettings(home: SimHome, settings: object): void {
  writeFileSync(join(home.lmstudioHome, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

/** What LM Studio writes when its server starts: the port `lms server start|stop|status` use. */
export async function writeServerConfig(home: SimHome, port: number): Promise<void> {
  const path = join(home.lmstudioHome, '.internal', 'http-server-config.json');
  await writeFile(path, `${JSON.stringify({ port, networkInterface: '127.0.0.1' })}\n`);
}

/**
 * Installs the fake `lms`: the bundled CLI beside LM Studio's internal files, and `bin/lms`, a
 * tiny shell wrapper that bakes in the control address and secret and `exec`s Node (so signals
 * reach the CLI itself and start-up costs one Node process, no TypeScript loader).
 */
export async function installLms(home: SimHome, bundle: string, controlUrl: string, secret: string): Promise<void> {
  const bundlePath = join(home.lmstudioHome, '.internal', 'sim-lms.mjs');
  await writeFile(bundlePath, bundle);
  const wrapper = [
    '#!/bin/sh',
    "# The LM Studio simulator's fake `lms` (sources: e2e/simulator/lms/).",
    `LMS_SIM_CONTROL=${shellQuote(controlUrl)}`,
    `LMS_SIM_SECRET=${shellQuote(secret)}`,
    `LMS_SIM_HOME=${shellQuote(home.lmstudioHome)}`,
    'export LMS_SIM_CONTROL LMS_SIM_SECRET LMS_SIM_HOME',
    'unset NODE_OPTIONS',
    `exec ${shellQuote(process.execPath)} ${shellQuote(bundlePath)} "$@"`,
    '',
  ].join('\n');
  await writeFile(home.lmsPath, wrapper);
  await chmod(home.lmsPath, 0o755);
}

export async function removeHome(home: SimHome): Promise<void> {
  await rm(home.homeDir, { recursive: true, force: true });
  liveHomes.delete(home.homeDir);
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
