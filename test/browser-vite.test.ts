// glasslm as a dependency of an app built with Vite: a tiny app (a page and a module Worker that
// imports 'glasslm' through node_modules) is built programmatically with Vite's `build()`, with
// no copying of glasslm's files by hand and no glasslm-specific configuration. The build output
// must hold the four .wasm kernel builds and the kernel worker script (Vite follows the library's
// `new URL('./file', import.meta.url)` and `new Worker(new URL(...))` forms), and the built app,
// served cross-origin isolated, must run on two threads (so the kernel worker really loads) and
// decode the same greedy tokens as Node.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createWasmBackend, loadModel, loadTokenizer, setBackend } from '../src/node.js';
import { launchChromium, serveStatic, skipUnlessChromium } from './browser/chromium.js';
import { appResult, greedyWorkerSource, makeAppFolder } from './browser/app-folder.js';
import { promptIds, timedGreedy } from './browser/greedy.js';
import { projectRoot } from './shared.js';

const PROMPT = 'Once upon a time';
const TOKENS = 8;
const skip = skipUnlessChromium();
const BUILTIN = join(projectRoot, 'models', 'builtin');

// The app's files, as a user would write them (plain JavaScript; 'glasslm' from node_modules).
const APP: Record<string, string> = {
  'index.html': '<!doctype html><meta charset="utf-8"><title>glasslm with Vite</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>\n',
  'main.js': `
const worker = new Worker(new URL('./generate-worker.js', import.meta.url), { type: 'module' });
const files = ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => [f, new URL(f, document.baseURI).href]);
worker.onmessage = (e) => { globalThis.glasslmResult = e.data; };
worker.onerror = (e) => { globalThis.glasslmResult = { error: 'worker failed: ' + e.message }; };
worker.postMessage({ files, prompt: ${JSON.stringify(PROMPT)}, tokens: ${TOKENS} });
`,
  'generate-worker.js': greedyWorkerSource(),
};

let dir: string, out: string, browser: Browser | undefined;

before(async () => {
  if (skip) return;
  dir = makeAppFolder('glasslm-vite-app-', APP);
  out = join(dir, 'dist');
  const { build } = await import('vite');
  await build({
    configFile: false, root: dir, base: './', logLevel: 'silent',
    publicDir: BUILTIN, // the model's files, served beside the app (data, not glasslm's code)
    worker: { format: 'es' }, // module workers that themselves start workers (glasslm's kernel threads)
    build: { outDir: out, emptyOutDir: true, target: 'es2022' },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every file under a folder, as paths relative to it. */
function walk(root: string, sub = ''): string[] {
  return readdirSync(join(root, sub), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(root, join(sub, e.name)) : [join(sub, e.name)]));
}

test('Vite\'s build of an app that imports glasslm holds the .wasm kernels and the kernel worker', { skip }, () => {
  const files = walk(out);
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  for (const build of ['glasslm-relaxed', 'glasslm-relaxed-st', 'glasslm-simd', 'glasslm-simd-st']) {
    assert.ok(wasm.some((f) => new RegExp(`(^|/)${build}-[\\w-]+\\.wasm$`).test(f)), `${build}.wasm is in the build: ${wasm.join(', ')}`);
  }
  const js = files.filter((f) => f.endsWith('.js')).map((f) => ({ f, text: readFileSync(join(out, f), 'utf8') }));
  // the kernel worker: instantiates a module on the shared memory with its own stack, then waits for jobs
  const kernel = js.filter((x) => x.text.includes('__stack_pointer') && x.text.includes('Atomics.wait') && !x.text.includes('createWasmBackend'));
  assert.equal(kernel.length, 1, `one kernel worker script in the build (JS files: ${js.map((x) => x.f).join(', ')})`);
  // the library's chunk refers to the emitted names (hashed), not to files next to its source
  const library = js.find((x) => x.text.includes('glasslm-relaxed-st-'));
  assert.ok(library, 'a chunk refers to the emitted .wasm by its hashed name');
  assert.ok(js.some((x) => x.text.includes(kernel[0].f.split('/').pop()!)), 'a chunk starts the kernel worker by its emitted name');
});

test('the Vite-built app runs in Chromium on two threads and decodes Node\'s greedy tokens', { skip, timeout: 300_000 }, async () => {
  const server = await serveStatic(out, { isolated: true });
  try {
    const { result: r, errors } = await appResult<{ ids?: number[]; threads?: number; notes?: string; isolated?: boolean; error?: string }>(browser!, `${server.url}/index.html`);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(errors, []);
    assert.equal(r.isolated, true);
    assert.equal(r.threads, 2, `two threads (the kernel worker loaded): ${r.notes}`);

    const backend = await createWasmBackend({ threads: 1 });
    setBackend(backend);
    try {
      const model = loadModel(BUILTIN), tok = loadTokenizer(BUILTIN);
      assert.ok(promptIds(tok, PROMPT).length > 1);
      const node = timedGreedy(model, tok, PROMPT, TOKENS);
      assert.deepEqual(r.ids, node.ids, `browser ${JSON.stringify(tok.decode(r.ids!))} vs Node ${JSON.stringify(node.text)}`);
    } finally {
      backend.dispose();
    }
  } finally {
    await server.close();
  }
});
