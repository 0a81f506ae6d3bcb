/**
 * `npm start`: builds, then runs the desktop app with the Electron binary from node_modules.
 *
 * It never imports `electron` (that downloads the binary when missing): electron-binary.ts reads
 * node_modules/electron/path.txt, like the package does.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './build';
import { electronBinary } from './electron-binary';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const NO_ELECTRON = `The Electron binary is not installed and could not be downloaded.
Electron fetches it from GitHub the first time the app starts; that needs internet access.

  - To fetch it later: npx install-electron      (then npm start again)
  - Without Electron:  npm run web                (the same popup in your browser, against your LM Studio)
                       npm run demo               (the popup against a simulated LM Studio)
`;

/**
 * Electron 45+ no longer downloads its binary at `npm install`: it does so on first run. Do the
 * same here, with the package's own installer, so `npm install && npm start` opens the app.
 */
async function downloadElectron() {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return;
  process.stderr.write('Downloading the Electron binary (first run only)…\n');
  const child = spawn(process.execPath, [installer], { cwd: root, stdio: 'inherit' });
  await new Promise((resolve) => child.on('exit', resolve));
}

async function main() {
  if (!electronBinary()) await downloadElectron();
  const binary = electronBinary();
  if (!binary) {
    process.stderr.write(NO_ELECTRON);
    process.exit(1);
  }
  await buildAll(root);

  const app = spawn(binary, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  // npm runs scripts through `sh -c`, which does not pass signals on: forward them ourselves.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => app.kill(signal));
  }
  app.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
