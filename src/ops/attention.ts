// Causal scaled dot-product attention as one fused op: softmax(q·kᵀ · scale + mask) · v.

import type { AttentionParams } from '../backend/backend.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { contiguous } from './views.js';

export interface AttentionOptions {
  /** Absolute position of the first query (keys before it come from a cache). Default keyLen - queryLen. */
  offset?: number;
  /** Default 1 / sqrt(headDim). */
  scale?: number;
  /** Also return the probabilities (batch, heads, T, S). */
  returnProbs?: boolean;
}

/**
 * q (batch, heads, T, D), k and v (batch, kvHeads, S, D) -> out (batch, heads, T, D), and the
 * attention probabilities when asked. heads must be a multiple of kvHeads (grouped-query).
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): { out: Tensor; probs: Tensor | null } {
  sameFloatType('attention', q, k, v);
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) throw new Error('attention expects 4-D q, k, v (batch, heads, seq, headDim)');
  const [batch, heads, T, D] = q.shape;
  const [kb, kvHeads, S, kd] = k.shape;
  if (kb !== batch || kd !== D || heads % kvHeads !== 0 || v.shape.some((d, i) => d !== k.shape[i])) {
    throw new Error(`attention: shapes q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)} do not fit`);
  }
  const p: AttentionParams = {
    batch, heads, kvHeads, queryLen: T, keyLen: S, headDim: D,
    offset: opts.offset ?? S - T,
    scale: opts.scale ?? 1 / Math.sqrt(D),
  };
  const qc = contiguous(q), kc = contiguous(k), vc = contiguous(v);
  const out = Tensor.output(q.shape, q.dtype, q.backend);
  const lse = Tensor.output([batch, heads, T], q.dtype, q.backend);
  const probs = opts.returnProbs ? Tensor.empty([batch, heads, T, S], q.dtype, q.backend) : null;
  q.backend.attention(qc.floats(), kc.floats(), vc.floats(), out.floats(), lse.floats(), probs ? probs.floats() : null, p);
  record(out, 'attention', [q, k, v], (g) => {
    const dq = Tensor.empty(q.shape, q.dtype, q.backend);
    const dk = Tensor.empty(k.shape, q.dtype, q.backend);
    const dv = Tensor.empty(v.shape, q.dtype, q.backend);
    q.backend.attentionBackward(qc.floats(), kc.floats(), vc.floats(), out.floats(), lse.floats(), contiguous(g).floats(), dq.floats(), dk.floats(), dv.floats(), p);
    return [dq, dk, dv];
  });
  return { out, probs };
}
