// Token positions when each batch row starts at its own position (rows of a KV cache that hold
// different sequences): position ids for learned embeddings, and rotary embeddings per row.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Sequences packed into rows (supervised fine-tuning): every token's own position (B·T, row-major,
 * restarting at 0 for each example) and, optionally, the segment (example) each token belongs
 * to; a token attends only to earlier tokens of its own segment.
 */
export interface TokenLayout {
  positions: Int32Array;
  segments?: Int32Array;
}

/** True when every row starts at the same position. */
export function sameStart(starts: Int32Array): boolean {
  for (let b = 1; b < starts.length; b++) if (starts[b] !== starts[0]) return false;
  return true;
}

/** Positions starts[b] … starts[b]+T-1 of each row: (T) int32 when the rows agree, else (B, T). */
export function positionIds(starts: Int32Array, T: number, layout?: TokenLayout): Tensor {
  if (layout) return op.tensor(layout.positions, [starts.length, T], 'int32');
  if (sameStart(starts)) return op.arange(starts[0], starts[0] + T);
  const ids = new Int32Array(starts.length * T);
  for (let b = 0; b < starts.length; b++) for (let t = 0; t < T; t++) ids[b * T + t] = starts[b] + t;
  return op.tensor(ids, [starts.length, T]);
}

/** Rotary embedding of x (B, T, heads, headDim), row b at positions starts[b] … starts[b]+T-1. */
export function ropeRows(x: Tensor, starts: Int32Array, invFreq: Float32Array, layout?: TokenLayout): Tensor {
  const [B, T, H, D] = x.shape;
  // every token at its own position: one sequence of B·T tokens for the rotary kernel
  if (layout) return op.reshape(op.rope(op.reshape(x, [1, B * T, H, D]), layout.positions, invFreq), [B, T, H, D]);
  const at = (start: number) => Int32Array.from({ length: T }, (_, t) => start + t);
  if (sameStart(starts)) return op.rope(x, at(starts[0]), invFreq);
  return op.concat(Array.from(starts, (start, b) => op.rope(op.slice(x, 0, b, b + 1), at(start), invFreq)), 0); // (B, T, heads, headDim)
}
