// Training a reward model on preference pairs with the Bradley–Terry loss −log σ(r_chosen − r_rejected),
// held-out pair accuracy, and saving / loading it: the body as Hugging Face files plus the head
// score.weight in the same model.safetensors (as *ForSequenceClassification checkpoints hold it).
// Checkpoints, --resume and the loss plot are src/train's.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backward } from '../autograd/backward.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readSafetensorsFile } from '../io/safetensors-file.js';
import type { NamedTensor } from '../io/types.js';
import { configFromHf } from '../models/config.js';
import { modelFromTensors } from '../models/load.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { keep, noGrad, tidy } from '../tensor/engine.js';
import { STATE_FILE, type LossRecord, type TrainState } from '../train/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint-file.js';
import { lossCurveSvg } from '../train/loss-plot.js';
import { AdamW, clipGradNorm, refuseNonFinite, zeroGrad } from '../train/optimizer.js';
import { runHeldOutLoop } from '../train/loop.js';
import { withOutDir } from '../train/out-dir.js';
import { type TrainOptions, resolveTrainOptions } from '../train/options.js';
import { learningRateAt } from '../train/schedule.js';
import { splitPairs } from './data.js';
import { loadPreferenceFile } from './data-file.js';
import type { TokenizedPair } from './dpo-trainer.js';
import { type BaseModel, type DpoJob, tokenizePairs } from './dpo-run.js';
import { bradleyTerryLoss, softplus } from './losses.js';
import { RewardModel, SCORE_WEIGHT } from './reward-model.js';

export interface RewardEval {
  step: number;
  /** Mean Bradley–Terry loss, fraction of pairs ranked right, mean r_chosen − r_rejected. */
  loss: number;
  accuracy: number;
  margin: number;
}

export interface RewardStepReport extends RewardEval {
  lr: number;
  gradNorm: number;
}

interface RewardState extends TrainState {
  reward: { evals: RewardEval[] };
  /** The model the run started from. */
  basePath: string;
}

/** Loss, accuracy and margin of rewards for pairs (plain numbers). */
export function pairRankStats(chosen: ArrayLike<number>, rejected: ArrayLike<number>): { loss: number; accuracy: number; margin: number } {
  let loss = 0, correct = 0, margin = 0;
  for (let i = 0; i < chosen.length; i++) {
    const d = chosen[i] - rejected[i];
    loss += softplus(-d);
    margin += d;
    if (d > 0) correct++;
  }
  const n = chosen.length;
  return { loss: loss / n, accuracy: correct / n, margin: margin / n };
}

export class RewardTrainer {
  readonly optimizer: AdamW;
  readonly history: LossRecord[] = [];
  readonly evals: RewardEval[] = [];
  step = 0;
  seconds = 0;
  readonly rng: op.Rng;

  constructor(readonly rm: RewardModel, readonly data: { train: TokenizedPair[]; heldOut: TokenizedPair[] }, readonly options: TrainOptions) {
    if (data.train.length === 0) throw new Error('the reward model needs at least one training pair');
    const params = rm.params;
    for (const t of params.values()) t.requiresGrad = true;
    this.optimizer = new AdamW(params, { beta1: options.beta1, beta2: options.beta2, eps: 1e-8, weightDecay: options.weightDecay });
    this.rng = new op.Rng(options.seed);
  }

  get done(): boolean {
    return this.step >= this.options.steps;
  }

  trainStep(): RewardStepReport {
    const o = this.options;
    const t0 = performance.now();
    const params = [...this.optimizer.params.values()];
    zeroGrad(params);
    const rc: number[] = [], rr: number[] = [];
    for (let micro = 0; micro < o.gradAccumSteps; micro++) {
      const pairs = Array.from({ length: o.batchSize }, () => this.data.train[this.rng.int(this.data.train.length)]);
      const B = pairs.length;
      tidy(() => {
        const r = this.rm.rewards([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)]); // (2B,)
        const chosen = op.slice(r, 0, 0, B), rejected = op.slice(r, 0, B, 2 * B);
        const { loss } = bradleyTerryLoss(chosen, rejected);
        rc.push(...chosen.toArray()); rr.push(...rejected.toArray());
        backward(o.gradAccumSteps > 1 ? op.scale(loss, 1 / o.gradAccumSteps) : loss);
      });
    }
    const gradNorm = clipGradNorm(params, o.gradClip);
    const stats = pairRankStats(rc, rr);
    refuseNonFinite(this.step + 1, stats.loss, gradNorm, o.lr);
    const lr = learningRateAt(this.step, { lr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, decaySteps: o.decaySteps });
    this.optimizer.update(lr);
    zeroGrad(params);
    this.step++;
    this.seconds += (performance.now() - t0) / 1000;
    return { step: this.step, lr, gradNorm, ...stats };
  }

  evaluate(pairs: readonly TokenizedPair[] = this.data.heldOut): RewardEval {
    const { chosen, rejected } = scorePairs(this.rm, pairs, this.options.batchSize);
    return { step: this.step, ...pairRankStats(chosen, rejected) };
  }

  state(basePath: string): RewardState {
    return {
      step: this.step, optimizerStep: this.optimizer.step, rng: this.rng.getState(), options: this.options,
      config: this.rm.body.config, history: this.history, seconds: this.seconds, reward: { evals: this.evals }, basePath,
    };
  }
}

/** Rewards of every pair's chosen and rejected answer, in batches (no gradients). */
export function scorePairs(rm: RewardModel, pairs: readonly TokenizedPair[], batchSize: number): { chosen: Float64Array; rejected: Float64Array } {
  const chosen = new Float64Array(pairs.length), rejected = new Float64Array(pairs.length);
  noGrad(() => {
    for (let i = 0; i < pairs.length; i += batchSize) {
      const part = pairs.slice(i, i + batchSize);
      tidy(() => {
        chosen.set(rm.rewards(part.map((p) => p.chosen)).toArray(), i);
        rejected.set(rm.rewards(part.map((p) => p.rejected)).toArray(), i);
      });
    }
  });
  return { chosen, rejected };
}

/** Splits a checkpoint's tensors into the body's and the head. */
function rewardFromTensors(config: ReturnType<typeof configFromHf>, tensors: Iterable<NamedTensor>, where: string): RewardModel {
  const body: NamedTensor[] = [];
  let head: NamedTensor | undefined;
  for (const t of tensors) (t.name === SCORE_WEIGHT ? (head = t) : body.push(t));
  if (!head) throw new Error(`${where} has no '${SCORE_WEIGHT}': it is not a reward model (train one with glasslm reward)`);
  return new RewardModel(modelFromTensors(config, body), keep(op.tensor(Float32Array.from(head.data), head.shape)));
}

/** Loads a reward model saved by runRewardTraining (dir/config.json + model.safetensors with score.weight). */
export function loadRewardModel(dir: string): RewardModel {
  const configPath = join(dir, 'config.json'), weights = join(dir, 'model.safetensors');
  if (!existsSync(configPath) || !existsSync(weights)) throw new Error(`'${dir}' is not a reward model folder (config.json and model.safetensors with ${SCORE_WEIGHT})`);
  const config = configFromHf(JSON.parse(readFileSync(configPath, 'utf8')));
  return rewardFromTensors(config, readSafetensorsFile(weights).values(), weights);
}

export type RewardJob = Omit<DpoJob, 'settings'>;

export interface RewardEvents {
  onInfo?(line: string): void;
  onStep?(r: RewardStepReport, trainer: RewardTrainer): void;
  onEval?(e: RewardEval): void;
  onSave?(dir: string, step: number): void;
}

/** Trains (or resumes) a reward model from base on the job's pairs. runRewardTraining owns base.model. */
export function runRewardTraining(job: RewardJob, base: BaseModel, events: RewardEvents = {}): { trainer: RewardTrainer; final: RewardEval | null } {
  // bad flags and a missing data file are refused before the folder is touched
  if (!job.resume) {
    const o = resolveTrainOptions({ contextLength: Math.min(256, base.model.contextLength), ...job.options });
    if (o.contextLength > base.model.contextLength) throw new Error(`context ${o.contextLength} is longer than the model's ${base.model.contextLength}`);
  }
  if (!(job.heldOutFraction >= 0 && job.heldOutFraction < 1)) throw new Error(`the held-out fraction must be in [0, 1), got ${job.heldOutFraction}`);
  if (job.limit !== undefined && !(Number.isSafeInteger(job.limit) && job.limit >= 0)) throw new Error(`the pair limit must be a whole number ≥ 0, got ${job.limit}`);
  if (!existsSync(job.data)) throw new Error(`preference data '${job.data}' does not exist`);
  return withOutDir(job.out, () => runRewardOwned(job, base, events));
}

function runRewardOwned(job: RewardJob, base: BaseModel, events: RewardEvents): { trainer: RewardTrainer; final: RewardEval | null } {
  const info = events.onInfo ?? (() => {});
  const hasState = existsSync(join(job.out, STATE_FILE));
  if (job.resume && !hasState) throw new Error(`--resume: ${join(job.out, STATE_FILE)} does not exist`);
  if (!job.resume && hasState) throw new Error(`${job.out} already holds a training run: pass --resume to continue it, or choose another --out`);
  const loaded = job.resume ? loadCheckpoint(job.out) : null;
  const saved = loaded?.state as RewardState | undefined;
  if (saved && !saved.reward) throw new Error(`${job.out} holds a training run that is not a reward model's`);
  const options = saved ? { ...saved.options, ...(job.options.steps ? { steps: job.options.steps } : {}) } : resolveTrainOptions({ contextLength: Math.min(256, base.model.contextLength), ...job.options });
  if (options.contextLength > base.model.contextLength) throw new Error(`context ${options.contextLength} is longer than the model's ${base.model.contextLength}`);

  const all = loadPreferenceFile(job.data);
  const pairs = job.limit ? all.slice(0, job.limit) : all;
  const split = splitPairs(pairs, job.heldOutFraction);
  const data = {
    train: tokenizePairs(split.train, base.tokenizer, options.contextLength, job.renderPrompt),
    heldOut: tokenizePairs(split.heldOut, base.tokenizer, options.contextLength, job.renderPrompt),
  };
  info(`${pairs.length.toLocaleString('en-US')} preference pairs: ${data.train.length} for training, ${data.heldOut.length} held out`);
  let rm: RewardModel;
  if (saved) {
    base.model.dispose();
    rm = rewardFromTensors(saved.config, loaded!.params.values(), join(job.out, STATE_FILE));
  } else {
    rm = RewardModel.init(base.model, new op.Rng(options.seed + 1));
  }
  const trainer = new RewardTrainer(rm, data, options);
  if (saved) {
    trainer.step = saved.step;
    trainer.seconds = saved.seconds;
    trainer.history.push(...saved.history);
    trainer.evals.push(...saved.reward.evals);
    trainer.rng.setState(saved.rng);
    trainer.optimizer.step = saved.optimizerStep;
    for (const [name, t] of trainer.optimizer.m) t.floats().set(loaded!.m.get(name)!.data);
    for (const [name, t] of trainer.optimizer.v) t.floats().set(loaded!.v.get(name)!.data);
    info(`resumed at step ${trainer.step} of ${options.steps}`);
  }
  info(`reward model: ${rm.body.config.arch}, ${rm.body.numParameters.toLocaleString('en-US')} parameters + a scalar head on the last token; ${options.steps} steps of ${options.batchSize} pairs`);

  const evaluate = (): RewardEval | null => {
    if (data.heldOut.length === 0) return null;
    const e = trainer.evaluate();
    trainer.evals.push(e);
    events.onEval?.(e);
    return e;
  };
  const save = () => {
    // src/train's checkpoint needs a config and named parameters: the body's and the head
    const whole = { config: rm.body.config, params: rm.params } as unknown as Model;
    saveCheckpoint(job.out, whole, base.tokenizer, { m: trainer.optimizer.m as never, v: trainer.optimizer.v as never }, trainer.state(saved?.basePath ?? base.path));
    writeFileAtomic(join(job.out, 'loss.svg'), lossCurveSvg(trainer.history, `${job.out}: Bradley–Terry loss by step (validation: held-out pairs)`));
    events.onSave?.(job.out, trainer.step);
  };
  const final = runHeldOutLoop(trainer, { evaluate, save, onStep: (r) => events.onStep?.(r, trainer), fresh: !saved },
    { evalInterval: options.evalInterval, checkpointInterval: options.checkpointInterval, out: job.out, savedStep: saved?.step });
  return { trainer, final };
}
