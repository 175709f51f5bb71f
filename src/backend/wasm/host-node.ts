// The wasm backend's platform under Node: kernel modules read with fs, kernel threads are
// worker_threads running ./worker-node.js, relaxed SIMD switched on with a V8 flag (Node 20).

import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { type KernelFile, type KernelWorker, type WasmHost, sourceFor } from './host.js';
import type { WorkerInit } from './protocol.js';

/**
 * Where a build is by default: beside this module (the build copies the .wasm files into dist),
 * then in the source tree for a checkout built with plain `tsc` (dist/src/backend/wasm -> src/backend/wasm).
 */
function defaultUrls(file: KernelFile): URL[] {
  return [new URL(`./${file}`, import.meta.url), new URL(`../../../../src/backend/wasm/${file}`, import.meta.url)];
}

async function readUrl(url: string | URL): Promise<Uint8Array> {
  const u = url instanceof URL ? url : /^[a-z][a-z0-9+.-]*:/i.test(url) && !/^[a-z]:[\\/]/i.test(url) ? new URL(url) : null;
  if (u && u.protocol !== 'file:') {
    const response = await fetch(u);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  return readFile(u ? fileURLToPath(u) : (url as string));
}

export const host: WasmHost = {
  name: 'node',
  async readKernel(file, source) {
    const given = sourceFor(file, source);
    if (given instanceof Uint8Array) return given;
    if (given instanceof ArrayBuffer) return new Uint8Array(given);
    if (given !== undefined) {
      try {
        return await readUrl(given);
      } catch (e) {
        throw new Error(`glasslm wasm backend: cannot read ${file} from ${String(given)}: ${(e as Error).message}`);
      }
    }
    for (const url of defaultUrls(file)) {
      try {
        return await readFile(fileURLToPath(url));
      } catch {
        // try the next location
      }
    }
    throw new Error(`glasslm wasm backend: ${file} not found beside ${import.meta.url} or in src/backend/wasm (run scripts/build-wasm.sh)`);
  },
  startWorker(init: WorkerInit, workerUrl?: string | URL): Promise<KernelWorker> {
    const url = workerUrl ?? new URL('./worker-node.js', import.meta.url);
    const w = new Worker(url, { workerData: init });
    w.unref(); // idle workers never keep the process alive
    return new Promise((resolve, reject) => {
      w.once('message', () => resolve(w));
      w.once('error', reject);
    });
  },
  defaultThreads() {
    return availableParallelism?.() ?? cpus().length;
  },
  async enableRelaxedSimd(validates) {
    if (validates()) return true;
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd'); // reaches worker threads started later too
    } catch {
      return false;
    }
    return validates();
  },
  sharedMemoryBlocker() {
    return null;
  },
};
