// A reward model: the transformer with a scalar head on the last token's final hidden state.
//   h = ln_final(x)[last token]       (B, D)   — the hook 'ln_final.hook_normalized'
//   r = h · scoreᵀ                     (B,)     — score.weight (1, D), as Hugging Face's
//                                                 *ForSequenceClassification with one label
// The sequence is prompt + answer (its end-of-text token included, when the tokenizer has one),
// so the last token has read the whole answer.

import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { keep } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TokenizedExample } from './logprobs.js';

export const SCORE_WEIGHT = 'score.weight';
export const FINAL_HIDDEN = 'ln_final.hook_normalized';

export class RewardModel {
  constructor(readonly body: Model, readonly score: Tensor) {
    if (score.rank !== 2 || score.shape[0] !== 1 || score.shape[1] !== body.config.dim) {
      throw new Error(`the reward head ${SCORE_WEIGHT} must be (1, ${body.config.dim}), got (${score.shape.join(', ')})`);
    }
  }

  /** A new head N(0, 1/√D) on a body (a language model to start from). */
  static init(body: Model, rng: op.Rng): RewardModel {
    return new RewardModel(body, keep(op.randn([1, body.config.dim], rng, 1 / Math.sqrt(body.config.dim))));
  }

  /** Every parameter (the body's and the head's), by name: what trains and what is saved. */
  get params(): Map<string, Tensor> {
    return new Map([...this.body.params, [SCORE_WEIGHT, this.score]]);
  }

  /** The final hidden state of each row's last token: (B, D). */
  lastHidden(examples: readonly TokenizedExample[]): Tensor {
    const seqs = examples.map((e) => [...e.prompt, ...e.completion]);
    const B = seqs.length, T = Math.max(...seqs.map((s) => s.length));
    if (B === 0 || T === 0) throw new Error('the reward model needs at least one non-empty sequence');
    const ids = new Int32Array(B * T); // right-padded with 0: padding comes after every real token, so it is never attended to
    seqs.forEach((s, b) => ids.set(s, b * T));
    const { cache } = this.body.forward(op.tensor(ids, [B, T]), { cache: [FINAL_HIDDEN] });
    const h = cache.get(FINAL_HIDDEN)!; // (B, T, D)
    const rows = seqs.map((s, b) => op.slice(op.slice(h, 0, b, b + 1), 1, s.length - 1, s.length)); // each (1, 1, D)
    return op.reshape(op.concat(rows, 0), [B, this.body.config.dim]); // (B, D)
  }

  /** The reward of each prompt + answer: (B,). Differentiable in the body and the head. */
  rewards(examples: readonly TokenizedExample[]): Tensor {
    const h = this.lastHidden(examples); // (B, D)
    return op.reshape(op.matmul(h, op.transpose(this.score)), [examples.length]); // (B, D)·(D, 1) -> (B,)
  }

  dispose(): void {
    this.body.dispose();
    this.score.dispose();
  }
}
