// A throwaway app that imports glasslm as a dependency would (for the bundler tests): its source
// files in a temporary folder, with node_modules/glasslm linked to this checkout, as
// `npm install ../glasslm` links it. And the result such an app leaves in its page.

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { projectRoot } from '../shared.js';

/** Writes `files` (name → text) into a new temporary folder that has glasslm in node_modules; returns the folder. */
export function makeAppFolder(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(projectRoot, join(dir, 'node_modules', 'glasslm'), 'dir');
  return dir;
}

/**
 * The app's generating worker, as a user would write it: on a message { files: [name, url][],
 * prompt, tokens } it loads the model from those URLs, decodes greedily on a 2-thread backend and
 * posts { ids, threads, notes, isolated } or { error }. `setup` is source run first that defines
 * `options`, the extra createWasmBackend options (default: none).
 */
export function greedyWorkerSource(setup = 'const options = {};'): string {
  return `
import { createWasmBackend, generateIds, loadModelFromFiles, loadTokenizerFromFiles, setBackend } from 'glasslm';
${setup}
onmessage = async (e) => {
  try {
    const backend = await createWasmBackend({ threads: 2, ...options });
    setBackend(backend);
    const files = Object.fromEntries(await Promise.all(e.data.files.map(async ([name, url]) => [name, new Uint8Array(await (await fetch(url)).arrayBuffer())])));
    const model = loadModelFromFiles(files), tok = loadTokenizerFromFiles(files);
    const prompt = [...(tok.bos !== undefined ? [tok.bos] : []), ...tok.encode(e.data.prompt)];
    const ids = [...generateIds(model, prompt, { temperature: 0, maxTokens: e.data.tokens })].map((t) => t.id);
    postMessage({ ids, threads: backend.threads, notes: backend.notes, isolated: crossOriginIsolated });
  } catch (err) {
    postMessage({ error: String(err && err.stack || err) });
  }
};
`;
}

/** Opens `url`, waits for the app to set globalThis.glasslmResult, and returns it with the page's uncaught errors. */
export async function appResult<T>(browser: Browser, url: string, timeout = 240_000): Promise<{ result: T; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { glasslmResult?: unknown }).glasslmResult !== undefined, null, { timeout, polling: 200 });
    const result = await page.evaluate(() => (globalThis as unknown as { glasslmResult: unknown }).glasslmResult) as T;
    return { result, errors };
  } finally {
    await page.close();
  }
}
