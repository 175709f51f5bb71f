// Rotary position embedding (Hugging Face "rotate half" layout) and its inverse frequencies.

import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { contiguous } from './views.js';

/** invFreq[j] = 1 / theta^(2j / headDim), in float32 as Hugging Face computes it. */
export function ropeInverseFrequencies(headDim: number, theta: number): Float32Array {
  const inv = new Float32Array(headDim / 2);
  for (let j = 0; j < headDim / 2; j++) inv[j] = 1 / Math.pow(theta, Math.fround((2 * j) / headDim));
  return inv;
}

/** x (batch, seq, heads, headDim) rotated by positions (seq) · invFreq. */
export function rope(x: Tensor, positions: Int32Array, invFreq: Float32Array): Tensor {
  sameFloatType('rope', x);
  if (x.rank !== 4) throw new Error(`rope expects (batch, seq, heads, headDim), got ${formatShape(x.shape)}`);
  const [batch, seq, heads, headDim] = x.shape;
  if (positions.length !== seq || invFreq.length * 2 !== headDim) throw new Error(`rope: ${positions.length} positions / ${invFreq.length} frequencies do not fit ${formatShape(x.shape)}`);
  const out = Tensor.output(x.shape, x.dtype, x.backend);
  x.backend.rope(contiguous(x).floats(), out.floats(), batch, seq, heads, headDim, positions, invFreq, false);
  return record(out, 'rope', [x], (g) => {
    const dx = Tensor.output(x.shape, x.dtype, x.backend);
    x.backend.rope(contiguous(g).floats(), dx.floats(), batch, seq, heads, headDim, positions, invFreq, true);
    return [dx];
  });
}
