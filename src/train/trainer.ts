// The training loop: sample a batch, forward, backward, clip, AdamW step, with periodic
// validation and checkpoints. One step at a time, so the CLI (or a web page) can show progress.

import { backward } from '../autograd/backward.js';
import { modelFromTensors } from '../models/load.js';
import { type Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { type LoadedState, type LossRecord, type TrainState, checkpointFiles } from './checkpoint.js';
import { type Batch, type BatchSource, isBatchSource, tokenStream } from './batches.js';
import { AdamW, clipGradNorm, refuseNonFinite, scaleGrads, zeroGrad } from './optimizer.js';
import type { TrainOptions } from './options.js';
import { learningRateAt } from './schedule.js';

export interface StepReport {
  step: number; // 1-based count of completed steps
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
}

/** What a trainer updates and how it checkpoints; the default is every parameter of the model. */
export interface TrainerParts {
  /** The parameters to train (the rest of the model stays frozen), by name. Default: the model's own. */
  trainable?: ReadonlyMap<string, Tensor>;
  /** The checkpoint's files (default: the model's files and train-state.safetensors, see checkpointFiles). */
  files?: (trainer: Trainer) => Map<string, Uint8Array>;
}

export class Trainer {
  readonly optimizer: AdamW;
  readonly data: BatchSource;
  /** The parameters being trained. */
  readonly trainable: ReadonlyMap<string, Tensor>;
  readonly history: LossRecord[] = [];
  step = 0;
  seconds = 0;
  private readonly rng: op.Rng;

  constructor(
    readonly model: Model,
    data: { train: Int32Array; val: Int32Array } | BatchSource,
    readonly options: TrainOptions,
    readonly tokenizer: Tokenizer | null = null,
    private readonly parts: TrainerParts = {},
  ) {
    if (options.contextLength > model.contextLength) throw new Error(`context ${options.contextLength} is longer than the model's ${model.contextLength}`);
    this.data = isBatchSource(data) ? data : tokenStream(data);
    if (parts.trainable) {
      model.setTrainable(false);
      for (const t of parts.trainable.values()) t.requiresGrad = true;
    } else {
      if (model.inferenceOnly) throw new Error(`${model.inferenceOnlyReason}: training needs its float weights`);
      model.setTrainable(true);
    }
    this.trainable = parts.trainable ?? model.params;
    this.optimizer = new AdamW(this.trainable, { beta1: options.beta1, beta2: options.beta2, eps: 1e-8, weightDecay: options.weightDecay });
    this.rng = new op.Rng(options.seed);
  }

  /**
   * Rebuilds a trainer from a training state (readTrainState of train-state.safetensors), continuing
   * exactly where it stopped. (Node: Trainer.resume(dir) from 'glasslm/node' reads the folder.)
   */
  static fromCheckpoint(loaded: LoadedState, data: { train: Int32Array; val: Int32Array } | BatchSource, tokenizer: Tokenizer | null = null, overrides: Partial<TrainOptions> = {}): Trainer {
    const model = modelFromTensors(loaded.state.config, loaded.params.values());
    const trainer = new this(model, data, { ...loaded.state.options, ...overrides }, tokenizer);
    trainer.restore(loaded);
    return trainer;
  }

  /** Continues from a loaded checkpoint: step, history, sampler RNG and AdamW moments (the parameters are the caller's to load). */
  restore(loaded: LoadedState): void {
    this.step = loaded.state.step;
    this.seconds = loaded.state.seconds;
    this.history.push(...loaded.state.history);
    this.rng.setState(loaded.state.rng);
    this.optimizer.step = loaded.state.optimizerStep;
    for (const [name, t] of this.optimizer.m) t.floats().set(loaded.m.get(name)!.data);
    for (const [name, t] of this.optimizer.v) t.floats().set(loaded.v.get(name)!.data);
  }

  get done(): boolean {
    return this.step >= this.options.steps;
  }

  /** One optimizer step over gradAccumSteps micro-batches. */
  trainStep(): StepReport {
    const o = this.options;
    const t0 = performance.now();
    const params = [...this.trainable.values()];
    zeroGrad(params);
    let lossSum = 0;
    for (let micro = 0; micro < o.gradAccumSteps; micro++) {
      tidy(() => {
        const b = this.data.trainBatch(o.batchSize, o.contextLength, this.rng);
        // mixtures of experts add their load-balancing loss in training (not in evaluation)
        const loss = this.model.forward(b.x, { targets: b.y, positions: b.positions, segments: b.segments, routerAuxLoss: true }).loss!;
        lossSum += loss.item();
        backward(loss);
      });
    }
    if (o.gradAccumSteps > 1) scaleGrads(params, 1 / o.gradAccumSteps);
    const gradNorm = clipGradNorm(params, o.gradClip);
    const meanLoss = lossSum / o.gradAccumSteps;
    refuseNonFinite(this.step + 1, meanLoss, gradNorm, o.lr); // before the update: the parameters stay those of the last good step
    const lr = learningRateAt(this.step, { lr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, decaySteps: o.decaySteps });
    this.optimizer.update(lr);
    zeroGrad(params);
    this.step++;
    this.seconds += (performance.now() - t0) / 1000;
    const loss = lossSum / o.gradAccumSteps;
    return { step: this.step, loss, lr, gradNorm, tokens: o.batchSize * o.contextLength * o.gradAccumSteps };
  }

  /** The mean loss of one batch (packed rows pass their positions and segments on). */
  private batchLoss(b: Batch): Tensor {
    return this.model.forward(b.x, { targets: b.y, positions: b.positions, segments: b.segments }).loss!;
  }

  /**
   * The validation loss: the token-weighted mean over the data's validation batches (random
   * windows with a fixed seed per step, so resumes agree; or every held-out example).
   */
  evaluate(data: BatchSource = this.data, batches = this.options.evalBatches): number {
    const rng = new op.Rng(this.options.seed + 7919 * (this.step + 1));
    const o = this.options;
    let sum = 0, count = 0;
    noGrad(() => {
      data.forEachValidationBatch(o.batchSize, o.contextLength, batches, rng, (b) => {
        tidy(() => {
          let n = 0;
          const y = b.y.data();
          for (let i = 0; i < y.length; i++) if (y[i] >= 0) n++;
          if (n === 0) return;
          sum += this.batchLoss(b).item() * n;
          count += n;
        });
      });
    });
    return sum / count;
  }

  state(): TrainState {
    return {
      step: this.step, optimizerStep: this.optimizer.step, rng: this.rng.getState(), options: this.options,
      config: this.model.config, history: this.history, seconds: this.seconds,
    };
  }

  /** The checkpoint as files (name -> bytes), a folder that `--model` and fromCheckpoint read. */
  checkpointFiles(): Map<string, Uint8Array> {
    if (this.parts.files) return this.parts.files(this);
    return checkpointFiles(this.model, this.tokenizer, this.moments(), this.state());
  }

  /** The AdamW moments by parameter name. */
  moments(): { m: ReadonlyMap<string, never>; v: ReadonlyMap<string, never> } {
    return { m: this.optimizer.m as never, v: this.optimizer.v as never };
  }
}
