// glasslm in headless Chromium: the library bundled with esbuild (main entry, no stubs) loads the
// built-in model from bytes in a Worker and decodes 20 greedy tokens, which must be the tokens
// Node decodes. Once cross-origin isolated (COOP/COEP: shared memory, 2 threads) and once not
// (the single-thread build, and the backend's notes say why).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createWasmBackend, loadModel, loadTokenizer, setBackend } from '../src/node.js';
import { bundleSite, launchChromium, serveStatic, skipUnlessChromium } from './browser/chromium.js';
import type { DecodeRequest } from './browser/decode-worker.js';
import { timedGreedy } from './browser/greedy.js';
import { projectRoot } from './shared.js';

const PROMPT = 'Once upon a time';
const TOKENS = 20;
const skip = skipUnlessChromium();
let site = '';
let browser: Browser | null = null;

before(async () => {
  if (skip) return;
  site = mkdtempSync(join(tmpdir(), 'glasslm-browser-'));
  await bundleSite(site, { 'decode-page.js': 'dist/test/browser/decode-page.js', 'decode-worker.js': 'dist/test/browser/decode-worker.js', 'main-thread-page.js': 'dist/test/browser/main-thread-page.js' });
  const { writeFileSync, mkdirSync, copyFileSync } = await import('node:fs');
  writeFileSync(join(site, 'main-thread.html'), '<!doctype html><meta charset="utf-8"><title>glasslm main thread</title><link rel="icon" href="data:,"><script type="module" src="main-thread-page.js"></script>\n');
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>glasslm decode</title><link rel="icon" href="data:,"><script type="module" src="decode-page.js"></script>\n');
  mkdirSync(join(site, 'builtin'));
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(projectRoot, 'models', 'builtin', f), join(site, 'builtin', f));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (site) rmSync(site, { recursive: true, force: true });
});

/** Node's greedy tokens on the built-in model (wasm backend, as in the page). */
async function nodeGreedy(): Promise<number[]> {
  const backend = await createWasmBackend({ threads: 1 });
  setBackend(backend);
  try {
    const dir = join(projectRoot, 'models', 'builtin');
    return timedGreedy(loadModel(dir), loadTokenizer(dir), PROMPT, TOKENS).ids;
  } finally {
    backend.dispose();
  }
}

async function decodeInPage(isolated: boolean) {
  const server = await serveStatic(site, { isolated });
  const page = await browser!.newPage();
  const console: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') console.push(m.text()); });
  page.on('pageerror', (e) => console.push(String(e)));
  try {
    const request: DecodeRequest = {
      files: { 'config.json': '/builtin/config.json', 'model.safetensors': '/builtin/model.safetensors', 'tokenizer.json': '/builtin/tokenizer.json' },
      prompt: PROMPT, tokens: TOKENS, runs: 0, wasm: `${server.url}/wasm/`, workerUrl: `${server.url}/glasslm-kernel-worker.js`, threads: 2,
    };
    await page.goto(`${server.url}/index.html?request=${encodeURIComponent(JSON.stringify(request))}`);
    await page.waitForFunction(() => (globalThis as unknown as { glasslmDecode?: { done: boolean } }).glasslmDecode?.done === true, null, { timeout: 120_000 });
    const outcome = await page.evaluate(() => (globalThis as unknown as { glasslmDecode: unknown }).glasslmDecode) as
      { error?: string; firstTokenPageMs?: number; result?: { notes: string; threads: number; crossOriginIsolated: boolean; runs: { ids: number[]; text: string }[] } };
    assert.equal(outcome.error, undefined, outcome.error);
    assert.deepEqual(console, [], 'no errors in the console');
    return { ...outcome.result!, firstTokenPageMs: outcome.firstTokenPageMs! };
  } finally {
    await page.close();
    await server.close();
  }
}

test('cross-origin isolated: 2 threads in a Worker, the same 20 greedy tokens as Node', { skip, timeout: 300_000 }, async () => {
  const expected = await nodeGreedy();
  const r = await decodeInPage(true);
  console.log(`isolated page: ${r.notes}; first token ${r.firstTokenPageMs.toFixed(0)} ms after opening; "${r.runs[0].text}"`);
  assert.equal(r.crossOriginIsolated, true);
  assert.equal(r.threads, 2);
  assert.match(r.notes, /^wasm (relaxed|simd128), 2 threads(,|$)/);
  assert.deepEqual(r.runs[0].ids, expected);
  assert.equal(r.runs[0].ids.length, TOKENS);
});

test('not isolated: the single-thread build, the notes say why, the same tokens', { skip, timeout: 300_000 }, async () => {
  const expected = await nodeGreedy();
  const r = await decodeInPage(false);
  console.log(`plain page: ${r.notes}`);
  assert.equal(r.crossOriginIsolated, false);
  assert.equal(r.threads, 1);
  assert.match(r.notes, /1 thread.*not cross-origin isolated/);
  assert.deepEqual(r.runs[0].ids, expected);
});

test('on the main thread of an isolated page: one thread, and the notes say to use a Worker', { skip, timeout: 120_000 }, async () => {
  const server = await serveStatic(site, { isolated: true });
  const page = await browser!.newPage();
  try {
    await page.goto(`${server.url}/main-thread.html`);
    await page.waitForFunction(() => (globalThis as unknown as { glasslmMainThread?: { done: boolean } }).glasslmMainThread?.done === true, null, { timeout: 60_000 });
    const r = await page.evaluate(() => (globalThis as unknown as { glasslmMainThread: unknown }).glasslmMainThread) as { error?: string; notes: string; threads: number; product: number[] };
    assert.equal(r.error, undefined, r.error);
    console.log(`main thread: ${r.notes}`);
    assert.equal(r.threads, 1);
    assert.match(r.notes, /asked for 2: Atomics\.wait is not allowed on this thread .*Worker/);
    assert.deepEqual(r.product, [19, 22, 43, 50]);
  } finally {
    await page.close();
    await server.close();
  }
});
