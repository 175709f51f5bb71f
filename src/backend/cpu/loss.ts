// Reference cross-entropy over rows of logits, with -1 as the ignored target.

import type { FloatArray } from '../../tensor/dtype.js';
import { logSumExp } from './softmax.js';

export function crossEntropy(logits: FloatArray, targets: Int32Array, losses: FloatArray, rows: number, vocab: number): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    losses[r] = t < 0 ? 0 : logSumExp(logits, r * vocab, vocab) - logits[r * vocab + t];
  }
}

export function crossEntropyBackward(logits: FloatArray, targets: Int32Array, dLoss: FloatArray, dLogits: FloatArray, rows: number, vocab: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * vocab, t = targets[r];
    if (t < 0) {
      dLogits.fill(0, o, o + vocab);
      continue;
    }
    const lse = logSumExp(logits, o, vocab);
    const g = dLoss[r];
    for (let j = 0; j < vocab; j++) dLogits[o + j] = Math.exp(logits[o + j] - lse) * g;
    dLogits[o + t] -= g;
  }
}
