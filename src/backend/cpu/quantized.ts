// Reference weight-only int8 products over Q8 rows (src/backend/q8-rows.ts: per row, cols int8
// values q, then cols/32 float32 scales d; weight = d · q).

import { Q8_BLOCK, dequantizeQ8Row, q8RowBytes } from '../q8-rows.js';

/** out (m, n) = x (m, k) · Wᵀ (+ bias (n)), W (n, k) in Q8 rows. */
export function matmulQ8(x: Float32Array, w: Uint8Array, out: Float32Array, m: number, n: number, k: number, bias?: Float32Array | null): void {
  const blocks = k / Q8_BLOCK, rowBytes = q8RowBytes(k);
  const view = new DataView(w.buffer, w.byteOffset, w.byteLength);
  for (let j = 0; j < n; j++) {
    const row = j * rowBytes;
    for (let i = 0; i < m; i++) {
      const xRow = i * k;
      let sum = 0;
      for (let b = 0; b < blocks; b++) {
        const d = view.getFloat32(row + k + 4 * b, true);
        let dot = 0;
        for (let t = 0; t < Q8_BLOCK; t++) dot += x[xRow + b * Q8_BLOCK + t] * ((w[row + b * Q8_BLOCK + t] << 24) >> 24);
        sum += d * dot;
      }
      out[i * n + j] = sum + (bias ? bias[j] : 0);
    }
  }
}

/** out (n, k) = the Q8 rows of W expanded to float32. */
export function dequantizeQ8(w: Uint8Array, out: Float32Array, n: number, k: number): void {
  for (let j = 0; j < n; j++) dequantizeQ8Row(w, j, k, out.subarray(j * k, (j + 1) * k));
}

/** Round to nearest, ties to even (as f32x4.nearest). */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The int8 × int8 product of the wasm prefill kernel (kernels/q8gemm.c), slowly: each row of x is
 * quantized per block of 32 as llama.cpp's Q8_0 activations (scale s = max|x| / 127, q =
 * round-to-even(x / s) in float32), each block's dot product is exact in integers, and
 * out[i, j] = Σ_b s_ib · d_jb · Σ_t q · w (+ bias[j]).
 */
export function matmulQ8x8(x: Float32Array, w: Uint8Array, out: Float32Array, m: number, n: number, k: number, bias?: Float32Array | null): void {
  const blocks = k / Q8_BLOCK, rowBytes = q8RowBytes(k);
  const view = new DataView(w.buffer, w.byteOffset, w.byteLength);
  const q = new Int8Array(k), s = new Float32Array(blocks);
  for (let i = 0; i < m; i++) {
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      for (let t = 0; t < Q8_BLOCK; t++) amax = Math.max(amax, Math.abs(x[i * k + b * Q8_BLOCK + t]));
      s[b] = Math.fround(amax / 127);
      const inv = amax > 0 ? Math.fround(127 / amax) : 0;
      for (let t = 0; t < Q8_BLOCK; t++) q[b * Q8_BLOCK + t] = roundEven(Math.fround(x[i * k + b * Q8_BLOCK + t] * inv));
    }
    for (let j = 0; j < n; j++) {
      const row = j * rowBytes;
      let sum = 0;
      for (let b = 0; b < blocks; b++) {
        let dot = 0;
        for (let t = 0; t < Q8_BLOCK; t++) dot += q[b * Q8_BLOCK + t] * ((w[row + b * Q8_BLOCK + t] << 24) >> 24);
        sum += s[b] * view.getFloat32(row + k + 4 * b, true) * dot;
      }
      out[i * n + j] = sum + (bias ? bias[j] : 0);
    }
  }
}
