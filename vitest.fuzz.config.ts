import { defineConfig } from 'vitest/config';

/**
 * `npm run fuzz`: the robustness suites with their long counts (tests/robustness/tally.ts reads
 * LMSTRAY_FUZZ). The same tests as in `npm test`, only more cases and more time.
 */
export default defineConfig({
  test: {
    name: 'fuzz',
    environment: 'node',
    include: ['tests/robustness/**/*.test.ts'],
    globalSetup: ['tests/robustness/global-setup.ts'],
    env: { LMSTRAY_FUZZ: '1' },
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
  },
});
