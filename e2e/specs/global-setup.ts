/**
 * Builds what web mode runs once before the journeys start, the same way web mode does (stamped,
 * into a temporary folder, renamed into place), so the first journeys do not each pay for a
 * build: its own bundle (dist/web) and the popup (dist/renderer).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRendererBuilt } from '../../electron/web/build-renderer';
import { ensureWebModeBuilt } from '../../electron/web/launch.mjs';

export default async function globalSetup(): Promise<void> {
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const quiet = () => {};
  await ensureWebModeBuilt({ projectRoot, onBuildStart: () => console.log('Building web mode…') });
  await ensureRendererBuilt({
    projectRoot,
    outDir: path.join(projectRoot, 'dist', 'renderer'),
    logger: { debug: quiet, info: (message) => console.log(message), warn: console.warn, error: console.error },
  });
}
