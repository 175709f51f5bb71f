// The wasm backend's platform in a browser (and any engine that is not Node): kernel modules are
// fetched, kernel threads are module Workers. The `new URL('./file', import.meta.url)` and
// `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` forms are written out
// literally so that bundlers that follow them (Vite, webpack, Parcel) emit the files; esbuild does
// not, and its apps spread `esbuildKernels` from ./esbuild.ts into createWasmBackend's options
// (see docs/browser.md).

import { type KernelFile, type KernelWorker, type WasmHost, sourceFor } from './host.js';
import type { WorkerInit } from './protocol.js';

/** The default place of each build: beside this module once built (the build copies the .wasm files into dist). */
function defaultUrl(file: KernelFile): URL {
  switch (file) {
    case 'glasslm-relaxed.wasm': return new URL('./glasslm-relaxed.wasm', import.meta.url);
    case 'glasslm-relaxed-st.wasm': return new URL('./glasslm-relaxed-st.wasm', import.meta.url);
    case 'glasslm-simd.wasm': return new URL('./glasslm-simd.wasm', import.meta.url);
    case 'glasslm-simd-st.wasm': return new URL('./glasslm-simd-st.wasm', import.meta.url);
  }
}

async function fetchBytes(url: string | URL, file: KernelFile): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`glasslm wasm backend: could not fetch ${file} from ${String(url)}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new Error(`glasslm wasm backend: fetching ${file} from ${String(url)} gave HTTP ${response.status} (pass createWasmBackend({ wasm }) to say where the .wasm files are)`);
  return new Uint8Array(await response.arrayBuffer());
}

function newWorker(workerUrl: string | URL | undefined): Worker {
  return workerUrl ? new Worker(workerUrl, { type: 'module' }) : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
}

export const host: WasmHost = {
  name: 'browser',
  async readKernel(file, source) {
    const given = sourceFor(file, source);
    if (given instanceof Uint8Array) return given;
    if (given instanceof ArrayBuffer) return new Uint8Array(given);
    return fetchBytes(given ?? defaultUrl(file), file);
  },
  startWorker(init: WorkerInit, workerUrl?: string | URL): Promise<KernelWorker> {
    const w = newWorker(workerUrl);
    return new Promise((resolve, reject) => {
      w.onmessage = () => resolve(w);
      w.onerror = (e) => reject(new Error(`glasslm kernel worker ${String(workerUrl ?? './worker.js')} failed to start: ${e.message ?? 'error'}`));
      w.postMessage(init);
    });
  },
  defaultThreads() {
    return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  },
  async enableRelaxedSimd(validates) {
    return validates();
  },
  sharedMemoryBlocker() {
    const g = globalThis as { crossOriginIsolated?: boolean };
    if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp for threads)';
    return null;
  },
};
