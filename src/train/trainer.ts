// The training loop: sample a batch, forward, backward, clip, AdamW step, with periodic
// validation and checkpoints. One step at a time, so the CLI (or a web page) can show progress.

import { backward } from '../autograd/backward.js';
import { modelFromTensors } from '../models/load.js';
import { type Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { type LoadedState, type LossRecord, type TrainState, checkpointFiles } from './checkpoint.js';
import { sampleBatch } from './data.js';
import { AdamW, clipGradNorm, scaleGrads, zeroGrad } from './optimizer.js';
import type { TrainOptions } from './options.js';
import { learningRateAt } from './schedule.js';

export interface StepReport {
  step: number; // 1-based count of completed steps
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
}

export class Trainer {
  readonly optimizer: AdamW;
  readonly history: LossRecord[] = [];
  step = 0;
  seconds = 0;
  private readonly rng: op.Rng;

  constructor(
    readonly model: Model,
    readonly data: { train: Int32Array; val: Int32Array },
    readonly options: TrainOptions,
    readonly tokenizer: Tokenizer | null = null,
  ) {
    if (options.contextLength > model.contextLength) throw new Error(`context ${options.contextLength} is longer than the model's ${model.contextLength}`);
    if (model.inferenceOnly) throw new Error('this model holds some matrices only as int8 (--dtype q8_0): training needs its float weights');
    model.setTrainable(true);
    this.optimizer = new AdamW(model.params, { beta1: options.beta1, beta2: options.beta2, eps: 1e-8, weightDecay: options.weightDecay });
    this.rng = new op.Rng(options.seed);
  }

  /**
   * Rebuilds a trainer from a training state (readTrainState of train-state.safetensors), continuing
   * exactly where it stopped. (Node: Trainer.resume(dir) from 'glasslm/node' reads the folder.)
   */
  static fromCheckpoint(loaded: LoadedState, data: { train: Int32Array; val: Int32Array }, tokenizer: Tokenizer | null = null, overrides: Partial<TrainOptions> = {}): Trainer {
    const model = modelFromTensors(loaded.state.config, loaded.params.values());
    const trainer = new this(model, data, { ...loaded.state.options, ...overrides }, tokenizer);
    trainer.step = loaded.state.step;
    trainer.seconds = loaded.state.seconds;
    trainer.history.push(...loaded.state.history);
    trainer.rng.setState(loaded.state.rng);
    trainer.optimizer.step = loaded.state.optimizerStep;
    for (const [name, t] of trainer.optimizer.m) t.floats().set(loaded.m.get(name)!.data);
    for (const [name, t] of trainer.optimizer.v) t.floats().set(loaded.v.get(name)!.data);
    return trainer;
  }

  get done(): boolean {
    return this.step >= this.options.steps;
  }

  /** One optimizer step over gradAccumSteps micro-batches. */
  trainStep(): StepReport {
    const o = this.options;
    const t0 = performance.now();
    const params = [...this.model.params.values()];
    zeroGrad(params);
    let lossSum = 0;
    for (let micro = 0; micro < o.gradAccumSteps; micro++) {
      tidy(() => {
        const { x, y } = sampleBatch(this.data.train, o.batchSize, o.contextLength, this.rng);
        const loss = this.model.forward(x, { targets: y }).loss!;
        lossSum += loss.item();
        backward(loss);
      });
    }
    if (o.gradAccumSteps > 1) scaleGrads(params, 1 / o.gradAccumSteps);
    const gradNorm = clipGradNorm(params, o.gradClip);
    const lr = learningRateAt(this.step, { lr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, decaySteps: o.decaySteps });
    this.optimizer.update(lr);
    zeroGrad(params);
    this.step++;
    this.seconds += (performance.now() - t0) / 1000;
    const loss = lossSum / o.gradAccumSteps;
    return { step: this.step, loss, lr, gradNorm, tokens: o.batchSize * o.contextLength * o.gradAccumSteps };
  }

  /** Mean loss over evalBatches random windows of tokens (a fixed seed per step, so resumes agree). */
  evaluate(tokens: Int32Array = this.data.val, batches = this.options.evalBatches): number {
    const rng = new op.Rng(this.options.seed + 7919 * (this.step + 1));
    const o = this.options;
    let sum = 0;
    noGrad(() => {
      for (let b = 0; b < batches; b++) {
        sum += tidy(() => {
          const { x, y } = sampleBatch(tokens, o.batchSize, o.contextLength, rng);
          return this.model.forward(x, { targets: y }).loss!.item();
        });
      }
    });
    return sum / batches;
  }

  state(): TrainState {
    return {
      step: this.step, optimizerStep: this.optimizer.step, rng: this.rng.getState(), options: this.options,
      config: this.model.config, history: this.history, seconds: this.seconds,
    };
  }

  /** The checkpoint as files (name -> bytes), a folder that `--model` and fromCheckpoint read. */
  checkpointFiles(): Map<string, Uint8Array> {
    return checkpointFiles(this.model, this.tokenizer, this.moments(), this.state());
  }

  /** The AdamW moments by parameter name. */
  moments(): { m: ReadonlyMap<string, never>; v: ReadonlyMap<string, never> } {
    return { m: this.optimizer.m as never, v: this.optimizer.v as never };
  }
}
