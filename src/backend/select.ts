// Choosing a backend by name: 'cpu' (the reference), 'wasm' (WebAssembly SIMD on all cores), or
// 'auto' (wasm where it loads, else cpu, saying so). The environment variable GLASSLM_SIMD=simd128
// keeps the wasm backend on the plain SIMD128 build (relaxed: demand relaxed SIMD).

import type { Backend } from './backend.js';
import { createCpuBackend } from './cpu/index.js';
import { checkThreadCount } from './thread-limit.js';

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
  if (threads !== undefined) checkThreadCount(threads);
  if (name === 'cpu') return { backend: createCpuBackend(), note: 'backend: cpu (plain TypeScript reference)', fellBack: false };
  const simd = typeof process !== 'undefined' ? process.env?.GLASSLM_SIMD : undefined;
  if (simd !== undefined && simd !== 'simd128' && simd !== 'relaxed') throw new Error(`GLASSLM_SIMD must be simd128 or relaxed, got '${simd}'`);
  try {
    const wasm = (await import('./wasm/index.js' as string)) as { createWasmBackend(o: { threads?: number; relaxed?: boolean }): Promise<Backend & { threads: number; simd: string; notes?: string }> };
    const backend = await wasm.createWasmBackend({ threads, relaxed: simd === undefined ? undefined : simd === 'relaxed' });
    return { backend, note: `backend: wasm (${backend.simd}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'})${backend.notes && !backend.notes.startsWith('wasm ') ? ` — ${backend.notes}` : ''}`, fellBack: false };
  } catch (err) {
    if (name === 'wasm') throw new Error(`the WebAssembly backend could not start: ${(err as Error).message}`);
    return { backend: createCpuBackend(), note: `backend: cpu, slow (the WebAssembly backend could not start: ${(err as Error).message})`, fellBack: true };
  }
}
