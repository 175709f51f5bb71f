// Cross-entropy between logits and integer targets, averaged over the targets that are not -1.

import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { contiguous } from './views.js';

/** logits (…, vocab), targets (…) int32 -> scalar mean loss. Target -1 is ignored. */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  sameFloatType('crossEntropy', logits);
  if (targets.dtype !== 'int32') throw new Error(`crossEntropy: targets must be int32, got ${targets.dtype}`);
  const vocab = logits.shape[logits.rank - 1];
  const rows = logits.size / vocab;
  if (targets.size !== rows) throw new Error(`crossEntropy: targets ${formatShape(targets.shape)} do not match logits ${formatShape(logits.shape)}`);
  const t = contiguous(targets).data() as Int32Array;
  let count = 0;
  for (const id of t) {
    if (id >= vocab || id < -1) throw new Error(`crossEntropy: target ${id} is outside the vocabulary (0 … ${vocab - 1}, or -1 to ignore)`);
    if (id >= 0) count++;
  }
  if (count === 0) throw new Error('crossEntropy: every target is ignored (-1)');
  const lc = contiguous(logits);
  const losses = Tensor.output([rows], logits.dtype, logits.backend);
  logits.backend.crossEntropy(lc.floats(), t, losses.floats(), rows, vocab);
  let total = 0;
  const l = losses.floats();
  for (let i = 0; i < l.length; i++) total += l[i];
  const out = Tensor.output([], logits.dtype, logits.backend);
  out.floats()[0] = total / count;
  return record(out, 'crossEntropy', [logits], (g) => {
    const dLoss = Tensor.output([rows], logits.dtype, logits.backend);
    dLoss.floats().fill(g.item() / count);
    const dLogits = Tensor.output(logits.shape, logits.dtype, logits.backend);
    logits.backend.crossEntropyBackward(lc.floats(), t, dLoss.floats(), dLogits.floats(), rows, vocab);
    return [dLogits];
  });
}
