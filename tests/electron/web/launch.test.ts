/**
 * Web mode's launcher (electron/web/launch.mjs): it bundles web mode with the real esbuild when
 * the bundle is missing or stale, in a copy of the project's web-mode sources, so the project's
 * own dist/web is never touched.
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ensureWebModeBuilt,
  firstViewBundlePath,
  WEB_MODE_INPUTS,
  webModeBundlePath,
} from '../../../electron/web/launch.mjs';
import { processGroup, spawnLauncher } from './launcher-process';

const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Real esbuild builds on a busy machine. */
const TIMEOUT_MS = 60_000;

let root: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-launch-'));
  for (const input of [...WEB_MODE_INPUTS, 'package.json']) {
    cpSync(path.join(PROJECT_ROOT, input), path.join(root, input), { recursive: true });
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
});
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** Runs the copy's launcher in its own process group; resolves with its exit and output. */
function launch(args: string[]) {
  return spawnLauncher({
    launcher: path.join(root, 'electron', 'web', 'launch.mjs'),
    args,
    cwd: root,
    env: { HOME: root },
    started,
  });
}

const distEntries = () => readdirSync(path.join(root, 'dist'));

describe('ensureWebModeBuilt', () => {
  it(
    'bundles when missing, not again while current, and again when a source changes',
    async () => {
      const build = () => ensureWebModeBuilt({ projectRoot: root });
      expect(await build()).toBe('built');
      expect(existsSync(webModeBundlePath(root))).toBe(true);
      // The first view's renderer, apart, so web mode loads React only when a page is asked for.
      expect(existsSync(firstViewBundlePath(root))).toBe(true);
      expect(readFileSync(webModeBundlePath(root), 'utf8')).not.toContain('renderToString');
      expect(await build()).toBe('up-to-date');

      const source = path.join(root, 'electron', 'core', 'errors.ts');
      const later = Date.now() / 1000 + 60;
      utimesSync(source, later, later);
      expect(await build()).toBe('built');
      expect(await build()).toBe('up-to-date');

      // A dependency update (the lock file) changes what is bundled too.
      utimesSync(path.join(root, 'package-lock.json'), later + 60, later + 60);
      expect(await build()).toBe('built');
      expect(distEntries()).toEqual(['web']);
    },
    TIMEOUT_MS,
  );

  it(
    'runs the bundle it built: --help prints the usage, a bad flag exits 2',
    async () => {
      const help = launch(['--help']);
      expect(await help.exited).toEqual({ code: 0, signal: null });
      expect(help.stdout()).toContain('Usage: npm run web --');
      expect(help.stderr()).toContain('building web mode');

      const bad = launch(['--port', 'http']);
      expect(await bad.exited).toEqual({ code: 2, signal: null });
      // The bundle was current: no second build.
      expect(bad.stderr()).not.toContain('building web mode');
      expect(bad.stderr()).toContain('--port must be a number');
    },
    TIMEOUT_MS,
  );

  it(
    'lets two launches build at once: both run, one complete bundle stays, no temporary folder',
    async () => {
      const runs = [launch(['--help']), launch(['--help'])];
      for (const run of runs) {
        expect(await run.exited, run.stderr()).toEqual({ code: 0, signal: null });
        expect(run.stdout()).toContain('Usage: npm run web --');
      }
      expect(distEntries()).toEqual(['web']);
      expect(await ensureWebModeBuilt({ projectRoot: root })).toBe('up-to-date');
    },
    TIMEOUT_MS,
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'exits 0 on %s during the build, leaving no process; the next run sweeps the unfinished build',
    async (signal) => {
      const run = launch(['--help']);
      const pid = run.child.pid as number;
      await vi.waitFor(() => expect(run.stderr()).toContain('building web mode'), { timeout: TIMEOUT_MS });
      process.kill(pid, signal);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(run.stdout()).not.toContain('Usage');
      await vi.waitFor(() => expect(processGroup(pid)).toEqual([]), { timeout: 10_000, interval: 100 });

      const next = launch(['--help']);
      expect(await next.exited).toEqual({ code: 0, signal: null });
      expect(distEntries()).toEqual(['web']);
    },
    TIMEOUT_MS,
  );
});

describe('the web script', () => {
  it('is a single exec of the launcher (signals reach web mode), without a TypeScript loader', () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.web).toBe('exec node electron/web/launch.mjs');
  });
});
