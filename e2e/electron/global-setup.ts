import { buildAll } from '../../scripts/build';
import { whyElectronCannotRun } from '../../scripts/electron-binary';

/** Builds the app once for the smoke spec (not when it will skip: no binary, nothing to run). */
export default async function globalSetup(): Promise<void> {
  if (whyElectronCannotRun() === null) await buildAll();
}
