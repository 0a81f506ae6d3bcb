import { defineConfig } from '@playwright/test';

/**
 * The desktop smoke test (`npm run test:electron`): its own config, so the default Playwright
 * run (web mode in Chromium, playwright.config.ts at the root) never picks it up. It runs
 * wherever an Electron binary is installed and skips elsewhere; never counted as coverage here.
 */
export default defineConfig({
  testDir: '.',
  testMatch: 'smoke.spec.ts',
  globalSetup: './global-setup.ts',
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: '../../test-results/electron',
});
