// Vite builds the page (web/) into dist/web: a static site that runs glasslm in the browser.
// The page's model work runs in a module Worker (src/worker.ts); the built-in model's files are
// copied into the site (models/builtin/) so that any static host serves a working page.

import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  base: './',
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
