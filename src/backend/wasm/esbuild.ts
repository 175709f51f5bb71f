// For apps bundled with esbuild, which does not follow the `new URL('./file', import.meta.url)`
// forms of ./host-browser.ts (esbuild issue #795): importing this module (`glasslm/esbuild`) with
// esbuild's `file` loader for .wasm puts the four kernel builds into the build output, and
// `esbuildKernels` holds createWasmBackend's `wasm` and `workerUrl` options that find them:
//
//   esbuild.build({ entryPoints: ['app.js', { in: 'glasslm/worker', out: 'glasslm-worker' }],
//                   bundle: true, format: 'esm', outdir: 'dist', loader: { '.wasm': 'file' } })
//   // app.js
//   import { createWasmBackend } from 'glasslm';
//   import { esbuildKernels } from 'glasslm/esbuild';
//   const backend = await createWasmBackend({ ...esbuildKernels });
//
// The loader gives each file's path relative to the output file that imports it, and this module
// is bundled into that file, so its own import.meta.url is the base. The kernel worker is the
// second entry point, written beside it as glasslm-worker.js. Other bundlers do not need this
// module (Vite follows the library's own forms) and may not load .wasm imports: do not import it
// there.

import relaxed from './glasslm-relaxed.wasm';
import relaxedSt from './glasslm-relaxed-st.wasm';
import simd from './glasslm-simd.wasm';
import simdSt from './glasslm-simd-st.wasm';
import type { WasmBackendOptions } from './index.js';

const here = (path: string) => new URL(path, import.meta.url);

/** createWasmBackend's `wasm` (the four builds, where esbuild's file loader put them) and `workerUrl` (the 'glasslm/worker' entry, as glasslm-worker.js). */
export const esbuildKernels: Required<Pick<WasmBackendOptions, 'wasm' | 'workerUrl'>> = {
  wasm: {
    'glasslm-relaxed.wasm': here(relaxed),
    'glasslm-relaxed-st.wasm': here(relaxedSt),
    'glasslm-simd.wasm': here(simd),
    'glasslm-simd-st.wasm': here(simdSt),
  },
  workerUrl: here('./glasslm-worker.js'),
};
