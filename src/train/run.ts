// A whole training job: read the text, get a tokenizer (load, or train one), tokenize once into a
// cached token file, split off validation, build or resume the model, run the loop with periodic
// validation and checkpoints, and write the loss curve. The CLI only parses flags and prints.

import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { type ModelShape, modelConfigFor } from './model-shape.js';
import { Model } from '../models/model.js';
import { checkMemoryBudget, estimateTrainingBytes, validateModelConfig } from '../models/validate.js';
import * as op from '../ops/index.js';
import { CharTokenizer, trainBpe } from '../tokenizer/index.js';
import { loadTokenizer } from '../tokenizer/load-file.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { writeFileAtomic } from '../io/atomic.js';

export { type ModelShape, modelConfigFor } from './model-shape.js';
import { STATE_FILE } from './checkpoint.js';
import { withOutDir } from './out-dir.js';
import { splitFileTokens, tokenizeFile } from './data-file.js';
import { lossCurveSvg } from './loss-plot.js';
import { type TrainOptions, resolveTrainOptions } from './options.js';
import type { StepReport } from './trainer.js';
import { runLoop } from './loop.js';
import { Trainer } from './trainer-file.js';

export interface TokenizerSpec {
  /** Load this tokenizer. */
  path?: string;
  /** Or train a byte-level BPE of this size on the data (with <|endoftext|>). */
  vocabSize?: number;
  /** Or use the data's characters (nanoGPT's shakespeare_char). */
  char?: boolean;
}

export interface TrainJob {
  data: string[];
  out: string;
  /** Each file's last fraction is held out for validation (whole documents where it has them); 0: no validation. */
  valFraction: number;
  tokenizer: TokenizerSpec;
  model: ModelShape;
  options: Partial<TrainOptions>;
  resume: boolean;
}

export interface TrainEvents {
  onInfo?(line: string): void;
  onStep?(r: StepReport, trainer: Trainer): void;
  onEval?(step: number, trainLoss: number, valLoss: number): void;
  onSave?(dir: string, step: number): void;
}

/** Memory a training run may plan for: three quarters of the machine's. */
function memoryBudget(): number {
  return 0.75 * totalmem();
}

/** Checks a new run's model and options (sizes, values, memory) before anything is written. */
function checkNewRun(job: TrainJob, vocabSize: number): TrainOptions {
  const options = resolveTrainOptions({ contextLength: job.model.contextLength, ...job.options });
  const config = modelConfigFor(job.model, vocabSize);
  validateModelConfig(config);
  const bytes = estimateTrainingBytes(config, options.batchSize, Math.min(options.contextLength, config.contextLength));
  checkMemoryBudget(bytes, memoryBudget(), `training a ${config.layers}-layer model of width ${config.dim} (vocabulary ${vocabSize}, batch ${options.batchSize}×${options.contextLength})`);
  return options;
}

function makeTokenizer(spec: TokenizerSpec, files: string[], out: string, info: (s: string) => void): Tokenizer {
  const saved = join(out, 'tokenizer.json');
  if (existsSync(saved)) return loadTokenizer(saved);
  if (spec.path) return loadTokenizer(spec.path);
  const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  if (spec.char) return CharTokenizer.fromText(text);
  if (!spec.vocabSize) throw new Error('say which tokenizer: --tokenizer PATH, --vocab-size N (train a BPE) or --char');
  const t0 = performance.now();
  const tok = trainBpe(text, { vocabSize: spec.vocabSize, specialTokens: ['<|endoftext|>'] });
  info(`trained a ${spec.vocabSize}-token byte-level BPE in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return tok;
}

/**
 * Runs (or resumes) a training job; returns the trainer and the final validation loss (NaN when
 * valFraction is 0: nothing is held out). The job's sizes and options are checked before anything
 * is written; then the run owns job.out (a lock file) and brings it back to one consistent step
 * (an earlier run may have been killed).
 */
export function runTraining(job: TrainJob, events: TrainEvents = {}): { trainer: Trainer; valLoss: number } {
  if (job.data.length === 0) throw new Error('no training text given (--data FILE)');
  for (const f of job.data) if (!existsSync(f)) throw new Error(`training text '${f}' does not exist`);
  if (!(job.valFraction >= 0 && job.valFraction < 1)) throw new Error(`the validation fraction must be in [0, 1), got ${job.valFraction}`);
  // the vocabulary is not known yet: a BPE's asked size, or 256 bytes, stands in until the tokenizer is made
  if (!job.resume) checkNewRun(job, job.tokenizer.vocabSize ?? 256);
  return withOutDir(job.out, () => runOwned(job, events));
}

function concatIds(parts: Int32Array[]): Int32Array {
  if (parts.length === 1) return parts[0];
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function runOwned(job: TrainJob, events: TrainEvents): { trainer: Trainer; valLoss: number } {
  const info = events.onInfo ?? (() => {});
  const resuming = job.resume && existsSync(join(job.out, STATE_FILE));
  if (job.resume && !resuming) throw new Error(`--resume: ${join(job.out, STATE_FILE)} does not exist`);
  if (!job.resume && existsSync(join(job.out, STATE_FILE))) throw new Error(`${job.out} already holds a training run: pass --resume to continue it, or choose another --out`);

  const tokenizer = makeTokenizer(job.tokenizer, job.data, job.out, info);
  // each file holds out its own tail (whole documents where the text has them)
  const parts = job.data.map((f) => splitFileTokens(f, tokenizeFile(f, tokenizer, join(job.out, 'cache')), tokenizer, job.valFraction));
  const data = { train: concatIds(parts.map((p) => p.train)), val: concatIds(parts.map((p) => p.val)) };
  const total = data.train.length + data.val.length;
  info(`${total.toLocaleString('en-US')} tokens (${tokenizer.description}): ${data.train.length.toLocaleString('en-US')} train, ${data.val.length.toLocaleString('en-US')} validation`);

  let trainer: Trainer;
  if (resuming) {
    trainer = Trainer.resume(job.out, data, tokenizer, job.options.steps ? { steps: job.options.steps } : {});
    info(`resumed at step ${trainer.step} of ${trainer.options.steps}`);
  } else {
    const options = checkNewRun(job, tokenizer.vocabSize);
    const config = modelConfigFor(job.model, tokenizer.vocabSize);
    const model = Model.init(config, new op.Rng(options.seed));
    trainer = new Trainer(model, data, options, tokenizer);
  }
  const o = trainer.options;
  checkSplit(data, o.contextLength, job.valFraction);
  info(`model: ${trainer.model.config.arch}, ${trainer.model.numParameters.toLocaleString('en-US')} parameters; ${o.steps} steps of ${o.batchSize}×${o.contextLength} tokens${o.gradAccumSteps > 1 ? ` × ${o.gradAccumSteps} accumulated` : ''}`);

  return { trainer, valLoss: trainLoop(trainer, job.out, events, { validate: job.valFraction > 0 }) };
}

/**
 * Refuses, before the first step, a split that leaves fewer tokens than one window (context + 1)
 * for training, or for validation when some is held out: the run would fail only at its first
 * evaluation, after all its steps, with nothing saved.
 */
function checkSplit(data: { train: Int32Array; val: Int32Array }, context: number, valFraction: number): void {
  const window = context + 1;
  if (data.train.length < window) {
    throw new Error(`the training text leaves ${data.train.length} tokens for training, fewer than one window of ${window} (context ${context} + 1): give more text or a shorter context`);
  }
  if (valFraction > 0 && data.val.length < window) {
    throw new Error(`the validation fraction ${valFraction} holds out ${data.val.length} tokens, fewer than one window of ${window} (context ${context} + 1): raise it, or pass 0 for no validation`);
  }
}

/**
 * Runs a trainer to its last step: validation every evalInterval steps (and at the end), a
 * checkpoint and loss.svg in `out` every checkpointInterval steps (and at the end). Returns the
 * last validation loss, or NaN with { validate: false } (nothing held out: the history then
 * records the training loss alone). Shared by pre-training and fine-tuning.
 */
export function trainLoop(trainer: Trainer, out: string, events: TrainEvents = {}, { validate = true } = {}): number {
  const o = trainer.options;
  let valLoss = NaN;
  runLoop({
    done: () => trainer.done,
    step: () => trainer.trainStep(),
    onStep: (r) => events.onStep?.(r, trainer),
    evaluate: (step, trainLoss) => {
      if (!validate) {
        trainer.history.push({ step, train: trainLoss });
        return;
      }
      valLoss = trainer.evaluate();
      trainer.history.push({ step, train: trainLoss, val: valLoss });
      events.onEval?.(step, trainLoss, valLoss);
    },
    save: () => {
      trainer.save(out);
      writeFileAtomic(join(out, 'loss.svg'), lossCurveSvg(trainer.history, `${out}: loss by step`));
      events.onSave?.(out, trainer.step);
    },
  }, { evalInterval: o.evalInterval, checkpointInterval: o.checkpointInterval, out, savedStep: trainer.step });
  if (validate && Number.isNaN(valLoss)) valLoss = trainer.evaluate();
  return valLoss;
}
