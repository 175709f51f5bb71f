// Picks the backend a benchmark runs on: the reference cpu backend or the WebAssembly one.

import type { Backend } from '../src/backend/backend.js';
import { createCpuBackend } from '../src/backend/cpu/index.js';

export async function selectBackend(name: string, threads?: number): Promise<Backend> {
  if (name === 'cpu') return createCpuBackend();
  if (name === 'wasm') {
    const wasm = await import('../src/backend/wasm/index.js' as string);
    return wasm.createWasmBackend({ threads });
  }
  throw new Error(`unknown backend '${name}' (cpu or wasm)`);
}
