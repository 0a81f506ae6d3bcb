/**
 * Finds the Electron binary WITHOUT importing `electron` (which would try to download it and
 * throw): node_modules/electron/path.txt names it once electron's install script has fetched
 * it. Used by npm start, npm run demo and the Electron smoke spec; mirrors the electron package's
 * own lookup.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/** The Electron executable, or null when the binary is not installed. */
export function electronBinary(projectRoot = PROJECT_ROOT, env = process.env): string | null {
  const packageDir = path.join(projectRoot, 'node_modules', 'electron');
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const overridden = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
    return existsSync(overridden) ? overridden : null;
  }
  if (!relative) return null;
  const binary = path.join(packageDir, 'dist', relative);
  return existsSync(binary) ? binary : null;
}

/** Why the smoke spec cannot run here, or null when it can. */
export function whyElectronCannotRun(env = process.env): string | null {
  if (!electronBinary(PROJECT_ROOT, env)) {
    return 'No Electron binary: node_modules/electron/path.txt is missing or names no file (the download needs internet access).';
  }
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return 'No display server for Electron on Linux: run under `xvfb-run npm run test:electron`.';
  }
  return null;
}
