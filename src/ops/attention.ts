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
  /**
   * Inference only: batch row b's first query sits at rowOffsets[b] (rows of a KV cache holding
   * different lengths); replaces `offset`. Each row attends over its own keys 0 … rowOffsets[b] + i.
   */
  rowOffsets?: Int32Array;
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
  if (opts.rowOffsets) {
    const offsets = opts.rowOffsets;
    if (offsets.length !== batch) throw new Error(`attention: ${offsets.length} row offsets for a batch of ${batch}`);
    for (const o of offsets) if (!(o >= 0 && o + T <= S)) throw new Error(`attention: a row offset of ${o} with ${T} queries needs more than the ${S} keys given`);
    p.rowOffsets = offsets;
  }
  const qc = contiguous(q);
  // k and v are read where they lie when only their head stride differs from a contiguous
  // layout (a slice of a KV cache allocated for more positions); otherwise copied
  const headStrided = (t: Tensor) => t.strides[3] === 1 && t.strides[2] === D && t.strides[0] === kvHeads * t.strides[1];
  const inPlace = headStrided(k) && headStrided(v) && k.strides[1] === v.strides[1];
  const kc = inPlace ? k : contiguous(k), vc = inPlace ? v : contiguous(v);
  const kvData = (t: Tensor) => (inPlace ? t.buffer.data.subarray(t.offset) : t.data()) as Float32Array;
  const out = Tensor.output(q.shape, q.dtype, q.backend);
  const lse = Tensor.output([batch, heads, T], q.dtype, q.backend);
  const probs = opts.returnProbs ? Tensor.empty([batch, heads, T, S], q.dtype, q.backend) : null;
  q.backend.attention(qc.floats(), kvData(kc), kvData(vc), out.floats(), lse.floats(), probs ? probs.floats() : null,
    inPlace ? { ...p, kvHeadStride: k.strides[1] } : p);
  record(out, 'attention', [q, k, v], (g) => {
    if (p.rowOffsets) throw new Error('attention with per-row offsets is for inference only: it has no gradient');
    const dq = Tensor.empty(q.shape, q.dtype, q.backend);
    const dk = Tensor.empty(k.shape, q.dtype, q.backend);
    const dv = Tensor.empty(v.shape, q.dtype, q.backend);
    q.backend.attentionBackward(qc.floats(), contiguous(kc).floats(), contiguous(vc).floats(), out.floats(), lse.floats(), contiguous(g).floats(), dq.floats(), dk.floats(), dv.floats(), p);
    return [dq, dk, dv];
  });
  return { out, probs };
}
