/**
 * Row 10: the popup's JavaScript for the first view, gzipped: the scripts dist/renderer/index.html
 * loads up front (its module entry and modulepreloads, not lazy chunks). Floor: React and
 * ReactDOM's production builds alone, bundled and minified the same way.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ensureRendererBuilt } from '../../electron/web/build-renderer';
import type { BenchContext, BenchGroup } from '../lib/group';
import { none, type Row, value, verdict } from '../lib/report';
import { PROJECT_ROOT } from '../lib/web-mode';

const gzipKb = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length / 1024;

/** The scripts index.html loads before anything runs: `<script src>` and `<link rel="modulepreload">`. */
export function upFrontScripts(html: string): string[] {
  const found = [
    ...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g),
    ...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g),
  ].map((match) => match[1]!);
  return [...new Set(found)];
}

export const bundleGroup: BenchGroup = {
  name: 'bundle',
  async run(ctx: BenchContext): Promise<Row[]> {
    const outDir = path.join(PROJECT_ROOT, 'dist', 'renderer');
    const quiet = () => {};
    await ensureRendererBuilt({
      projectRoot: PROJECT_ROOT,
      outDir,
      logger: { debug: quiet, info: (message) => ctx.log(message), warn: quiet, error: quiet },
    });
    const scripts = upFrontScripts(await readFile(path.join(outDir, 'index.html'), 'utf8'));
    if (scripts.length === 0) throw new Error('dist/renderer/index.html loads no script');
    let ours = 0;
    for (const src of scripts) ours += gzipKb(await readFile(path.join(outDir, src.replace(/^\.?\//, ''))));

    const react = await build({
      stdin: {
        contents:
          "import * as React from 'react';\nimport { createRoot } from 'react-dom/client';\nexport { React, createRoot };\n",
        resolveDir: PROJECT_ROOT,
        loader: 'js',
      },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      define: { 'process.env.NODE_ENV': '"production"' },
      write: false,
      logLevel: 'silent',
    });
    const floor = gzipKb(react.outputFiles[0]!.contents);
    return [
      {
        group: 'bundle',
        id: 'first-view-javascript',
        figure: 'popup JavaScript for the first view, gzipped',
        unit: 'KB',
        stat: 'value',
        goal: '≤ 80',
        ours: value(ours),
        poller: verdict('no popup'),
        checkOnce: none,
        floor: value(floor),
        note: `${scripts.join(', ')} (gzip -9); floor: react + react-dom/client, production, minified by esbuild.`,
      },
    ];
  },
};
