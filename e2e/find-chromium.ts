/**
 * Which Chromium the browser journeys and the bench drive, in this order: `CHROMIUM_PATH`, else
 * Debian's `/usr/bin/chromium`, else `chromium`, `chromium-browser` or `google-chrome` on PATH,
 * else a browser Playwright itself installed (`npx playwright install chromium`).
 *
 * With none, the caller stops at once with `message`, one line that says how to get one, instead
 * of every journey failing with its own stack trace. An explicit `CHROMIUM_PATH` that is not an
 * executable file is an error of its own: the user asked for that browser, so no other is used.
 */
import { accessSync, constants, statSync } from 'node:fs';
import which from 'which';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome'] as const;

export const NO_CHROMIUM_MESSAGE =
  'No Chromium or Chrome found for the browser journeys: install one (Debian/Ubuntu: sudo apt install chromium, ' +
  'or npx playwright install chromium), or set CHROMIUM_PATH to its executable.';

/** The look-ups discovery makes, injectable so tests decide what exists. */
export interface ChromiumLookup {
  env: Readonly<Record<string, string | undefined>>;
  /** True when `path` is a file this user may execute. */
  isExecutable(path: string): boolean;
  /** The command's path on PATH, or null. */
  which(command: string): string | null;
  /** Where Playwright's own Chromium would be (it may not be installed), or null when Playwright cannot say. */
  playwrightChromium(): string | null;
}

export type ChromiumFound =
  | { ok: true; path: string; source: 'CHROMIUM_PATH' | 'Debian' | 'PATH' | 'Playwright' }
  | { ok: false; message: string };

export function findChromium(lookup: ChromiumLookup): ChromiumFound {
  const explicit = lookup.env.CHROMIUM_PATH;
  if (explicit !== undefined && explicit !== '') {
    return lookup.isExecutable(explicit)
      ? { ok: true, path: explicit, source: 'CHROMIUM_PATH' }
      : {
          ok: false,
          message: `CHROMIUM_PATH is ${JSON.stringify(explicit)}, which is not an executable file: point it at Chromium or Chrome, or unset it to use the one found on this machine.`,
        };
  }
  if (lookup.isExecutable(DEBIAN_CHROMIUM)) return { ok: true, path: DEBIAN_CHROMIUM, source: 'Debian' };
  for (const command of CHROMIUM_COMMANDS) {
    const path = lookup.which(command);
    if (path !== null && lookup.isExecutable(path)) return { ok: true, path, source: 'PATH' };
  }
  const installed = lookup.playwrightChromium();
  if (installed !== null && lookup.isExecutable(installed)) return { ok: true, path: installed, source: 'Playwright' };
  return { ok: false, message: NO_CHROMIUM_MESSAGE };
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** This machine: the real file system, PATH and Playwright's registry. */
export function machineLookup(playwrightChromium: () => string | null): ChromiumLookup {
  return {
    env: process.env,
    isExecutable: isExecutableFile,
    which: (command) => which.sync(command, { nothrow: true }),
    playwrightChromium: () => {
      try {
        return playwrightChromium();
      } catch {
        return null; // Playwright throws when it has no build for this platform
      }
    },
  };
}

/** The browser's path, or (with none) the one line on stderr and exit 1 before anything starts. */
export function chromiumOrExit(lookup: ChromiumLookup): string {
  const found = findChromium(lookup);
  if (found.ok) return found.path;
  process.stderr.write(`${found.message}\n`);
  process.exit(1);
}
