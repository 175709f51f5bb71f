// Log-probability of each target token under the logits: the per-token form of cross-entropy
// (log p = -crossEntropy), kept per position so that callers can sum it per sequence (DPO, reward
// of a completion) or use it per token (GRPO's probability ratios, before/after comparisons).

import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { contiguous } from './views.js';

/**
 * logits (…, vocab), targets (…) int32 -> (…) log softmax(logits)[target]; 0 where the target is
 * -1 (ignored). Differentiable in the logits.
 */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  sameFloatType('tokenLogProbs', logits);
  if (targets.dtype !== 'int32') throw new Error(`tokenLogProbs: targets must be int32, got ${targets.dtype}`);
  const vocab = logits.shape[logits.rank - 1];
  const rows = logits.size / vocab;
  if (targets.size !== rows || targets.rank !== logits.rank - 1 || targets.shape.some((d, i) => d !== logits.shape[i])) {
    throw new Error(`tokenLogProbs: targets ${formatShape(targets.shape)} do not match logits ${formatShape(logits.shape)}`);
  }
  const t = contiguous(targets).data() as Int32Array;
  for (const id of t) if (id >= vocab || id < -1) throw new Error(`tokenLogProbs: target ${id} is outside the vocabulary (0 … ${vocab - 1}, or -1 to ignore)`);
  const lc = contiguous(logits);
  const out = Tensor.output(targets.shape, logits.dtype, logits.backend);
  const o = out.floats();
  logits.backend.crossEntropy(lc.floats(), t, o, rows, vocab); // per-row -log p (0 when ignored)
  for (let i = 0; i < rows; i++) o[i] = t[i] < 0 ? 0 : -o[i];
  return record(out, 'tokenLogProbs', [logits], (g) => {
    const dLoss = Tensor.output([rows], logits.dtype, logits.backend);
    const gd = contiguous(g).floats(), d = dLoss.floats();
    for (let i = 0; i < rows; i++) d[i] = -gd[i]; // d(log p) = -d(cross-entropy)
    const dLogits = Tensor.output(logits.shape, logits.dtype, logits.backend);
    logits.backend.crossEntropyBackward(lc.floats(), t, d, dLogits.floats(), rows, vocab);
    dLoss.dispose();
    return [dLogits];
  });
}
