// Reference causal attention: softmax(q·kᵀ · scale + causal mask) · v, one query row at a time,
// with grouped-query sharing (query head h reads key/value head floor(h / (heads / kvHeads))).

import type { AttentionParams } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

export function attention(q: FloatArray, k: FloatArray, v: FloatArray, out: FloatArray, lse: FloatArray, probs: FloatArray | null, p: AttentionParams): void {
  const { batch, heads, kvHeads, queryLen: T, keyLen: S, headDim: D, offset, scale } = p;
  const group = heads / kvHeads, kvStride = p.kvHeadStride ?? S * D;
  const scores = new Float64Array(S); // one row of scores, reused
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qBase = (b * heads + h) * T * D;
      const kvBase = (b * kvHeads + Math.floor(h / group)) * kvStride;
      for (let i = 0; i < T; i++) {
        const qRow = qBase + i * D;
        const last = Math.min((p.rowOffsets ? p.rowOffsets[b] : offset) + i, S - 1); // keys 0 … last are visible
        let max = -Infinity;
        for (let j = 0; j <= last; j++) {
          const kRow = kvBase + j * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qRow + d] * k[kRow + d];
          scores[j] = dot * scale;
          if (scores[j] > max) max = scores[j];
        }
        let sum = 0;
        for (let j = 0; j <= last; j++) sum += Math.exp(scores[j] - max);
        const rowLse = max + Math.log(sum);
        lse[(b * heads + h) * T + i] = rowLse;
        const oRow = qBase + i * D;
        for (let d = 0; d < D; d++) out[oRow + d] = 0;
        const pRow = ((b * heads + h) * T + i) * S;
        for (let j = 0; j < S; j++) {
          const prob = j <= last ? Math.exp(scores[j] - rowLse) : 0;
          if (probs) probs[pRow + j] = prob;
          if (prob === 0) continue;
          const vRow = kvBase + j * D;
          for (let d = 0; d < D; d++) out[oRow + d] += prob * v[vRow + d];
        }
      }
    }
  }
}

export function attentionBackward(q: FloatArray, k: FloatArray, v: FloatArray, out: FloatArray, lse: FloatArray, dOut: FloatArray, dq: FloatArray, dk: FloatArray, dv: FloatArray, p: AttentionParams): void {
  const { batch, heads, kvHeads, queryLen: T, keyLen: S, headDim: D, offset, scale } = p;
  if (p.kvHeadStride !== undefined && p.kvHeadStride !== S * D) throw new Error('attentionBackward takes contiguous k and v');
  if (p.rowOffsets) throw new Error('attentionBackward takes one offset for every row');
  const group = heads / kvHeads;
  dq.fill(0);
  dk.fill(0);
  dv.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qBase = (b * heads + h) * T * D;
      const kvBase = (b * kvHeads + Math.floor(h / group)) * S * D;
      for (let i = 0; i < T; i++) {
        const qRow = qBase + i * D;
        const last = Math.min(offset + i, S - 1);
        const rowLse = lse[(b * heads + h) * T + i];
        // delta = Σ_j p_j (dOut · v_j) = dOut · out
        let delta = 0;
        for (let d = 0; d < D; d++) delta += dOut[qRow + d] * out[qRow + d];
        for (let j = 0; j <= last; j++) {
          const kRow = kvBase + j * D;
          let dot = 0, dp = 0;
          for (let d = 0; d < D; d++) {
            dot += q[qRow + d] * k[kRow + d];
            dp += dOut[qRow + d] * v[kRow + d];
          }
          const prob = Math.exp(dot * scale - rowLse);
          const ds = prob * (dp - delta) * scale;
          for (let d = 0; d < D; d++) {
            dv[kRow + d] += prob * dOut[qRow + d];
            dq[qRow + d] += ds * k[kRow + d];
            dk[kRow + d] += ds * q[qRow + d];
          }
        }
      }
    }
  }
}
