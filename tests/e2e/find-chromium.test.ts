/**
 * Which Chromium `npm test` drives, decided with injected look-ups; then the real Playwright run
 * on a machine with none (or a CHROMIUM_PATH pointing nowhere): one line, non-zero, no journey.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import which from 'which';
import { type ChromiumLookup, DEBIAN_CHROMIUM, findChromium, NO_CHROMIUM_MESSAGE } from '../../e2e/find-chromium';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Playwright loading its config takes a couple of seconds alone; far more on a loaded machine. */
const PLAYWRIGHT_START_TIMEOUT_MS = 90_000;

/** A machine where exactly `executables` exist, `onPath` maps commands to paths, and Playwright's own build sits at `playwright`. */
function machine(options: {
  env?: Record<string, string>;
  executables?: string[];
  onPath?: Record<string, string>;
  playwright?: string | null;
}): ChromiumLookup {
  const executables = new Set(options.executables ?? []);
  return {
    env: options.env ?? {},
    isExecutable: (file) => executables.has(file),
    which: (command) => options.onPath?.[command] ?? null,
    playwrightChromium: () => options.playwright ?? null,
  };
}

const PLAYWRIGHTS = '/home/u/.cache/ms-playwright/chromium-1200/chrome-linux/chrome';

describe('findChromium', () => {
  it('uses CHROMIUM_PATH first, even with Debian’s Chromium installed', () => {
    const found = findChromium(
      machine({ env: { CHROMIUM_PATH: '/opt/chrome/chrome' }, executables: ['/opt/chrome/chrome', DEBIAN_CHROMIUM] }),
    );
    expect(found).toEqual({ ok: true, path: '/opt/chrome/chrome', source: 'CHROMIUM_PATH' });
  });

  it('refuses a CHROMIUM_PATH that is not an executable, in one line, rather than quietly using another', () => {
    const found = findChromium(machine({ env: { CHROMIUM_PATH: '/nowhere/chrome' }, executables: [DEBIAN_CHROMIUM] }));
    expect(found.ok).toBe(false);
    if (!found.ok) {
      expect(found.message).toContain('CHROMIUM_PATH is "/nowhere/chrome", which is not an executable file');
      expect(found.message).not.toContain('\n');
    }
  });

  it('takes an empty CHROMIUM_PATH as unset', () => {
    expect(findChromium(machine({ env: { CHROMIUM_PATH: '' }, executables: [DEBIAN_CHROMIUM] }))).toMatchObject({
      ok: true,
      source: 'Debian',
    });
  });

  it('then Debian’s /usr/bin/chromium, before anything on PATH', () => {
    const found = findChromium(
      machine({
        executables: [DEBIAN_CHROMIUM, '/usr/local/bin/chromium'],
        onPath: { chromium: '/usr/local/bin/chromium' },
      }),
    );
    expect(found).toEqual({ ok: true, path: DEBIAN_CHROMIUM, source: 'Debian' });
  });

  it.each([
    ['chromium', '/snap/bin/chromium'],
    ['chromium-browser', '/usr/bin/chromium-browser'],
    ['google-chrome', '/usr/bin/google-chrome'],
  ])('then %s on PATH', (command, file) => {
    const found = findChromium(
      machine({ executables: [file, PLAYWRIGHTS], onPath: { [command]: file }, playwright: PLAYWRIGHTS }),
    );
    expect(found).toEqual({ ok: true, path: file, source: 'PATH' });
  });

  it('in that order on PATH, skipping a name whose file is not executable', () => {
    const found = findChromium(
      machine({
        executables: ['/usr/bin/google-chrome'],
        onPath: {
          chromium: '/broken/chromium',
          'chromium-browser': '/usr/bin/chromium-browser',
          'google-chrome': '/usr/bin/google-chrome',
        },
      }),
    );
    expect(found).toEqual({ ok: true, path: '/usr/bin/google-chrome', source: 'PATH' });
  });

  it('then the Chromium Playwright installed, when it is there', () => {
    expect(findChromium(machine({ executables: [PLAYWRIGHTS], playwright: PLAYWRIGHTS }))).toEqual({
      ok: true,
      path: PLAYWRIGHTS,
      source: 'Playwright',
    });
    expect(findChromium(machine({ playwright: PLAYWRIGHTS })).ok).toBe(false);
  });

  it('with none, one line that says how to get one', () => {
    const found = findChromium(machine({}));
    expect(found).toEqual({ ok: false, message: NO_CHROMIUM_MESSAGE });
    expect(NO_CHROMIUM_MESSAGE).not.toContain('\n');
    expect(NO_CHROMIUM_MESSAGE).toMatch(/apt install chromium/);
    expect(NO_CHROMIUM_MESSAGE).toMatch(/npx playwright install chromium/);
    expect(NO_CHROMIUM_MESSAGE).toMatch(/CHROMIUM_PATH/);
  });
});

// ---------------------------------------------------------------------------------------------
// The real `playwright test`, as `npm test` runs it
// ---------------------------------------------------------------------------------------------

const playwrightCli = createRequire(import.meta.url).resolve('@playwright/test/cli');
const emptyDir = mkdtempSync(path.join(tmpdir(), 'no-chromium-'));
afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

/** Runs the journeys' Playwright with nothing on PATH and no Playwright browsers; `wrap` runs it inside another command. */
function runPlaywright(env: Record<string, string>, wrap: string[] = []) {
  const command = [...wrap, process.execPath, playwrightCli, 'test', 'e2e/specs/input.spec.ts', '--workers=1'];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: PROJECT_ROOT,
      env: { HOME: emptyDir, PATH: emptyDir, PLAYWRIGHT_BROWSERS_PATH: emptyDir, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Hides /usr/bin/chromium from the run: a private mount namespace (as an unprivileged user
 * namespace) with /dev/null bound over it. Null where the kernel or `unshare` does not allow it.
 */
function hideDebianChromium(): string[] | null {
  // Absolute paths: the run itself has nothing on PATH.
  const [unshare, sh, mount] = ['unshare', 'sh', 'mount'].map((command) => which.sync(command, { nothrow: true }));
  if (!unshare || !sh || !mount) return null;
  const script = `${mount} --bind /dev/null ${DEBIAN_CHROMIUM} && exec "$@"`;
  const wrap = [unshare, '--mount', '--map-root-user', sh, '-c', script, 'sh'];
  const probe = spawnSync(wrap[0] as string, [...wrap.slice(1), 'true']);
  return probe.status === 0 ? wrap : null;
}

describe('npm test’s journeys on a machine without Chromium', () => {
  it(
    'stop at once with one line and exit non-zero when CHROMIUM_PATH points nowhere',
    async () => {
      const run = await runPlaywright({ CHROMIUM_PATH: path.join(emptyDir, 'chrome') });
      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        `CHROMIUM_PATH is "${path.join(emptyDir, 'chrome')}", which is not an executable file: point it at Chromium or Chrome, or unset it to use the one found on this machine.`,
      ]);
    },
    PLAYWRIGHT_START_TIMEOUT_MS,
  );

  // Needs a mount namespace to hide Debian's Chromium (allowed here and in CI); where the kernel
  // refuses it, the injected-lookup tests above cover the no-browser rule.
  const wrap = hideDebianChromium();
  it.runIf(wrap !== null)(
    'stop at once with the line that says how to get one when there is none at all',
    async () => {
      const run = await runPlaywright({}, wrap ?? []);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toEqual([NO_CHROMIUM_MESSAGE]);
    },
    PLAYWRIGHT_START_TIMEOUT_MS,
  );
});
