// One vector for a whole text, as the server's /v1/embeddings returns it: the mean over positions
// of the final hidden state (after the last norm, the vectors the output head reads), scaled to
// unit length. A causal model's last position alone sees everything too, but the mean is less
// dominated by the last token's next-word guess.

import { noGrad, tidy } from '../tensor/engine.js';
import * as op from '../ops/index.js';
import type { Model } from '../models/model.js';

/** ids (T) -> (d_model) vector: mean of ln_final.hook_normalized over the T positions, L2-normalised. */
export function textEmbedding(model: Model, ids: readonly number[]): Float32Array {
  if (ids.length === 0) throw new Error('cannot embed an empty input');
  return noGrad(() => tidy(() => {
    const { cache } = model.forward(op.tensor(Int32Array.from(ids), [1, ids.length]), { cache: ['ln_final.hook_normalized'], lastPositionOnly: false });
    const h = cache.get('ln_final.hook_normalized')!; // (1, T, C)
    const mean = op.mean(h, [1]).data(); // (1, C)
    cache.forEach((t) => t.dispose());
    let norm = 0;
    for (let i = 0; i < mean.length; i++) norm += mean[i] * mean[i];
    norm = Math.sqrt(norm) || 1;
    return Float32Array.from(mean, (v) => v / norm);
  }));
}
