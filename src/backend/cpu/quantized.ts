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
