// The GRPO loop: for each of batchSize prompts, sample groupSize completions from the policy
// (src/generate, temperature sampling, seeded), score them (reward model or function), normalise
// the rewards within each group into advantages, then take updatesPerBatch optimizer steps on the
// clipped-ratio objective with the k3 KL penalty to the frozen reference (grpo-loss.ts).

import { backward } from '../autograd/backward.js';
import { generateIds } from '../generate/generate.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { LossRecord, TrainState } from '../train/checkpoint.js';
import { AdamW, clipGradNorm, refuseNonFinite, zeroGrad } from '../train/optimizer.js';
import type { TrainOptions } from '../train/options.js';
import { learningRateAt } from '../train/schedule.js';
import { type GrpoSettings, grpoLoss, groupAdvantages } from './grpo-loss.js';
import { type TokenizedExample, completionBatch, completionTokenLogProbs } from './logprobs.js';
import type { Reference } from './reference.js';
import type { RewardSource } from './reward-source.js';

/** Most samples per prompt and updates per batch accepted (each sample is a generation held in memory). */
export const GRPO_LIMITS = { groupSize: 1024, updatesPerBatch: 1000 } as const;

/** Throws unless the GRPO settings are usable (checked before a run touches its folder). */
export function checkGrpoOptions(grpo: GrpoOptions): void {
  const whole = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
  if (!whole(grpo.groupSize, 2, GRPO_LIMITS.groupSize)) throw new Error(`the group size must be a whole number from 2 to ${GRPO_LIMITS.groupSize}, got ${grpo.groupSize}`);
  if (!whole(grpo.maxTokens, 1, Number.MAX_SAFE_INTEGER)) throw new Error(`max tokens must be a whole number ≥ 1, got ${grpo.maxTokens}`);
  if (!whole(grpo.updatesPerBatch, 1, GRPO_LIMITS.updatesPerBatch)) throw new Error(`the updates per batch must be a whole number from 1 to ${GRPO_LIMITS.updatesPerBatch}, got ${grpo.updatesPerBatch}`);
  if (!(grpo.clip > 0 && grpo.clip < 1)) throw new Error(`the clip range must be in (0, 1), got ${grpo.clip}`);
  if (!(grpo.klCoef >= 0 && Number.isFinite(grpo.klCoef))) throw new Error(`the KL coefficient must be a finite number ≥ 0, got ${grpo.klCoef}`);
  if (!(grpo.temperature > 0 && Number.isFinite(grpo.temperature))) throw new Error(`GRPO samples: the temperature must be a finite number > 0, got ${grpo.temperature}`);
}

export interface GrpoOptions extends GrpoSettings {
  /** Completions sampled per prompt (≥ 2). */
  groupSize: number;
  /** Most new tokens per completion. */
  maxTokens: number;
  temperature: number;
  /** Optimizer steps on each sampled batch (1: the ratio is 1 at the step, as DeepSeekMath's μ = 1). */
  updatesPerBatch: number;
}

export interface RlPrompt {
  text: string;
  ids: number[];
}

export interface GrpoStepReport {
  step: number;
  loss: number;
  /** Mean reward of the batch's completions. */
  reward: number;
  /** Mean per-token k3 KL to the reference. */
  kl: number;
  /** Mean completion length in tokens. */
  length: number;
  /** Mean entropy (nats) of the policy's next-token distribution over the completions' tokens. */
  entropy: number;
  clipped: number;
  lr: number;
  gradNorm: number;
  /** One sampled completion, for the log. */
  sample: string;
}

export interface GrpoState extends TrainState {
  grpo: GrpoOptions & { log: Omit<GrpoStepReport, 'sample'>[] };
  basePath?: string;
}

/** Mean entropy −Σ p log p of the next-token distributions at the positions where targets ≥ 0. */
function meanEntropy(logits: Tensor, targets: Int32Array): number {
  const V = logits.shape[logits.rank - 1];
  const lp = op.logSoftmax(logits).floats();
  let sum = 0, n = 0;
  for (let r = 0; r < targets.length; r++) {
    if (targets[r] < 0) continue;
    let h = 0;
    for (let j = r * V; j < (r + 1) * V; j++) h -= Math.exp(lp[j]) * lp[j];
    sum += h;
    n++;
  }
  return sum / Math.max(1, n);
}

export class GrpoTrainer {
  readonly optimizer: AdamW;
  readonly history: LossRecord[] = [];
  readonly log: Omit<GrpoStepReport, 'sample'>[] = [];
  step = 0;
  seconds = 0;
  readonly rng: op.Rng;

  constructor(
    readonly policy: Model,
    readonly reference: Reference,
    readonly tokenizer: Tokenizer,
    readonly prompts: RlPrompt[],
    readonly reward: RewardSource,
    readonly options: TrainOptions,
    readonly grpo: GrpoOptions,
    readonly trainable: ReadonlyMap<string, Tensor> = policy.params,
  ) {
    if (prompts.length === 0) throw new Error('GRPO needs at least one prompt');
    checkGrpoOptions(grpo);
    for (const t of trainable.values()) t.requiresGrad = true;
    this.optimizer = new AdamW(trainable, { beta1: options.beta1, beta2: options.beta2, eps: 1e-8, weightDecay: options.weightDecay });
    this.rng = new op.Rng(options.seed);
  }

  get done(): boolean {
    return this.step >= this.options.steps;
  }

  /** groupSize completions of a prompt, each ending at end-of-text or maxTokens. */
  private sample(prompt: RlPrompt): number[][] {
    const stop = this.tokenizer.eos !== undefined ? [this.tokenizer.eos] : [];
    const room = this.options.contextLength - prompt.ids.length;
    if (room < 1) throw new Error(`a prompt of ${prompt.ids.length} tokens leaves no room to generate within ${this.options.contextLength}`);
    const out: number[][] = [];
    for (let g = 0; g < this.grpo.groupSize; g++) {
      const seed = this.rng.int(2 ** 31);
      const ids: number[] = [];
      for (const t of generateIds(this.policy, prompt.ids, { temperature: this.grpo.temperature, maxTokens: Math.min(this.grpo.maxTokens, room), seed, stopIds: stop })) ids.push(t.id);
      if (ids.length === 0) ids.push(stop[0] ?? 0);
      out.push(ids);
    }
    return out;
  }

  /** Samples a batch, scores it, and takes updatesPerBatch optimizer steps on it. */
  trainStep(): GrpoStepReport {
    const o = this.options, G = this.grpo.groupSize;
    const t0 = performance.now();
    const examples: TokenizedExample[] = [];
    const items: { prompt: string; completion: string }[] = [];
    const dropEos = (ids: number[]) => (ids.length > 0 && ids[ids.length - 1] === this.tokenizer.eos ? ids.slice(0, -1) : ids);
    // sampling runs without gradients, so a LoRA adapter's dropout is off there
    for (let b = 0; b < o.batchSize; b++) {
      const prompt = this.prompts[this.rng.int(this.prompts.length)];
      for (const ids of this.sample(prompt)) {
        examples.push({ prompt: prompt.ids, completion: ids });
        items.push({ prompt: prompt.text, completion: this.tokenizer.decode(dropEos(ids)) });
      }
    }
    const rewards = this.reward.score(items);
    const advantages = groupAdvantages(rewards, G);
    const batch = completionBatch(examples);
    const N = examples.length;
    const targets = batch.targets.data() as Int32Array;
    const mask = Float64Array.from(targets, (t) => (t >= 0 ? 1 : 0));
    const ref = this.reference.run((model) => tidy(() => Float64Array.from(completionTokenLogProbs(model, batch).floats())));
    let entropy = 0;
    const old = noGrad(() => tidy(() => {
      const { logits } = this.policy.forward(batch.ids);
      entropy = meanEntropy(logits, targets);
      return Float64Array.from(op.tokenLogProbs(logits, batch.targets).floats());
    }));
    const params = [...this.trainable.values()];
    let loss = 0, kl = 0, clipped = 0, gradNorm = 0, lr = 0;
    for (let u = 0; u < this.grpo.updatesPerBatch; u++) {
      zeroGrad(params);
      tidy(() => {
        const logp = completionTokenLogProbs(this.policy, batch); // (N, T)
        const r = grpoLoss(logp, old, ref, mask, advantages, this.grpo);
        if (u === 0) ({ loss, kl, clipped } = r.stats);
        backward(r.loss);
      });
      gradNorm = clipGradNorm(params, o.gradClip);
      refuseNonFinite(this.step + 1, loss, gradNorm, o.lr);
      lr = learningRateAt(this.step, { lr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, decaySteps: o.decaySteps });
      this.optimizer.update(lr);
      zeroGrad(params);
    }
    batch.ids.dispose();
    batch.targets.dispose();
    this.step++;
    this.seconds += (performance.now() - t0) / 1000;
    let length = 0;
    for (const e of examples) length += e.completion.length;
    const report = { step: this.step, loss, reward: rewards.reduce((a, b) => a + b, 0) / N, kl, length: length / N, entropy, clipped, lr, gradNorm };
    this.log.push(report);
    return { ...report, sample: items[0].completion };
  }

  state(): GrpoState {
    return {
      step: this.step, optimizerStep: this.optimizer.step, rng: this.rng.getState(), options: this.options,
      config: this.policy.config, history: this.history, seconds: this.seconds, grpo: { ...this.grpo, log: this.log },
    };
  }

  restore(state: GrpoState, moments: { m: ReadonlyMap<string, { data: ArrayLike<number> }>; v: ReadonlyMap<string, { data: ArrayLike<number> }> }): void {
    this.step = state.step;
    this.seconds = state.seconds;
    this.history.push(...state.history);
    this.log.push(...state.grpo.log);
    this.rng.setState(state.rng);
    this.optimizer.step = state.optimizerStep;
    for (const [name, t] of this.optimizer.m) t.floats().set(moments.m.get(name)!.data);
    for (const [name, t] of this.optimizer.v) t.floats().set(moments.v.get(name)!.data);
  }
}
