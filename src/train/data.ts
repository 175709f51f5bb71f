// Training data: a held-out validation split, and random windows of context + 1 tokens (as
// nanoGPT's get_batch). Text files tokenized once into a cached token file: ./data-file.ts (Node).

import * as op from '../ops/index.js';
import type { Rng } from '../ops/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** Splits tokens into train and validation, the last `fraction` of the tokens held out. */
export function splitTokens(ids: Int32Array, fraction: number): { train: Int32Array; val: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`validation fraction must be in [0, 1), got ${fraction}`);
  const cut = Math.floor(ids.length * (1 - fraction));
  return { train: ids.subarray(0, cut), val: ids.subarray(cut) };
}

/** B random windows of T + 1 tokens: inputs (B, T) and next-token targets (B, T). */
export function sampleBatch(tokens: Int32Array, batch: number, context: number, rng: Rng): { x: Tensor; y: Tensor } {
  if (tokens.length < context + 1) throw new Error(`${tokens.length} tokens are fewer than one window of ${context + 1}`);
  const x = new Int32Array(batch * context), y = new Int32Array(batch * context);
  for (let b = 0; b < batch; b++) {
    const start = rng.int(tokens.length - context);
    x.set(tokens.subarray(start, start + context), b * context);
    y.set(tokens.subarray(start + 1, start + context + 1), b * context);
  }
  return { x: op.tensor(x, [batch, context]), y: op.tensor(y, [batch, context]) };
}
