// Token positions when each batch row starts at its own position (rows of a KV cache that hold
// different sequences, batched by a server). Positions are (T) when every row agrees (the usual
// case) and (B·T) when they differ: row b's positions at [b·T, (b+1)·T).

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

/** True when every row starts at the same position. */
export function sameStart(starts: Int32Array): boolean {
  for (let b = 1; b < starts.length; b++) if (starts[b] !== starts[0]) return false;
  return true;
}

/** Positions starts[b] … starts[b]+T-1: (T) when the rows agree, else (B·T). */
export function positionsFor(starts: Int32Array, T: number): Int32Array {
  const rows = sameStart(starts) ? 1 : starts.length;
  const out = new Int32Array(rows * T);
  for (let b = 0; b < rows; b++) for (let t = 0; t < T; t++) out[b * T + t] = starts[b] + t;
  return out;
}

/** Position ids as a tensor for a learned position table: (T), or (B, T) when rows differ. */
export function positionIds(positions: Int32Array, B: number, T: number): Tensor {
  return op.tensor(positions, positions.length === T ? [T] : [B, T], 'int32');
}

/** Rotary embedding of x (B, T, heads, headDim) at `positions` ((T), or (B·T) per row). */
export function ropeAt(x: Tensor, positions: Int32Array, invFreq: Float32Array): Tensor {
  const [B, T] = x.shape;
  if (positions.length === T) return op.rope(x, positions, invFreq);
  return op.concat(Array.from({ length: B }, (_, b) => op.rope(op.slice(x, 0, b, b + 1), positions.subarray(b * T, (b + 1) * T), invFreq)), 0); // (B, T, heads, headDim)
}
