// Choosing a backend by name: 'cpu' (the reference), 'wasm' (WebAssembly SIMD on all cores), or
// 'auto' (wasm where it loads, else cpu, saying so).

import type { Backend } from './backend.js';
import { createCpuBackend } from './cpu/index.js';

export type BackendName = 'auto' | 'cpu' | 'wasm';

export interface SelectedBackend {
  backend: Backend;
  /** A line for the user: which backend, how many threads, and why. */
  note: string;
  /** True when 'auto' wanted WebAssembly and fell back to the slow reference backend. */
  fellBack: boolean;
}

export async function selectBackend(name: string = 'auto', threads?: number): Promise<SelectedBackend> {
  if (name !== 'auto' && name !== 'cpu' && name !== 'wasm') throw new Error(`unknown backend '${name}' (auto, cpu or wasm)`);
  if (name === 'cpu') return { backend: createCpuBackend(), note: 'backend: cpu (plain TypeScript reference)', fellBack: false };
  try {
    const wasm = (await import('./wasm/index.js' as string)) as { createWasmBackend(o: { threads?: number }): Promise<Backend & { threads: number; simd: string; notes?: string }> };
    const backend = await wasm.createWasmBackend({ threads });
    return { backend, note: `backend: wasm (${backend.simd}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'})${backend.notes && !backend.notes.startsWith('wasm ') ? ` — ${backend.notes}` : ''}`, fellBack: false };
  } catch (err) {
    if (name === 'wasm') throw new Error(`the WebAssembly backend could not start: ${(err as Error).message}`);
    return { backend: createCpuBackend(), note: `backend: cpu, slow (the WebAssembly backend could not start: ${(err as Error).message})`, fellBack: true };
  }
}
