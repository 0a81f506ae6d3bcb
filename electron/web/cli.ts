/**
 * `npm run web`: the popup served to a browser, for a box without a tray (and for the tests,
 * which drive it in Chromium). See cli-args.ts for the flags.
 *
 * launch.mjs bundles this file (when stale) and calls `runWebMode`: Node runs built JavaScript,
 * without a TypeScript loader. It builds the popup if needed, starts the real core, serves it,
 * prints `Open http://HOST:PORT/?token=TOKEN` on a line of its own (stdout; logs go to stderr)
 * as soon as it listens (the page says `Checking` until the first health check ends) and runs
 * until SIGINT, SIGTERM or SIGHUP, then shuts the core down (ending every `lms` child) and
 * exits 0.
 * The package.json script is a single `exec node ...`, so signals reach this process directly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNodePorts } from '../core/node-ports';
import { ensureRendererBuilt } from './build-renderer';
import { parseWebCliArgs, USAGE } from './cli-args';
import type { RenderFirstView } from './first-snapshot';
import { openBrowser } from './open-browser';
import { startWebServer, type WebServer } from './server';
import { stopOnSignals } from './signals';
import { createWebCore } from './web-core';

/** If shutting down takes longer than this, something hangs: exit anyway rather than never. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

export interface RunWebModeOptions {
  /** The flags after `npm run web --`. */
  argv: readonly string[];
  /** Where package.json, dist/renderer and the popup's sources are. */
  projectRoot: string;
  /**
   * The bundled first-view renderer (launch.mjs builds it beside this bundle): pages then come
   * with their first view already rendered. Without it the page renders that view itself.
   */
  firstViewModule?: string;
}

/**
 * Runs web mode until a signal stops it. Installs its signal handlers before its first `await`,
 * so the launcher can hand over its own without a gap.
 */
export async function runWebMode({ argv, projectRoot, firstViewModule }: RunWebModeOptions): Promise<void> {
  const parsed = parseWebCliArgs(argv, process.env, process.cwd());
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`lmstudio-tray web: ${parsed.message}\n`);
    process.exitCode = 2;
    return;
  }
  const { options } = parsed;
  // Its own log file (the desktop app writes desktop.log); the token printed below is never written there.
  const ports = createNodePorts({
    logFile: { configDir: options.configDir, process: 'web', secrets: [options.token] },
  });
  const { logger } = ports;
  for (const warning of parsed.warnings) logger.warn(warning);

  const core = createWebCore(options, ports, readAppVersion(projectRoot));
  let server: WebServer | undefined;
  // Installed before the build, which can take seconds: Ctrl+C then still exits 0, and the build's
  // temporary folder is swept by the next run.
  // Stopping: the core before the server, so pages still see its last events (downloads left running).
  const removeSignalHandlers = stopOnSignals({
    logger,
    timeoutMs: SHUTDOWN_TIMEOUT_MS,
    stop: async () => {
      await core.shutdown();
      await server?.close();
    },
  });
  const staticDir = path.join(projectRoot, 'dist', 'renderer');
  try {
    await ensureRendererBuilt({ projectRoot, outDir: staticDir, logger });
  } catch (error) {
    logger.error(
      'Could not build the popup (vite). Fix the error above, or run `npm run build`, then try again.',
      error,
    );
    removeSignalHandlers();
    process.exitCode = 1;
    return;
  }

  try {
    // The core first: a page reconnecting from an earlier run (same --port and token) must not
    // reach a core that has not loaded its settings yet. Its first health check runs on while
    // the server starts: the address is printed at once, and pages see `checking` until it ends.
    await core.start({ waitForFirstCheck: false });
    server = await startWebServer({
      core,
      host: options.host,
      port: options.port,
      token: options.token,
      staticDir,
      logger,
      loadFirstViewRenderer: firstViewModule ? () => loadFirstViewRenderer(firstViewModule) : undefined,
    });
  } catch (error) {
    logger.error(error instanceof Error ? error.message : String(error));
    removeSignalHandlers();
    await core.shutdown().catch(() => {});
    process.exitCode = 1;
    return;
  }

  const pageUrl = `${server.url}?token=${encodeURIComponent(options.token)}`;
  process.stdout.write(`Open ${pageUrl}\n`);
  // The opener gets a one-time link, not the token: command lines are visible to every user.
  if (options.open) {
    openBrowser(server.signInUrl(), { platform: process.platform, env: process.env, spawn: ports.spawn });
  }
}

/** Its `renderFirstView` (renderer/src/first-view-server.tsx), imported on the first page request. */
async function loadFirstViewRenderer(file: string): Promise<RenderFirstView | null> {
  const module = (await import(pathToFileURL(file).href)) as { renderFirstView?: RenderFirstView };
  return typeof module.renderFirstView === 'function' ? module.renderFirstView : null;
}

function readAppVersion(projectRoot: string): string {
  try {
    return (
      (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string }).version ??
      '0.0.0'
    );
  } catch {
    return '0.0.0';
  }
}
