import { defineConfig } from '@playwright/test';

/**
 * Browser journeys: the real web mode (real core, real renderer) against the LM Studio
 * simulator, in Debian's Chromium (Playwright cannot download its own browser here).
 * The Electron smoke spec has its own config in e2e/electron/ and is not part of this run.
 */
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
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
