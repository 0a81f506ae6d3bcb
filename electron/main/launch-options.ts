/**
 * Flags the desktop app accepts for one run, the same spelling as web mode's: `--base-url`,
 * `--lms` and `--config-dir`. They serve `npm run demo` (the app against the simulator) and
 * anyone pointing a one-off session at another LM Studio; like web mode's, they are not saved.
 * Electron and Chromium put their own switches in argv too, so unknown flags are ignored here.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Settings } from '../shared/contract';

export interface LaunchOptions {
  overrides: Partial<Settings>;
  configDir: string | null;
}

export function parseLaunchOptions(argv: readonly string[], cwd: string): LaunchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    options: {
      'base-url': { type: 'string' },
      lms: { type: 'string' },
      'config-dir': { type: 'string' },
    },
  });
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  const overrides: Partial<Settings> = {};
  const baseUrl = text(values['base-url']);
  const lms = text(values.lms);
  const configDir = text(values['config-dir']);
  if (baseUrl) overrides.baseUrl = baseUrl;
  if (lms) overrides.lmsPath = path.resolve(cwd, lms);
  return { overrides, configDir: configDir ? path.resolve(cwd, configDir) : null };
}
