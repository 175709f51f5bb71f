// Vite builds the page (web/) into dist/web: a static site that runs glasslm in the browser.
//
// - `glasslm` resolves to the library as built by `npm run build` (dist/src/index.js, the package's
//   main entry): the page uses it exactly as a user of the package would, and Vite follows its
//   `new URL(..., import.meta.url)` forms to emit the .wasm kernels and the kernel worker.
// - The page's model work runs in a module Worker (src/worker.ts).
// - The built-in model's files are copied into the site (models/builtin/) with a manifest
//   (models/default.json), so that any static file host serves a working page.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const builtin = fileURLToPath(new URL('../models/builtin/', import.meta.url));
const BUILTIN_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** Emits models/builtin/* and models/default.json into the build (and serves them in `vite dev`). */
function builtinModel(): Plugin {
  const manifest = JSON.stringify({ name: 'the built-in model', files: BUILTIN_FILES.map((f) => `builtin/${f}`) });
  return {
    name: 'glasslm-builtin-model',
    generateBundle() {
      for (const f of BUILTIN_FILES) this.emitFile({ type: 'asset', fileName: `models/builtin/${f}`, source: readFileSync(builtin + f) });
      this.emitFile({ type: 'asset', fileName: 'models/default.json', source: manifest });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        if (url === '/models/default.json') return res.end(manifest);
        const m = /^\/models\/builtin\/([\w.]+)$/.exec(url);
        if (m && BUILTIN_FILES.includes(m[1])) return res.end(readFileSync(builtin + m[1]));
        next();
      });
    },
  };
}

export default defineConfig({
  root,
  base: './',
  resolve: { alias: { glasslm: fileURLToPath(new URL('../dist/src/index.js', import.meta.url)) } },
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  worker: { format: 'es' },
  server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
  plugins: [builtinModel()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  logLevel: 'warn',
});
