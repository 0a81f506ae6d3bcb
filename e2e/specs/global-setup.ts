/**
 * Builds the popup once before the journeys start, the same way web mode does (stamped, into a
 * temporary folder, renamed into place), so the first journeys do not each pay for a build.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRendererBuilt } from '../../electron/web/build-renderer';

export default async function globalSetup(): Promise<void> {
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const quiet = () => {};
  await ensureRendererBuilt({
    projectRoot,
    outDir: path.join(projectRoot, 'dist', 'renderer'),
    logger: { debug: quiet, info: (message) => console.log(message), warn: console.warn, error: console.error },
  });
}
