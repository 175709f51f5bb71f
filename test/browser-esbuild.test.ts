// glasslm as a dependency of an app bundled with plain esbuild: a tiny app (a page and a module
// Worker that imports 'glasslm' through node_modules) is built with esbuild's `build()` and only
// its documented features: the `file` loader for .wasm, and the kernel worker as a second entry
// point ('glasslm/worker'). esbuild does not follow `new URL('./file', import.meta.url)` (its issue
// #795 is open), so the app spreads `esbuildKernels` from 'glasslm/esbuild' (the loader's URLs of
// the four builds and the worker entry's) into createWasmBackend's options (docs/browser.md).
// Nothing is copied by hand: the build output must hold the four .wasm builds and the kernel
// worker, and the built app, served cross-origin isolated, must run on two threads (so the kernel
// worker really loads) and decode the same greedy tokens as Node. The same app without the
// options must fail with a message that names the option.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createWasmBackend, loadModel, loadTokenizer, setBackend } from '../src/node.js';
import { launchChromium, serveStatic, skipUnlessChromium } from './browser/chromium.js';
import { appResult, greedyWorkerSource, makeAppFolder } from './browser/app-folder.js';
import { timedGreedy } from './browser/greedy.js';
import { projectRoot } from './shared.js';

const PROMPT = 'Once upon a time';
const TOKENS = 8;
const skip = skipUnlessChromium();
const BUILTIN = join(projectRoot, 'models', 'builtin');
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** The generating worker: with the options (the loader's URLs and the worker entry) or without any. */
const generateWorker = (withOptions: boolean) => greedyWorkerSource(withOptions
  ? "import { esbuildKernels } from 'glasslm/esbuild'; // the four .wasm through the file loader, and the worker entry's URL\nconst options = esbuildKernels;"
  : undefined);

// The app's files, as a user would write them (plain JavaScript; 'glasslm' from node_modules).
const APP: Record<string, string> = {
  'main.js': `
const files = ${JSON.stringify(MODEL_FILES)}.map((f) => [f, new URL(f, document.baseURI).href]);
const run = (script) => new Promise((resolve) => {
  const worker = new Worker(new URL(script, import.meta.url), { type: 'module' });
  worker.onmessage = (e) => { resolve(e.data); worker.terminate(); };
  worker.onerror = (e) => resolve({ error: 'worker failed: ' + e.message });
  worker.postMessage({ files, prompt: ${JSON.stringify(PROMPT)}, tokens: ${TOKENS} });
});
globalThis.glasslmResult = { withOptions: await run('./generate-worker.js'), without: await run('./plain-worker.js') };
`,
  'generate-worker.js': generateWorker(true),
  'plain-worker.js': generateWorker(false),
};

let dir: string, out: string, browser: Browser | undefined;

before(async () => {
  if (skip) return;
  dir = makeAppFolder('glasslm-esbuild-app-', APP);
  out = join(dir, 'dist');
  const esbuild = await import('esbuild');
  await esbuild.build({
    absWorkingDir: dir,
    entryPoints: ['main.js', 'generate-worker.js', 'plain-worker.js', { in: 'glasslm/worker', out: 'glasslm-worker' }],
    bundle: true, platform: 'browser', format: 'esm', target: 'es2022', outdir: out,
    loader: { '.wasm': 'file' }, logLevel: 'silent',
  });
  // the app's own page and the model's files (data, not glasslm's code) beside the bundle
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>glasslm with esbuild</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>\n');
  for (const f of MODEL_FILES) copyFileSync(join(BUILTIN, f), join(out, f));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('esbuild\'s build of an app that imports glasslm holds the .wasm kernels and the kernel worker', { skip }, () => {
  const files = readdirSync(out);
  for (const build of ['glasslm-relaxed', 'glasslm-relaxed-st', 'glasslm-simd', 'glasslm-simd-st']) {
    assert.ok(files.some((f) => new RegExp(`^${build}-[\\w]+\\.wasm$`).test(f)), `${build}.wasm is in the build (hashed by the file loader): ${files.join(', ')}`);
  }
  assert.ok(files.includes('glasslm-worker.js'), 'the kernel worker entry is in the build');
});

test('the esbuild-built app runs in Chromium on two threads and decodes Node\'s greedy tokens; without the options it says which to pass', { skip, timeout: 300_000 }, async () => {
  const server = await serveStatic(out, { isolated: true });
  try {
    type Result = { ids?: number[]; threads?: number; notes?: string; isolated?: boolean; error?: string };
    const { result: r, errors } = await appResult<{ withOptions: Result; without: Result }>(browser!, `${server.url}/index.html`);
    assert.deepEqual(errors, []);
    const w = r.withOptions;
    assert.equal(w.error, undefined, w.error);
    assert.equal(w.isolated, true);
    assert.equal(w.threads, 2, `two threads (the kernel worker loaded): ${w.notes}`);
    // without the options, the kernels are looked for beside the bundle, where esbuild did not put them
    assert.match(r.without.error ?? '', /glasslm-(relaxed|simd)\.wasm .*HTTP 404.*createWasmBackend\(\{ wasm \}\)/, `the error names the file and the option: ${r.without.error}`);

    const backend = await createWasmBackend({ threads: 1 });
    setBackend(backend);
    try {
      const model = loadModel(BUILTIN), tok = loadTokenizer(BUILTIN);
      const node = timedGreedy(model, tok, PROMPT, TOKENS);
      assert.deepEqual(w.ids, node.ids, `browser ${JSON.stringify(tok.decode(w.ids!))} vs Node ${JSON.stringify(node.text)}`);
    } finally {
      backend.dispose();
    }
  } finally {
    await server.close();
  }
});
