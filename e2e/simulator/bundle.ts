/**
 * Bundles the fake `lms` (lms/main.ts) into one ESM file with esbuild, once per process: each
 * simulator writes the same text into its home, and every `lms` run then starts plain Node.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let cached: Promise<string> | null = null;

export function lmsBundle(): Promise<string> {
  cached ??= build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'lms', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  }).then((result) => {
    const file = result.outputFiles[0];
    if (!file) throw new Error('esbuild produced no output for the fake lms');
    return file.text;
  });
  cached.catch(() => {
    cached = null;
  });
  return cached;
}
