/**
 * Builds the popup (renderer/) into dist/renderer with relative paths, so the same files load
 * from file:// in Electron and from the web-mode server. The page's CSP allows no inline
 * script or style, so nothing may be inlined: no data: assets, no modulepreload polyfill.
 *
 * No preload helper either (`modulePreload: false`, 0.3 KB of the first view's 80 KB budget): it
 * fetches an on-demand chunk's own imports beside it, but those chunks import the first view
 * (already here) and at most one small shared chunk, and App's `preloadOnDemand` fetches them all
 * in idle time anyway: a local round trip is all it would save.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: false,
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      output: {
        // Everything the first view imports goes in the entry itself: left to itself, rolldown
        // moves what the entry shares with the on-demand chunks (React, the contract) into a
        // common chunk, which the first view then loads as a second file and compresses worse.
        codeSplitting: { groups: [{ name: 'first-view', tags: ['$initial'] }] },
      },
    },
  },
});
