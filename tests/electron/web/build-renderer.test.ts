import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_STAMP_FILE, ensureRendererBuilt } from '../../../electron/web/build-renderer';
import { createMemoryLogger } from './fake-core';

let root: string;
let outDir: string;
let builds: number;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-build-'));
  mkdirSync(path.join(root, 'renderer', 'src'), { recursive: true });
  mkdirSync(path.join(root, 'electron', 'shared'), { recursive: true });
  writeFileSync(path.join(root, 'renderer', 'index.html'), '<!doctype html>');
  writeFileSync(path.join(root, 'renderer', 'src', 'main.tsx'), 'export {};');
  writeFileSync(path.join(root, 'electron', 'shared', 'contract.ts'), 'export {};');
  writeFileSync(path.join(root, 'vite.config.ts'), 'export default {};');
  // Sources older than "now", so a build's stamp is never older than its inputs by accident.
  setMtime(path.join(root, 'renderer', 'src', 'main.tsx'), Date.now() - 60_000);
  outDir = path.join(root, 'dist', 'renderer');
  builds = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function setMtime(file: string, ms: number): void {
  utimesSync(file, ms / 1000, ms / 1000);
}

/** Stands in for vite: writes a page naming which build made it, after a pause so runs overlap. */
async function fakeBuild(dir: string): Promise<void> {
  builds += 1;
  const label = `build ${builds}`;
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await writeFile(path.join(dir, 'assets', 'index-abcdef12.js'), `// ${label}`);
  await writeFile(path.join(dir, 'index.html'), label);
}

function build() {
  return ensureRendererBuilt({ projectRoot: root, outDir, logger: createMemoryLogger(), build: fakeBuild });
}

function leftovers(): string[] {
  return readdirSync(path.dirname(outDir)).filter((name) => name !== 'renderer');
}

describe('ensureRendererBuilt', () => {
  it('builds when the output is missing, stamps it, and leaves no temporary folder', async () => {
    expect(await build()).toBe('built');
    expect(readFileSync(path.join(outDir, 'index.html'), 'utf8')).toBe('build 1');
    expect(existsSync(path.join(outDir, BUILD_STAMP_FILE))).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('does not build again while the sources are unchanged', async () => {
    await build();
    expect(await build()).toBe('up-to-date');
    expect(builds).toBe(1);
  });

  it('rebuilds, replacing the old output, when a source is newer than the build', async () => {
    await build();
    setMtime(path.join(root, 'renderer', 'src', 'main.tsx'), Date.now() + 5_000);
    expect(await build()).toBe('built');
    expect(readFileSync(path.join(outDir, 'index.html'), 'utf8')).toBe('build 2');
    expect(leftovers()).toEqual([]);
  });

  it('rebuilds when a shared contract file or the vite config changes', async () => {
    await build();
    setMtime(path.join(root, 'electron', 'shared', 'contract.ts'), Date.now() + 5_000);
    expect(await build()).toBe('built');
    setMtime(path.join(root, 'vite.config.ts'), Date.now() + 10_000);
    expect(await build()).toBe('built');
    expect(builds).toBe(3);
  });

  it('rebuilds when a source file is deleted', async () => {
    writeFileSync(path.join(root, 'renderer', 'src', 'old.tsx'), 'export {};');
    await build();
    rmSync(path.join(root, 'renderer', 'src', 'old.tsx'));
    // Even if the folder's own mtime did not move (coarse clocks), the count changed.
    setMtime(path.join(root, 'renderer', 'src'), Date.now() - 120_000);
    expect(await build()).toBe('built');
  });

  it('treats an output without its stamp (an interrupted copy) as stale', async () => {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'index.html'), 'half a build');
    expect(await build()).toBe('built');
    expect(readFileSync(path.join(outDir, 'index.html'), 'utf8')).toBe('build 1');
  });

  it('lets two runs build at once without either failing or leaving a mixed output', async () => {
    const outcomes = await Promise.all([build(), build(), build()]);
    expect(outcomes).toContain('built');
    for (const outcome of outcomes) expect(['built', 'built-by-another-run']).toContain(outcome);
    const page = readFileSync(path.join(outDir, 'index.html'), 'utf8');
    expect(readFileSync(path.join(outDir, 'assets', 'index-abcdef12.js'), 'utf8')).toBe(`// ${page}`);
    expect(leftovers()).toEqual([]);
    expect(await build()).toBe('up-to-date');
  });

  it('removes folders abandoned by interrupted runs, but not those of a run still building', async () => {
    const dist = path.dirname(outDir);
    // Pid 2^22+1 is above Linux's pid_max default and is not running.
    const abandoned = path.join(dist, `.build-tmp-renderer-${2 ** 22 + 1}-deadbeef`);
    const live = path.join(dist, `.build-tmp-renderer-${process.pid}-cafebabe`);
    mkdirSync(abandoned, { recursive: true });
    mkdirSync(live, { recursive: true });
    await build();
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('keeps the previous output and cleans up when the build fails', async () => {
    await build();
    setMtime(path.join(root, 'renderer', 'src', 'main.tsx'), Date.now() + 5_000);
    const failing = ensureRendererBuilt({
      projectRoot: root,
      outDir,
      logger: createMemoryLogger(),
      build: async (dir) => {
        await mkdir(dir, { recursive: true });
        throw new Error('Transform failed: main.tsx');
      },
    });
    await expect(failing).rejects.toThrow('Transform failed');
    expect(readFileSync(path.join(outDir, 'index.html'), 'utf8')).toBe('build 1');
    expect(leftovers()).toEqual([]);
  });
});
