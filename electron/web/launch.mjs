/**
 * `npm run web` (`exec node electron/web/launch.mjs ...`): web mode as built JavaScript.
 *
 * Plain JavaScript, so Node runs it without a TypeScript loader. When dist/web is missing or
 * older than web mode's sources it bundles electron/web/cli.ts with esbuild (imported only
 * then), stamped and swapped into place like the popup's build; then it imports the bundle in
 * this same process and hands over to `runWebMode`. No child process stays: esbuild's service
 * is stopped after the build.
 *
 * Ctrl+C (or SIGTERM, SIGHUP) during the build exits 0; the next run sweeps the unfinished
 * build. The handlers are handed over to web mode's own without a gap.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureStampedBuild } from './stamped-build.mjs';

/** What web mode's bundle is made of, relative to the project root (the npm packages it bundles are in the lock file). */
export const WEB_MODE_INPUTS = [
  'electron/web',
  'electron/core',
  'electron/shared',
  'renderer/src',
  'package-lock.json',
];
const ENTRY = 'electron/web/cli.ts';
const BUNDLE_FILE = 'cli.mjs';
/** The popup's first view rendered as HTML (issue 7), bundled apart: web mode loads it on the first page request. */
const FIRST_VIEW_ENTRY = 'renderer/src/first-view-server.tsx';
const FIRST_VIEW_FILE = 'first-view.mjs';
const STOP_SIGNALS = /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);

/**
 * The bundle's path: `<projectRoot>/dist/web/cli.mjs`.
 * @param {string} projectRoot
 */
export function webModeBundlePath(projectRoot) {
  return path.join(projectRoot, 'dist', 'web', BUNDLE_FILE);
}

/**
 * The first view's renderer beside it: `<projectRoot>/dist/web/first-view.mjs`.
 * @param {string} projectRoot
 */
export function firstViewBundlePath(projectRoot) {
  return path.join(projectRoot, 'dist', 'web', FIRST_VIEW_FILE);
}

/**
 * Bundles web mode into dist/web when it is missing or stale.
 * @param {{ projectRoot: string; onBuildStart?: () => void }} options
 * @returns {Promise<import('./stamped-build.d.mts').BuildOutcome>}
 */
export function ensureWebModeBuilt({ projectRoot, onBuildStart }) {
  return ensureStampedBuild({
    projectRoot,
    inputs: WEB_MODE_INPUTS,
    outDir: path.dirname(webModeBundlePath(projectRoot)),
    requiredFile: BUNDLE_FILE,
    build: (dir) => bundleWebMode(projectRoot, dir),
    onBuildStart,
  });
}

/** Builds running in this process: esbuild's service is stopped when the last one ends. */
let buildsRunning = 0;

/**
 * @param {string} projectRoot
 * @param {string} outDir
 */
async function bundleWebMode(projectRoot, outDir) {
  const esbuild = await import('esbuild');
  buildsRunning += 1;
  try {
    const common = {
      absWorkingDir: projectRoot,
      bundle: true,
      platform: /** @type {const} */ ('node'),
      format: /** @type {const} */ ('esm'),
      target: 'node20',
      // CommonJS packages inside an ES module need a `require` for Node's built-ins.
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      legalComments: /** @type {const} */ ('none'),
      logLevel: /** @type {const} */ ('warning'),
    };
    await Promise.all([
      esbuild.build({
        ...common,
        entryPoints: [ENTRY],
        outfile: path.join(outDir, BUNDLE_FILE),
        // The npm packages too: one file loads much faster than Node resolving and parsing dozens
        // (CommonJS ones through its export scanner). Not vite, loaded only to build the popup,
        // nor ws's optional native add-ons, which ws requires inside a try.
        external: ['vite', 'bufferutil', 'utf-8-validate'],
      }),
      // Apart, so that React and react-dom/server cost web mode nothing until a page is asked for;
      // React's production build, as the page has.
      esbuild.build({
        ...common,
        entryPoints: [FIRST_VIEW_ENTRY],
        outfile: path.join(outDir, FIRST_VIEW_FILE),
        jsx: 'automatic',
        define: { 'process.env.NODE_ENV': '"production"' },
      }),
    ]);
  } finally {
    buildsRunning -= 1;
    // Its service process would otherwise live as long as web mode.
    if (buildsRunning === 0) await esbuild.stop();
  }
}

/** Set once a stop signal came during the build: a build that fails because of it is no error. */
let stopping = false;

/** Until web mode installs its own: a signal during the build exits 0 at once. */
function exitOnSignals() {
  const onSignal = () => {
    stopping = true;
    import('esbuild')
      .then((esbuild) => esbuild.stop())
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
}

async function launch() {
  const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
  const removeSignalHandlers = exitOnSignals();
  /** @type {typeof import('./cli.ts')} */
  let webMode;
  try {
    await ensureWebModeBuilt({
      projectRoot,
      onBuildStart: () =>
        process.stderr.write('lmstudio-tray web: building web mode (dist/web is missing or older than its sources)…\n'),
    });
    webMode = await import(pathToFileURL(webModeBundlePath(projectRoot)).href);
  } catch (error) {
    // A terminal's Ctrl+C also reaches esbuild, which fails the build: the handler exits 0.
    if (stopping) return;
    process.stderr.write(
      `lmstudio-tray web: could not build web mode: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    removeSignalHandlers();
    process.exitCode = 1;
    return;
  }
  // runWebMode installs its handlers before its first await: no signal falls between the two.
  removeSignalHandlers();
  await webMode.runWebMode({
    argv: process.argv.slice(2),
    projectRoot,
    firstViewModule: firstViewBundlePath(projectRoot),
  });
}

/** Run as the program (not imported by tests or the journeys' setup)? Node gives the module its real path. */
function isMainModule() {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMainModule()) await launch();
