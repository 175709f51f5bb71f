// Reference weight-only int8 matmul over GGUF Q8_0 blocks (34 bytes: float16 scale, 32 × int8).

import { f16ToF32 } from '../../io/half.js';
import { dequantizeQ8_0 } from '../../io/gguf/quants.js';

export const Q8_BLOCK = 32;
export const Q8_BLOCK_BYTES = 34;

/** out (m, n) = x (m, k) · Wᵀ, W (n, k) in Q8_0 blocks. */
export function matmulQ8(x: Float32Array, w: Uint8Array, out: Float32Array, m: number, n: number, k: number): void {
  const blocks = k / Q8_BLOCK;
  const rowBytes = blocks * Q8_BLOCK_BYTES;
  for (let j = 0; j < n; j++) {
    const row = j * rowBytes;
    for (let i = 0; i < m; i++) {
      const xRow = i * k;
      let sum = 0;
      for (let b = 0; b < blocks; b++) {
        const base = row + b * Q8_BLOCK_BYTES;
        const d = f16ToF32(w[base] | (w[base + 1] << 8));
        let dot = 0;
        for (let t = 0; t < Q8_BLOCK; t++) dot += x[xRow + b * Q8_BLOCK + t] * ((w[base + 2 + t] << 24) >> 24);
        sum += d * dot;
      }
      out[i * n + j] = sum;
    }
  }
}

/** out = the Q8_0 blocks expanded to float32 (GGUF's definition, src/io/gguf/quants.ts). */
export function dequantizeQ8(w: Uint8Array, out: Float32Array): void {
  dequantizeQ8_0(w, 0, out);
}
