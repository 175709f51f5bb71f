// The browser side of the decode test and benchmark, run as a module Worker (the backend's threads
// need Atomics.wait, which a page's main thread may not call): fetches the model's files, creates
// the wasm backend, loads model and tokenizer from bytes, decodes greedily, posts the results.

import { createWasmBackend, loadModelFromFiles, loadTokenizerFromFiles, setBackend } from '../../src/index.js';
import { timedGreedy } from './greedy.js';

/** What the page asks for. */
export interface DecodeRequest {
  /** File name -> URL (a model folder, a GGUF, or a llama2.c .bin + tok512.bin). */
  files: Record<string, string>;
  prompt: string;
  tokens: number;
  /** Greedy runs after a first, untimed warm-up run (each reported). */
  runs: number;
  /** Folder URL of the four .wasm builds, and the kernel worker script (esbuild does not copy them). */
  wasm: string;
  workerUrl: string;
  threads?: number;
}

export type DecodeMessage =
  | { kind: 'first-token' }
  | { kind: 'done'; notes: string; threads: number; crossOriginIsolated: boolean; loadMs: number; runs: ReturnType<typeof timedGreedy>[] }
  | { kind: 'error'; message: string };

const scope = globalThis as unknown as { onmessage: (e: MessageEvent<DecodeRequest>) => void; postMessage(m: DecodeMessage): void; crossOriginIsolated?: boolean };

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetching ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// (`node --test dist/test/` also imports this file: outside a Worker it only sets a handler nobody calls)
scope.onmessage = async (e) => {
  try {
    const req = e.data;
    const t0 = performance.now();
    const backend = await createWasmBackend({ wasm: req.wasm, workerUrl: req.workerUrl, ...(req.threads ? { threads: req.threads } : {}) });
    setBackend(backend);
    const entries = await Promise.all(Object.entries(req.files).map(async ([name, url]) => [name, await fetchBytes(url)] as const));
    const files = Object.fromEntries(entries);
    const model = loadModelFromFiles(files);
    const tok = loadTokenizerFromFiles(files);
    const loadMs = performance.now() - t0;
    const runs = [timedGreedy(model, tok, req.prompt, req.tokens, () => scope.postMessage({ kind: 'first-token' }))];
    for (let i = 0; i < req.runs; i++) runs.push(timedGreedy(model, tok, req.prompt, req.tokens));
    scope.postMessage({ kind: 'done', notes: backend.notes, threads: backend.threads, crossOriginIsolated: scope.crossOriginIsolated === true, loadMs, runs });
  } catch (err) {
    scope.postMessage({ kind: 'error', message: (err as Error).stack ?? String(err) });
  }
};
