import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'tests/electron/**/*.test.ts',
            'tests/e2e/**/*.test.ts',
            'tests/scripts/**/*.test.ts',
            'tests/bench/**/*.test.ts',
            'tests/robustness/**/*.test.ts',
          ],
          globalSetup: ['tests/robustness/global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['tests/renderer/**/*.test.{ts,tsx}'],
        },
      },
    ],
  },
});
