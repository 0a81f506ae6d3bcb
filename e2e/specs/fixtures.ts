/**
 * Playwright fixtures for the browser journeys: each test gets its own LM Studio simulator and
 * its own web-mode process (the real `npm run web` entry, the real core and the built
 * renderer), a page opened on the printed URL, and a record of the browser notifications the
 * page showed. Everything is torn down after the test, and web mode must exit 0 on SIGINT.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { CANARIES, noteSecret } from '../../tests/robustness/secrets/canaries';
import { findLeaksInOutput } from '../../tests/robustness/secrets/scan';
import { type Simulator, type SimulatorOptions, startSimulator } from '../simulator/index';

export interface WebMode {
  /** The `Open http://HOST:PORT/?token=TOKEN` URL web mode printed. */
  url: string;
  origin: string;
  token: string;
  /** Its `--config-dir` (settings, state, `logs/web.log`), removed after the test. */
  configDir: string;
  process: ChildProcess;
  output: () => string;
}

interface Fixtures {
  simulatorOptions: SimulatorOptions;
  /** Extra web-mode flags for this test. */
  webArgs: string[];
  sim: Simulator;
  web: WebMode;
  /** The popup, loaded and past "Checking". */
  popup: Page;
  /** Notifications the page created with the browser's `Notification` constructor. */
  notifications: () => Promise<Array<{ title: string; body: string }>>;
}

const OPEN_LINE = /^Open (http:\/\/[^\s]+\/\?token=([^\s]+))$/m;

/** Starts web mode as `npm run web` does (the same launcher and bundle) and waits for its Open line. */
async function startWebMode(configDir: string, args: string[], env: NodeJS.ProcessEnv): Promise<WebMode> {
  const child = spawn(process.execPath, ['electron/web/launch.mjs', '--no-open', '--config-dir', configDir, ...args], {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk: string) => {
    output += chunk;
  });
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode printed no Open line in 90 s:\n${output}`)), 90_000);
    const check = () => {
      const found = output.match(OPEN_LINE);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited with ${code} before serving:\n${output}`));
    });
  });
  const url = match[1]!;
  const token = decodeURIComponent(match[2]!);
  // The secret scan after `npm test` looks for this token everywhere but the Open line.
  noteSecret(token);
  return { url, origin: new URL(url).origin, token, configDir, process: child, output: () => output };
}

/** SIGINT, then the exit code; web mode must leave nothing behind and exit 0. */
async function stopWebMode(web: WebMode): Promise<number | null> {
  if (web.process.exitCode !== null) return web.process.exitCode;
  const exited = new Promise<number | null>((resolve) => web.process.once('exit', (code) => resolve(code)));
  web.process.kill('SIGINT');
  const timer = setTimeout(() => web.process.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

export const test = base.extend<Fixtures>({
  simulatorOptions: [{}, { option: true }],
  webArgs: [[], { option: true }],

  sim: async ({ simulatorOptions }, use) => {
    const sim = await startSimulator(simulatorOptions);
    await use(sim);
    await sim.close();
  },

  web: async ({ sim, webArgs }, use) => {
    const configDir = await mkdtemp(join(tmpdir(), 'lmstudio-tray-e2e-'));
    // Debug logging: the most lines the secrets check below can read.
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: sim.homeDir, LMSTUDIO_TRAY_LOG: 'debug' };
    delete env.LM_API_TOKEN;
    delete env.LMSTUDIO_TRAY_TOKEN;
    const web = await startWebMode(
      configDir,
      ['--port', '0', '--base-url', sim.baseUrl, '--lms', sim.lmsPath, ...webArgs],
      env,
    );
    await use(web);
    const code = await stopWebMode(web);
    await rm(configDir, { recursive: true, force: true });
    expect(code, `web mode exit code; its output:\n${web.output()}`).toBe(0);
    // Whatever the journey did, web mode printed its token only in the Open line, and no API token.
    const secrets = [...CANARIES, { label: 'this run’s web token', value: web.token }];
    expect(findLeaksInOutput(web.output(), secrets, 'web mode’s output')).toEqual([]);
  },

  popup: async ({ page, web }, use) => {
    await page.context().grantPermissions(['notifications'], { origin: web.origin });
    // Record what the page shows with the browser's Notification, still calling the real one.
    await page.addInitScript(() => {
      const RealNotification = window.Notification;
      const shown: Array<{ title: string; body: string }> = [];
      (window as unknown as { __notifications: typeof shown }).__notifications = shown;
      class RecordingNotification extends RealNotification {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, body: options?.body ?? '' });
        }
      }
      window.Notification = RecordingNotification as typeof Notification;
    });
    await page.goto(web.url);
    // Live: React has adopted the server's markup, so a click reaches its handlers.
    await page.locator('html[data-live]').waitFor({ state: 'attached' });
    await expect(serverStatus(page)).not.toHaveText(/^Checking/);
    await use(page);
  },

  notifications: async ({ popup }, use) => {
    await use(() =>
      popup.evaluate(
        () => (window as unknown as { __notifications: Array<{ title: string; body: string }> }).__notifications,
      ),
    );
  },
});

export { expect };

/** The popup's status line (design brief §4), found as a screen reader finds it. */
export function serverStatus(page: Page) {
  return page.getByRole('status', { name: 'Server status', exact: true });
}

/** Saves a screenshot of the state a test checks, as a test artefact. */
export async function snap(page: Page, name: string): Promise<void> {
  const info = test.info();
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}
