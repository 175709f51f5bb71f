// Reading the residual stream as the model does at its end: the final norm, then the unembedding.
// Shared by the logit lens and direct logit attribution.

import type { Model } from '../models/model.js';
import { finalNorm, unembedNormed } from '../models/readout.js';
import type { Tensor } from '../tensor/tensor.js';

/** The parameters of the model's last step: final norm (weight, bias for LayerNorm) and unembedding (vocab, d_model). */
export function readoutParams(model: Model): { kind: 'layernorm' | 'rmsnorm'; weight: Tensor; bias: Tensor | null; unembed: Tensor; eps: number } {
  const r = model.family.readout(model.config), p = model.params;
  return { kind: r.norm, weight: p.get(r.weight)!, bias: r.bias === undefined ? null : p.get(r.bias) ?? null, unembed: model.weight(r.unembed), eps: r.eps };
}

/** resid (…, d_model) -> logits (…, vocab) through the final norm and the unembedding, exactly as the model's own forward pass reads out. */
export function unembed(model: Model, resid: Tensor): Tensor {
  const r = model.family.readout(model.config);
  return unembedNormed(r, model, finalNorm(r, model.params, resid)); // (…, vocab)
}

/** Row `row` of a (…, n) float tensor's data as a copy. */
export function rowOf(t: Tensor, row: number): Float32Array {
  const n = t.shape[t.rank - 1];
  return Float32Array.from(t.floats().subarray(row * n, (row + 1) * n));
}

/** Softmax of a row in float64 (max subtracted). */
export function softmaxRow(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  const out = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += out[i] = Math.exp(x[i] - m);
  for (let i = 0; i < x.length; i++) out[i] /= s;
  return out;
}

/** Indices of the k largest values, largest first. */
export function topIndices(x: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (idx.length < k) idx.push(i);
    else if (x[i] > x[idx[idx.length - 1]]) idx[idx.length - 1] = i;
    else continue;
    for (let j = idx.length - 1; j > 0 && x[idx[j]] > x[idx[j - 1]]; j--) [idx[j], idx[j - 1]] = [idx[j - 1], idx[j]];
  }
  return idx;
}

/** Rank of index i in x (0 = the largest). */
export function rankOf(x: ArrayLike<number>, i: number): number {
  let r = 0;
  for (let j = 0; j < x.length; j++) if (x[j] > x[i]) r++;
  return r;
}

/** A printable label for a token id: its decoded text, or the vocabulary string, or '#id'. */
export type Decoder = (id: number) => string;
