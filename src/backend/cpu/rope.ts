// Reference rotary position embedding in the Hugging Face "rotate half" layout:
// for j < D/2, (x[j], x[j + D/2]) is rotated by angle = position · invFreq[j].

import type { FloatArray } from '../../tensor/dtype.js';

export function rope(x: FloatArray, out: FloatArray, batch: number, seq: number, heads: number, headDim: number, positions: Int32Array, invFreq: Float32Array, inverse: boolean): void {
  const half = headDim >> 1;
  for (let t = 0; t < seq; t++) {
    const pos = positions[t];
    for (let j = 0; j < half; j++) {
      // Hugging Face computes the angle in float32, then cos/sin of it
      const angle = Math.fround(pos * invFreq[j]);
      const cos = Math.cos(angle);
      const sin = inverse ? -Math.sin(angle) : Math.sin(angle);
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const o = ((b * seq + t) * heads + h) * headDim;
          const x1 = x[o + j], x2 = x[o + j + half];
          out[o + j] = x1 * cos - x2 * sin;
          out[o + j + half] = x2 * cos + x1 * sin;
        }
      }
    }
  }
}
