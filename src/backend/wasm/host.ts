// What the wasm backend needs from the platform it runs on, behind one small interface with two
// implementations chosen by package.json "imports" (#wasm-host): ./host-node.ts under Node's
// "node" condition (fs, worker_threads, os, v8), ./host-browser.ts everywhere else (fetch, module
// Workers). The browser one is the only one a bundler with platform 'browser' ever sees, so the
// library's main entry reaches no node:* module.

import type { WorkerInit } from './protocol.js';

/** The four builds of the kernel module (scripts/build-wasm.sh): relaxed or plain SIMD, threads or one thread. */
export type KernelFile = 'glasslm-relaxed.wasm' | 'glasslm-relaxed-st.wasm' | 'glasslm-simd.wasm' | 'glasslm-simd-st.wasm';

/** Where kernel modules come from when not from beside the compiled JS: a folder URL, or files by name (URL or bytes). */
export type WasmSource = string | URL | Partial<Record<KernelFile, string | URL | Uint8Array | ArrayBuffer>>;

/** A started kernel worker. */
export interface KernelWorker {
  terminate(): unknown;
}

export interface WasmHost {
  /** 'node' or 'browser' (for notes and errors). */
  readonly name: string;
  /** The bytes of a kernel build: from `source` when it names the file, else from beside the compiled JS. */
  readKernel(file: KernelFile, source?: WasmSource): Promise<Uint8Array>;
  /** Starts one kernel worker and resolves once it is serving (it has posted 'ready'). */
  startWorker(init: WorkerInit, workerUrl?: string | URL): Promise<KernelWorker>;
  /** Threads to use when none are asked for: the cores this process may use. */
  defaultThreads(): number;
  /** Turns relaxed SIMD on where the engine has it behind a flag (Node 20); true when it now validates. */
  enableRelaxedSimd(validates: () => boolean): Promise<boolean>;
  /** Why a shared (threaded) memory must not be used here, or null when it may. */
  sharedMemoryBlocker(): string | null;
}

/** The URL or bytes `source` gives for a file, or undefined when it does not name it. */
export function sourceFor(file: KernelFile, source: WasmSource | undefined): string | URL | Uint8Array | ArrayBuffer | undefined {
  if (source === undefined) return undefined;
  if (typeof source === 'string' || source instanceof URL) {
    const base = String(source);
    return new URL(file, base.endsWith('/') ? base : base + '/');
  }
  return source[file];
}
