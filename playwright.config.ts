import { chromium, defineConfig } from '@playwright/test';
import { chromiumOrExit, machineLookup } from './e2e/find-chromium';

/**
 * Browser journeys: the real web mode (real core, real renderer) against the LM Studio
 * simulator, in the Chromium e2e/find-chromium.ts finds (CHROMIUM_PATH, Debian's, PATH, or
 * Playwright's own); with none, one line says how to get one and nothing starts.
 * The Electron smoke spec has its own config in e2e/electron/ and is not part of this run.
 */
const executablePath = chromiumOrExit(machineLookup(() => chromium.executablePath()));
const chromiumArgs = [
  '--headless=new',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
if (process.getuid?.() === 0) chromiumArgs.push('--no-sandbox');

export default defineConfig({
  testDir: 'e2e/specs',
  globalSetup: './e2e/specs/global-setup.ts',
  // Each journey owns a simulator and a web-mode process: two at a time suits 2 cores.
  workers: 2,
  fullyParallel: true,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    viewport: { width: 380, height: 560 },
    launchOptions: { executablePath, args: chromiumArgs },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
