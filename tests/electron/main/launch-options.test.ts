import { describe, expect, it } from 'vitest';
import { parseLaunchOptions } from '../../../electron/main/launch-options';

describe('parseLaunchOptions', () => {
  it('reads the run-only flags the demo passes, resolving paths against the working folder', () => {
    const options = parseLaunchOptions(
      ['.', '--base-url=http://127.0.0.1:4321', '--lms=sim/bin/lms', '--config-dir', 'tmp/config'],
      '/work',
    );
    expect(options).toEqual({
      overrides: { baseUrl: 'http://127.0.0.1:4321', lmsPath: '/work/sim/bin/lms' },
      configDir: '/work/tmp/config',
    });
  });

  it("ignores Electron's and Chromium's own switches, and empty values", () => {
    expect(parseLaunchOptions(['.', '--no-sandbox', '--enable-logging', '--lms='], '/work')).toEqual({
      overrides: {},
      configDir: null,
    });
  });
});
