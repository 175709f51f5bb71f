// The model's last step, shared by the forward pass and the inspect views (logit lens, direct
// logit attribution): the final norm, then the unembedding, as the family's ReadoutSpec says.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ReadoutSpec, Weights } from './family.js';

/** resid (…, d_model) -> the final norm's output (…, d_model). */
export function finalNorm(r: ReadoutSpec, params: ReadonlyMap<string, Tensor>, resid: Tensor): Tensor {
  const w = params.get(r.weight)!;
  return r.norm === 'layernorm' ? op.layerNorm(resid, w, r.bias === undefined ? undefined : params.get(r.bias), r.eps) : op.rmsNorm(resid, w, r.eps);
}

/** normed (…, d_model) -> logits (…, vocab) through the unembedding (its int8 copy when the model holds one). */
export function unembedNormed(r: ReadoutSpec, w: Weights, normed: Tensor): Tensor {
  return w.proj.apply(normed, r.unembed);
}
