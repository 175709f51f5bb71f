// Greedy decode in headless Chromium beside Node, in the same run: the library bundled with esbuild
// (main entry) decodes in a Worker of a cross-origin isolated page; Node runs the same code
// (test/browser/greedy.ts) on the same wasm kernels and thread count. Also the time from opening the
// page to the first generated token (bundle, kernels, fetching the model, warm-up, prefill).
// Prints one JSON line per model: the built-in model, and stories260K when ../shared has it.
// usage: node dist/bench/browser-decode.js [--tokens 200] [--runs 3] [--threads 1]

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWasmBackend, loadModel, loadTokenizer, setBackend } from '../src/node.js';
import { CHROMIUM_PATH, bundleSite, launchChromium, serveStatic } from '../test/browser/chromium.js';
import { matchBrowserNice } from '../test/browser/process-stats.js';
import type { DecodeMessage, DecodeRequest } from '../test/browser/decode-worker.js';
import { timedGreedy } from '../test/browser/greedy.js';
import { projectRoot, sharedPath } from '../test/shared.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '200' }, runs: { type: 'string', default: '3' }, threads: { type: 'string', default: '1' } } });
const tokens = Number(values.tokens), runs = Number(values.runs), threads = Number(values.threads);
if (!existsSync(CHROMIUM_PATH)) {
  console.error(`${CHROMIUM_PATH} is absent: sh scripts/install-browser.sh`);
  process.exit(1);
}

interface Case { name: string; files: Record<string, string>; nodeModel: string; nodeTokenizer: string; prompt: string }
const builtin = join(projectRoot, 'models', 'builtin');
const cases: Case[] = [{ name: 'built-in (Llama, 3.15M)', files: { 'config.json': join(builtin, 'config.json'), 'model.safetensors': join(builtin, 'model.safetensors'), 'tokenizer.json': join(builtin, 'tokenizer.json') }, nodeModel: builtin, nodeTokenizer: builtin, prompt: 'Once upon a time' }];
const stories = sharedPath('data', 'models', 'stories260K');
if (stories) cases.push({ name: 'stories260K (llama2.c)', files: { 'stories260K.bin': join(stories, 'stories260K.bin'), 'tok512.bin': join(stories, 'tok512.bin') }, nodeModel: join(stories, 'stories260K.bin'), nodeTokenizer: join(stories, 'tok512.bin'), prompt: '' });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const site = mkdtempSync(join(tmpdir(), 'glasslm-bench-browser-'));
// A switch Chromium ignores, to find its processes. Chromium sets its threads' nice levels itself
// (its worker to 0 under `nice -n 10 node …`), which favours the browser over Node on a loaded
// machine: while the page decodes, its threads are given this process's level every 50 ms.
const marker = `--glasslm-bench=${process.pid}`;
const browser = await launchChromium([marker]);
try {
  await bundleSite(site, { 'decode-page.js': 'dist/test/browser/decode-page.js', 'decode-worker.js': 'dist/test/browser/decode-worker.js' });
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>glasslm decode</title><link rel="icon" href="data:,"><script type="module" src="decode-page.js"></script>\n');
  const server = await serveStatic(site, { isolated: true });
  const nodeBackend = await createWasmBackend({ threads });
  try {
    for (const [i, c] of cases.entries()) {
      mkdirSync(join(site, `m${i}`));
      const files: Record<string, string> = {};
      for (const [name, path] of Object.entries(c.files)) {
        copyFileSync(path, join(site, `m${i}`, name));
        files[name] = `/m${i}/${name}`;
      }
      // the browser: a fresh page each time, so the first-token time is from a cold open
      const page = await browser.newPage();
      const request: DecodeRequest = { files, prompt: c.prompt, tokens, runs, wasm: `${server.url}/wasm/`, workerUrl: `${server.url}/glasslm-kernel-worker.js`, threads };
      const nice = setInterval(() => matchBrowserNice(marker), 50);
      try {
        await page.goto(`${server.url}/index.html?request=${encodeURIComponent(JSON.stringify(request))}`);
        await page.waitForFunction(() => (globalThis as unknown as { glasslmDecode?: { done: boolean } }).glasslmDecode?.done === true, null, { timeout: 300_000, polling: 200 });
      } finally {
        clearInterval(nice);
      }
      const outcome = await page.evaluate(() => (globalThis as unknown as { glasslmDecode: unknown }).glasslmDecode) as
        { error?: string; firstTokenPageMs: number; result: Extract<DecodeMessage, { kind: 'done' }> };
      await page.close();
      if (outcome.error) throw new Error(`${c.name} in the browser: ${outcome.error}`);
      const web = outcome.result;
      // Node: the same code on the same kernels, after the same untimed warm-up run
      setBackend(nodeBackend);
      const model = loadModel(c.nodeModel), tok = loadTokenizer(c.nodeTokenizer);
      const nodeRuns = [timedGreedy(model, tok, c.prompt, tokens)];
      for (let r = 0; r < runs; r++) nodeRuns.push(timedGreedy(model, tok, c.prompt, tokens));
      const webRate = median(web.runs.slice(1).map((r) => r.decodeTokensPerS));
      const nodeRate = median(nodeRuns.slice(1).map((r) => r.decodeTokensPerS));
      console.log(JSON.stringify({
        workload: `greedy decode, ${c.name}, ${tokens} tokens, median of ${runs}`,
        browser_decode_tokens_per_s: Math.round(webRate * 10) / 10,
        node_decode_tokens_per_s: Math.round(nodeRate * 10) / 10,
        browser_over_node: Math.round((webRate / nodeRate) * 100) / 100,
        page_open_to_first_token_ms: Math.round(outcome.firstTokenPageMs),
        browser_load_ms: Math.round(web.loadMs),
        same_tokens: JSON.stringify(web.runs[0].ids) === JSON.stringify(nodeRuns[0].ids),
        browser_backend: web.notes,
        node_backend: nodeBackend.notes,
      }));
    }
  } finally {
    nodeBackend.dispose();
    await server.close();
  }
} finally {
  await browser.close();
  rmSync(site, { recursive: true, force: true });
}
