// Token positions for a forward pass: the same T positions in every row (the usual case), or each
// token's own (rows of a KV cache that hold different sequences, batched by a server; or short
// examples packed into one row, each restarting at 0): position ids for learned embeddings, and
// rotary embeddings.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

/** True when every row starts at the same position. */
export function sameStart(starts: Int32Array): boolean {
  for (let b = 1; b < starts.length; b++) if (starts[b] !== starts[0]) return false;
  return true;
}

/** Where the tokens sit: `positions` (T) shared by every row, or `rowPositions` (B·T) when the rows differ. */
export interface TokenPositions {
  positions: Int32Array;
  rowPositions?: Int32Array;
}

/** Position ids for a learned position table: (T) int32, or (B, T) when rows differ. */
export function positionIds(p: TokenPositions, B: number, T: number): Tensor {
  return p.rowPositions ? op.tensor(p.rowPositions, [B, T], 'int32') : op.tensor(p.positions, [T], 'int32');
}

/** Rotary embedding of x (B, T, heads, headDim) at the tokens' positions. */
export function ropeAt(x: Tensor, p: TokenPositions, invFreq: Float32Array): Tensor {
  if (!p.rowPositions) return op.rope(x, p.positions, invFreq);
  const [B, T, H, D] = x.shape;
  // every token at its own position: one sequence of B·T tokens for the rotary kernel
  return op.reshape(op.rope(op.reshape(x, [1, B * T, H, D]), p.rowPositions, invFreq), [B, T, H, D]);
}
