// The int8 × int8 prefill product (kernels/q8gemm.c) against the float path it replaces (Q8 weights
// expanded to float32, then the float matmul), on GPT-2-small's prefill shapes (512 rows), with
// the one-thread int8 dot-product peak measured in the same run.
// usage: node dist/bench/q8-gemm.js [--threads 1] [--rows 512] [--from-memory]
// --from-memory: each product cycles through copies of its weights (64 MiB of them, past the
// caches), as in a model's step, instead of finding them in cache.
// On one thread the times are the process's CPU time (steadier on a shared machine).

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { q8RowBytes } from '../src/backend/q8-rows.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, rows: { type: 'string', default: '512' }, 'from-memory': { type: 'boolean', default: false } } });
const threads = Number(values.threads), M = Number(values.rows);
const b = await createWasmBackend({ threads, int8Gemm: true, ...(process.env.GL_WASM_DIR ? { wasm: pathToFileURL(process.env.GL_WASM_DIR + '/') } : {}) });
console.log(`${b.notes}; prefill probe ${JSON.stringify(b.int8GemmProbe)}`);
const t0 = performance.now();
const macs = b.peakIntMacs('i8', 2_000_000);
console.log(`int8 dot peak, 1 thread: ${(macs / ((performance.now() - t0) / 1000) / 1e9).toFixed(1)} G multiply-adds/s`);
// one thread: the process's CPU time (a busy machine's descheduled time left out), else wall time
const now = () => (threads === 1 ? (({ user, system }) => (user + system) / 1000)(process.cpuUsage()) : performance.now());
const best = (f: () => void, reps = 7) => {
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const s = now();
    f();
    t = Math.min(t, now() - s);
  }
  return t / 1000;
};
for (const [N, K] of [[2304, 768], [768, 768], [3072, 768], [768, 3072]]) {
  const copies = values['from-memory'] ? Math.ceil(2 ** 26 / (N * q8RowBytes(K))) : 1;
  const x = b.alloc('float32', M * K) as Float32Array, ws = Array.from({ length: copies }, () => b.alloc('uint8', N * q8RowBytes(K)) as Uint8Array);
  const out = b.alloc('float32', M * N) as Float32Array, dense = b.alloc('float32', N * K) as Float32Array;
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i);
  for (const w of ws) {
    for (let i = 0; i < w.length; i++) w[i] = (i * 37) & 0xff;
    for (let j = 0; j < N; j++) new Float32Array(w.buffer, w.byteOffset + j * q8RowBytes(K) + K, K / 32).fill(0.01);
  }
  let c = 0;
  const int8 = best(() => b.matmulQ8x8!(x, ws[c++ % copies], out, M, N, K));
  const float = best(() => {
    b.dequantizeQ8(ws[c++ % copies], dense, N, K);
    b.matmul(x, dense, out, { batch: 1, m: M, n: N, k: K, transA: false, transB: true, strideA: 0, strideB: 0, accumulate: false });
  });
  const g = (s: number) => ((M * N * K) / s / 1e9).toFixed(1);
  console.log(`(${M} × ${K}) · (${K} × ${N}): int8 × int8 ${(int8 * 1000).toFixed(2)} ms (${g(int8)} G multiply-adds/s), float path ${(float * 1000).toFixed(2)} ms (${g(float)}) → ${(float / int8).toFixed(2)}×`);
  for (const a of [x, ...ws, out, dense]) b.free(a);
}
b.dispose();
