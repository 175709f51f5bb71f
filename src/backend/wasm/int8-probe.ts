// Which activations the int8 decode product uses, decided by measuring both on this engine:
// int16 (i32x4.dot_i16x8_s over widened weights: every engine) or int8 (relaxed SIMD's
// i32x4.relaxed_dot_i8x16_i7x16_add_s, llama.cpp's Q8_0 × Q8_0 product). The int8 instruction is
// fast only where the engine lowers it to the processor's int8 dot product (VNNI in current V8);
// elsewhere it is emulated and the int16 path stays.

import { q8RowBytes } from '../q8-rows.js';
import type { WasmAllocator } from './allocator.js';

type Fn = (...args: number[]) => number;

/** int8 is chosen when it takes at most this fraction of the int16 path's time. */
const INT8_WINS_BELOW = 0.9;

/**
 * Times gl_matvec_q8 on a (256 × 1024) Q8 matrix (300 KB: in cache, so arithmetic, not memory,
 * decides) in each mode (gl_set_q8_activations: 0 int16, 1 int8 with x's sign on the weights, 2
 * int8 with unsigned weights where the engine takes unsigned bytes), alternating, best of 15 rounds
 * of 16 calls each; keeps the fastest int8 mode where it wins, else int16. Returns whether int8
 * won, its mode, and the times (µs per call; int8Us is the faster int8 mode's). Only for the
 * relaxed build (the other has no int8 path).
 */
export function probeInt8(exports: Record<string, Fn>, alloc: WasmAllocator): { int8: boolean; mode: number; int8Us: number; int16Us: number } {
  const N = 256, K = 1024;
  const w = alloc.alloc(N * q8RowBytes(K)), x = alloc.alloc(K * 4), out = alloc.alloc(N * 4), counter = alloc.alloc(64);
  const mem = alloc.memory.buffer;
  const xs = new Float32Array(mem, x, K);
  for (let i = 0; i < K; i++) xs[i] = Math.sin(i);
  const bytes = new Uint8Array(mem, w, N * q8RowBytes(K));
  for (let r = 0; r < N; r++) {
    const row = r * q8RowBytes(K);
    for (let i = 0; i < K; i++) bytes[row + i] = (i * 37 + r) & 0x7f;
    new Float32Array(mem, w + row + K, K / 32).fill(0.01);
  }
  const ctr = new Int32Array(mem, counter, 1);
  const modes = exports.gl_q8_unsigned_dot() === 1 ? [0, 1, 2] : [0, 1];
  const time = (mode: number): number => {
    exports.gl_set_q8_activations(mode);
    const t0 = performance.now();
    for (let c = 0; c < 16; c++) {
      Atomics.store(ctr, 0, 0);
      exports.gl_matvec_q8(x, w, 0, out, N, K, N, counter, 0, 1);
    }
    return ((performance.now() - t0) / 16) * 1000;
  };
  for (let r = 0; r < 3; r++) for (const m of modes) time(m); // warm-up (optimized code)
  const best = modes.map(() => Infinity);
  for (let r = 0; r < 15; r++) modes.forEach((m, i) => { best[i] = Math.min(best[i], time(m)); }); // best of 15: a busy machine's slow rounds drop out
  for (const off of [w, x, out, counter]) alloc.free(off);
  const int16Us = best[0], int8Us = Math.min(...best.slice(1));
  const int8 = int8Us <= INT8_WINS_BELOW * int16Us;
  const mode = int8 ? modes[best.indexOf(int8Us)] : 0;
  exports.gl_set_q8_activations(mode);
  return { int8, mode, int8Us, int16Us };
}

/**
 * The int8 × int8 prefill product is chosen when it takes at most this fraction of the float path's
 * time. It was 0.85: on this 2-vCPU machine the int8 product's speed drops by a third for
 * stretches of a few hundred ms (other work on the host: one process's rate went 57, 36, 56, 36
 * G multiply-adds/s at 100 ms intervals) while the float path's drops by a tenth, and in 3 of 8,
 * 4 of 10 and 3 of 12 processes the probe measured 150-168 µs against 170-183 (0.88-0.92) and chose the float path,
 * which then ran 8 batched rows at half the speed for the whole process. Usually it is 119 µs
 * against 165 (0.72). Where the engine has no fast int8 product the float path wins outright.
 */
const GEMM_WINS_BELOW = 0.95;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether the int8 × int8 product for many rows (kernels/q8gemm.c) runs here, and faster than the
 * float path it replaces (W expanded to float32, then the float matmul): it needs the engine to
 * take relaxed_dot_i8x16_i7x16_add's second operand as unsigned bytes (gl_q8_unsigned_dot, true
 * where V8 uses VNNI), and is timed on a (64 × 512) · (512 × 128) product. Both paths are called
 * until the engine's optimized code is in (V8 compiles it in the background: a few 20 ms waits,
 * as warmup.ts's settle), then timed alternately, best of 9 rounds each (again, up to three times,
 * while the int8 product loses). Returns the decision and
 * both times (µs per product; 0 when it was not timed).
 */
export async function probeInt8Gemm(exports: Record<string, Fn>, alloc: WasmAllocator): Promise<{ int8: boolean; int8Us: number; floatUs: number }> {
  if (exports.gl_q8_unsigned_dot() !== 1) return { int8: false, int8Us: 0, floatUs: 0 };
  const M = 64, N = 128, K = 512;
  const groups = exports.gl_q8_x_groups(M);
  const w = alloc.alloc(N * q8RowBytes(K)), x = alloc.alloc(M * K * 4), out = alloc.alloc(M * N * 4), dense = alloc.alloc(N * K * 4);
  const xq = alloc.alloc(groups * 4 * K), xs = alloc.alloc(groups * (K / 32) * 16), xc = alloc.alloc(groups * (K / 32) * 16), counter = alloc.alloc(64);
  const mem = alloc.memory.buffer;
  const xv = new Float32Array(mem, x, M * K);
  for (let i = 0; i < M * K; i++) xv[i] = Math.sin(i);
  const bytes = new Uint8Array(mem, w, N * q8RowBytes(K));
  for (let r = 0; r < N; r++) {
    const row = r * q8RowBytes(K);
    for (let i = 0; i < K; i++) bytes[row + i] = (i * 37 + r) & 0xff;
    new Float32Array(mem, w + row + K, K / 32).fill(0.01);
  }
  const int8 = () => {
    exports.gl_q8_quantize_rows(x, xq, xs, xc, M, K, 0, 1);
    new Int32Array(mem, counter, 1)[0] = 0;
    exports.gl_q8_gemm(xq, xs, xc, w, 0, out, M, N, K, 32, counter, 0, 1);
  };
  const float = () => {
    exports.gl_dequantize_q8(w, dense, N, K, 0, 1);
    // out (M × N) = x (M × K) · denseᵀ: gl_matmul(a, b, out, batch, m, n, k, ars, acs, brs, bcs, strideA, strideB, accumulate, next)
    exports.gl_matmul(x, dense, out, 1, M, N, K, K, 1, 1, K, 0, 0, 0, 0, 0, 1);
  };
  const time = (f: () => void) => {
    const t0 = performance.now();
    for (let c = 0; c < 4; c++) f();
    return ((performance.now() - t0) / 4) * 1000;
  };
  // warm up until neither gets faster (optimized code in), at most ~0.2 s of waits
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    const t = time(int8) + time(float);
    if (i >= 3 && t > 0.9 * last) break;
    last = Math.min(last, t);
    await sleep(20);
  }
  let int8Us = Infinity, floatUs = Infinity;
  for (let attempt = 0; ; attempt++) {
    for (let r = 0; r < 9; r++) { // best of 9: a busy machine's slow rounds drop out
      int8Us = Math.min(int8Us, time(int8));
      floatUs = Math.min(floatUs, time(float));
    }
    // a loss can be the engine's first-tier code still running while a busy machine compiles the
    // optimized one (seen right after a 500 MB file was written: the float path, ~0.65× as fast,
    // for a whole run): look again, up to three times, 100 ms apart
    if (int8Us <= GEMM_WINS_BELOW * floatUs || attempt === 3) break;
    await sleep(100);
  }
  for (const off of [w, x, out, dense, xq, xs, xc, counter]) alloc.free(off);
  return { int8: int8Us <= GEMM_WINS_BELOW * floatUs, int8Us, floatUs };
}
