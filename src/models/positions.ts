// Token positions when each batch row starts at its own position (rows of a KV cache that hold
// different sequences): position ids for learned embeddings, and rotary embeddings per row.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

/** True when every row starts at the same position. */
export function sameStart(starts: Int32Array): boolean {
  for (let b = 1; b < starts.length; b++) if (starts[b] !== starts[0]) return false;
  return true;
}

/** Positions starts[b] … starts[b]+T-1 of each row: (T) int32 when the rows agree, else (B, T). */
export function positionIds(starts: Int32Array, T: number): Tensor {
  if (sameStart(starts)) return op.arange(starts[0], starts[0] + T);
  const ids = new Int32Array(starts.length * T);
  for (let b = 0; b < starts.length; b++) for (let t = 0; t < T; t++) ids[b * T + t] = starts[b] + t;
  return op.tensor(ids, [starts.length, T]);
}

/** Rotary embedding of x (B, T, heads, headDim), row b at positions starts[b] … starts[b]+T-1. */
export function ropeRows(x: Tensor, starts: Int32Array, invFreq: Float32Array): Tensor {
  const T = x.shape[1];
  const at = (start: number) => Int32Array.from({ length: T }, (_, t) => start + t);
  if (sameStart(starts)) return op.rope(x, at(starts[0]), invFreq);
  return op.concat(Array.from(starts, (start, b) => op.rope(op.slice(x, 0, b, b + 1), at(start), invFreq)), 0); // (B, T, heads, headDim)
}
