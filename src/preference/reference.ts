// The frozen reference policy of DPO and GRPO: what the tuned model is kept close to. For full
// fine-tuning it is a second copy of the starting weights that never trains; for LoRA it is the
// same base weights with the adapter switched off (one copy held).

import { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { keep, noGrad, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { type CompletionBatch, type TokenizedExample, completionBatch, completionTokenLogProbs } from './logprobs.js';

export interface Reference {
  /** What it is, for the log: "a frozen copy of the starting weights". */
  readonly description: string;
  /** Runs fn with the reference model (its parameters never require gradients). */
  run<T>(fn: (model: Model) => T): T;
  dispose(): void;
}

/** A copy of the model's current parameters, none of them trainable. */
export function frozenCopy(model: Model): Model {
  const params = new Map<string, Tensor>();
  for (const [name, t] of model.params) params.set(name, keep(op.tensor(t.floats().slice(), t.shape, t.dtype)));
  return new Model(model.config, params);
}

/** The reference as a separate frozen model (full fine-tuning). */
export class CopyReference implements Reference {
  readonly description = 'a frozen copy of the starting weights';
  constructor(readonly model: Model) {
    model.setTrainable(false);
  }

  run<T>(fn: (model: Model) => T): T {
    return noGrad(() => fn(this.model));
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * The reference as the policy's own base with its adapter switched off (LoRA): one copy of the
 * weights; the base never trains, so switching the adapter off gives the starting model exactly.
 */
export class AdapterOffReference implements Reference {
  readonly description = 'the base weights with the adapter switched off';
  constructor(readonly model: Model) {}

  run<T>(fn: (model: Model) => T): T {
    const adapter = this.model.adapter;
    this.model.adapter = null;
    try {
      return noGrad(() => fn(this.model));
    } finally {
      this.model.adapter = adapter;
    }
  }

  dispose(): void {} // the weights are the policy's
}

/** log π_ref(completion | prompt) for each example, in batches of batchSize, as float64. */
export function referenceLogProbs(ref: Reference, examples: readonly TokenizedExample[], batchSize: number): Float64Array {
  const out = new Float64Array(examples.length);
  ref.run((model) => {
    for (let i = 0; i < examples.length; i += batchSize) {
      const part = examples.slice(i, i + batchSize);
      const sums = tidy(() => op.sum(completionTokenLogProbs(model, completionBatch(part)), [1]).toArray());
      out.set(sums, i);
    }
  });
  return out;
}

/** Per-token reference log-probabilities (B, T) for a batch (no gradients); the caller owns the tensor. */
export function referenceTokenLogProbs(ref: Reference, batch: CompletionBatch): Tensor {
  return ref.run((model) => tidy(() => completionTokenLogProbs(model, batch)));
}
