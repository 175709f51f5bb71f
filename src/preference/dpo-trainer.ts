// The DPO training loop: sample a batch of pairs, score chosen and rejected completions with the
// policy (one forward pass over 2B sequences) and with the frozen reference (or look its scores up
// when they were precomputed), take the preference loss, backward, clip, AdamW. One step at a
// time, so the CLI can show progress; state saved with src/train's checkpoints for exact resume.

import { backward } from '../autograd/backward.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LossRecord, TrainState } from '../train/checkpoint.js';
import { AdamW, clipGradNorm, refuseNonFinite, zeroGrad } from '../train/optimizer.js';
import type { TrainOptions } from '../train/options.js';
import { learningRateAt } from '../train/schedule.js';
import { type TokenizedExample, sequenceLogProbs } from './logprobs.js';
import { type PreferenceLossType, type PreferenceStats, preferenceLoss, preferenceStats } from './losses.js';
import { type Reference, referenceLogProbs } from './reference.js';

/** A preference pair as token ids: the same prompt with each answer. */
export interface TokenizedPair {
  chosen: TokenizedExample;
  rejected: TokenizedExample;
}

export interface DpoSettings {
  loss: PreferenceLossType;
  beta: number;
  /** Score every pair with the reference once, before training, instead of at every step. */
  precomputeReference: boolean;
}

export interface DpoStepReport extends PreferenceStats {
  step: number;
  lr: number;
  gradNorm: number;
  tokens: number;
}

export interface DpoEval extends PreferenceStats {
  step: number;
}

/** What DPO adds to src/train's checkpoint state. */
export interface DpoState extends TrainState {
  dpo: DpoSettings & { evals: DpoEval[] };
  /** The model the run started from (its reference). */
  basePath?: string;
}

interface RefScores {
  chosen: Float64Array;
  rejected: Float64Array;
}

export class DpoTrainer {
  readonly optimizer: AdamW;
  readonly history: LossRecord[] = [];
  readonly evals: DpoEval[] = [];
  step = 0;
  seconds = 0;
  readonly rng: op.Rng;
  private readonly precomputed = new Map<readonly TokenizedPair[], RefScores>();

  /**
   * trainable: the parameters that learn (default every parameter of the policy; an adapter's for
   * LoRA). The reference is never trained.
   */
  constructor(
    readonly policy: Model,
    readonly reference: Reference,
    readonly data: { train: TokenizedPair[]; heldOut: TokenizedPair[] },
    readonly options: TrainOptions,
    readonly settings: DpoSettings,
    readonly trainable: ReadonlyMap<string, Tensor> = policy.params,
  ) {
    if (data.train.length === 0) throw new Error('DPO needs at least one training pair');
    if (policy.inferenceOnly) throw new Error(`${policy.inferenceOnlyReason}: DPO needs its float weights`);
    for (const t of trainable.values()) t.requiresGrad = true;
    this.optimizer = new AdamW(trainable, { beta1: options.beta1, beta2: options.beta2, eps: 1e-8, weightDecay: options.weightDecay });
    this.rng = new op.Rng(options.seed);
    if (settings.precomputeReference) {
      for (const set of [data.train, data.heldOut]) if (set.length > 0) this.precomputed.set(set, this.scoreReference(set));
    }
  }

  get done(): boolean {
    return this.step >= this.options.steps;
  }

  /** The reference's log-probabilities of every pair in the list. */
  private scoreReference(pairs: readonly TokenizedPair[]): RefScores {
    const b = this.options.batchSize;
    return { chosen: referenceLogProbs(this.reference, pairs.map((p) => p.chosen), b), rejected: referenceLogProbs(this.reference, pairs.map((p) => p.rejected), b) };
  }

  /** Reference scores of pairs[indices]: looked up when precomputed, else computed now. */
  private referenceFor(set: readonly TokenizedPair[], indices: readonly number[]): RefScores {
    const pre = this.precomputed.get(set);
    if (pre) return { chosen: Float64Array.from(indices, (i) => pre.chosen[i]), rejected: Float64Array.from(indices, (i) => pre.rejected[i]) };
    return this.scoreReference(indices.map((i) => set[i]));
  }

  /** One optimizer step over gradAccumSteps batches of batchSize pairs. */
  trainStep(): DpoStepReport {
    const o = this.options;
    const t0 = performance.now();
    const params = [...this.trainable.values()];
    zeroGrad(params);
    const pc: number[] = [], pr: number[] = [], rc: number[] = [], rr: number[] = [];
    let tokens = 0;
    for (let micro = 0; micro < o.gradAccumSteps; micro++) {
      const indices = Array.from({ length: o.batchSize }, () => this.rng.int(this.data.train.length));
      const ref = this.referenceFor(this.data.train, indices);
      const pairs = indices.map((i) => this.data.train[i]);
      const B = pairs.length;
      tidy(() => {
        const logps = sequenceLogProbs(this.policy, [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)]); // (2B,)
        const chosen = op.slice(logps, 0, 0, B), rejected = op.slice(logps, 0, B, 2 * B);
        const { loss } = preferenceLoss(this.settings.loss, this.settings.beta, chosen, rejected, ref.chosen, ref.rejected);
        pc.push(...chosen.toArray()); pr.push(...rejected.toArray());
        backward(o.gradAccumSteps > 1 ? op.scale(loss, 1 / o.gradAccumSteps) : loss);
      });
      rc.push(...ref.chosen); rr.push(...ref.rejected);
      for (const p of pairs) tokens += p.chosen.prompt.length + p.chosen.completion.length + p.rejected.prompt.length + p.rejected.completion.length - 2;
    }
    const gradNorm = clipGradNorm(params, o.gradClip);
    const stats = preferenceStats(this.settings.loss, this.settings.beta, pc, pr, rc, rr);
    refuseNonFinite(this.step + 1, stats.loss, gradNorm, o.lr);
    const lr = learningRateAt(this.step, { lr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, decaySteps: o.decaySteps });
    this.optimizer.update(lr);
    zeroGrad(params);
    this.step++;
    this.seconds += (performance.now() - t0) / 1000;
    return { step: this.step, lr, gradNorm, tokens, ...stats };
  }

  /** Loss, rewards, margin and accuracy over every held-out pair (or the given ones). */
  evaluate(pairs: readonly TokenizedPair[] = this.data.heldOut): PreferenceStats {
    if (pairs.length === 0) throw new Error('there are no held-out pairs to evaluate on');
    const all = Array.from({ length: pairs.length }, (_, i) => i);
    const ref = this.referenceFor(pairs, all);
    const b = this.options.batchSize;
    const pc = new Float64Array(pairs.length), pr = new Float64Array(pairs.length);
    noGrad(() => {
      for (let i = 0; i < pairs.length; i += b) {
        const part = pairs.slice(i, i + b);
        tidy(() => {
          pc.set(sequenceLogProbs(this.policy, part.map((p) => p.chosen)).toArray(), i);
          pr.set(sequenceLogProbs(this.policy, part.map((p) => p.rejected)).toArray(), i);
        });
      }
    });
    return preferenceStats(this.settings.loss, this.settings.beta, pc, pr, ref.chosen, ref.rejected);
  }

  state(): DpoState {
    return {
      step: this.step, optimizerStep: this.optimizer.step, rng: this.rng.getState(), options: this.options,
      config: this.policy.config, history: this.history, seconds: this.seconds,
      dpo: { ...this.settings, evals: this.evals },
    };
  }

  /** Restores the loop's position from a checkpoint's state and optimizer moments. */
  restore(state: DpoState, moments: { m: ReadonlyMap<string, { data: ArrayLike<number> }>; v: ReadonlyMap<string, { data: ArrayLike<number> }> }): void {
    this.step = state.step;
    this.seconds = state.seconds;
    this.history.push(...state.history);
    this.evals.push(...state.dpo.evals);
    this.rng.setState(state.rng);
    this.optimizer.step = state.optimizerStep;
    for (const [name, t] of this.optimizer.m) t.floats().set(moments.m.get(name)!.data);
    for (const [name, t] of this.optimizer.v) t.floats().set(moments.v.get(name)!.data);
  }
}
