/**
 * The desktop app's entry (bundled to dist-electron/main/main.js): real Node ports, the real
 * core, the real Electron shell. Everything it calls is tested on its own.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrayCore } from '../core/app';
import { createNodePorts } from '../core/node-ports';
import { parseLaunchOptions } from './launch-options';
import { startShell } from './shell';

const launch = parseLaunchOptions(process.argv.slice(1), process.cwd());
// The desktop app's own log file (web mode writes web.log): `<configDir>/logs/desktop.log`.
const ports = createNodePorts({ logFile: { configDir: launch.configDir, process: 'desktop' } });
startShell({
  createCore: createTrayCore,
  ports,
  mainDir: path.dirname(fileURLToPath(import.meta.url)),
  launch,
}).catch((error: unknown) => {
  ports.logger.error('LM Studio Tray could not start.', error);
  process.exit(1);
});
