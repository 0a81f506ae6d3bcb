/**
 * `npm run demo`: the popup against the LM Studio simulator, for anyone without LM Studio.
 *
 * Starts the simulator (a few realistic models, one loaded, the app's suggestions downloadable),
 * then the desktop app where an Electron binary is installed, otherwise web mode (which prints
 * the URL to open). Ctrl+C stops both and leaves nothing running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_SUGGESTIONS } from '../electron/shared/suggestions';
import { electronBinary } from '../scripts/electron-binary';
import { simCatalogEntry } from './simulator/defaults';
import { startSimulator } from './simulator/index';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const forwarded = process.argv.slice(2);
  const sim = await startSimulator({
    loaded: ['qwen/qwen3-4b'],
    catalog: MODEL_SUGGESTIONS.map((s) => simCatalogEntry(s.key, s.name, s.sizeBytes, { bitsPerWeight: 4.8 })),
    // A suggestion downloads in about twenty seconds: long enough to watch and to cancel.
    downloadBytesPerSecond: 400_000_000,
  });
  const configDir = await mkdtemp(join(tmpdir(), 'lmstudio-tray-demo-'));
  console.error(`Simulated LM Studio at ${sim.baseUrl} (lms: ${sim.lmsPath})`);

  const env: NodeJS.ProcessEnv = { ...process.env, HOME: sim.homeDir };
  // Its own process group, so a terminal's Ctrl+C reaches only this script, which forwards it
  // once (a second SIGINT would make web mode skip its orderly shutdown).
  delete env.LM_API_TOKEN;
  const electron = electronBinary();
  let child: ChildProcess;
  if (electron) {
    console.error('Starting the desktop app against the simulator…');
    child = spawn(electron, ['.', `--base-url=${sim.baseUrl}`, `--lms=${sim.lmsPath}`, `--config-dir=${configDir}`], {
      cwd: root,
      env,
      stdio: 'inherit',
      detached: true,
    });
  } else {
    console.error('No Electron binary here: serving the popup in web mode instead.');
    child = spawn(
      process.execPath,
      [
        join(root, 'electron/web/launch.mjs'),
        '--base-url',
        sim.baseUrl,
        '--lms',
        sim.lmsPath,
        '--config-dir',
        configDir,
        ...forwarded,
      ],
      { cwd: root, env, stdio: 'inherit', detached: true },
    );
  }

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGINT');
      await exited;
    }
    await sim.close();
    await rm(configDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  child.once('exit', (code) => void stop(code ?? 1));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
