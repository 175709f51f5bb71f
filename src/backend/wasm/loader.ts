// Picks and compiles the kernel module: the relaxed-SIMD build where the engine accepts relaxed
// SIMD (checked with WebAssembly.validate on a tiny module), else the SIMD128 build. Node 20's V8
// implements relaxed SIMD behind --experimental-wasm-relaxed-simd (on by default from the next
// V8): unless relaxed SIMD is refused, the Node host turns that flag on itself and checks again.
//
// The .wasm files live beside the kernels' C sources in src/backend/wasm (built by
// scripts/build-wasm.sh and committed); `npm run build` copies them beside the compiled JS in
// dist/src/backend/wasm. Reading them is the platform host's job (#wasm-host: ./host-node.ts,
// ./host-browser.ts), or the caller's (`source`).

import { host } from '#wasm-host';
import type { KernelFile, WasmSource } from './host.js';

export type SimdFlavor = 'relaxed' | 'simd128';

/** The builds: threads on a shared memory, or one thread on an ordinary memory (no SharedArrayBuffer). */
const FILES: Record<SimdFlavor, { shared: KernelFile; single: KernelFile }> = {
  relaxed: { shared: 'glasslm-relaxed.wasm', single: 'glasslm-relaxed-st.wasm' },
  simd128: { shared: 'glasslm-simd.wasm', single: 'glasslm-simd-st.wasm' },
};

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

// (module (func (result v128) v128.const 0 … )) : plain SIMD128
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b,
]);

/** Whether this engine runs relaxed SIMD (Node 20 only with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/**
 * Compiles the chosen build. `relaxed: true` demands relaxed SIMD; false forbids it; undefined picks.
 * `shared`: the threaded build on a shared memory (else one thread, ordinary memory).
 * `source`: where the .wasm files are, when not beside the compiled JS (see WasmSource).
 */
export async function loadKernels(relaxed?: boolean, shared = true, source?: WasmSource): Promise<{ module: WebAssembly.Module; simd: SimdFlavor }> {
  if (!simdSupported()) throw new Error('glasslm wasm backend: this engine has no WebAssembly SIMD');
  const canRelax = relaxed === false ? relaxedSimdSupported() : await host.enableRelaxedSimd(relaxedSimdSupported);
  if (relaxed === true && !canRelax) {
    throw new Error('glasslm wasm backend: relaxed SIMD is not available here (Node 20 needs --experimental-wasm-relaxed-simd)');
  }
  const simd: SimdFlavor = (relaxed ?? canRelax) ? 'relaxed' : 'simd128';
  const module = await WebAssembly.compile((await host.readKernel(shared ? FILES[simd].shared : FILES[simd].single, source)) as unknown as BufferSource);
  return { module, simd };
}
