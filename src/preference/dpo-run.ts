// A whole DPO job: read and tokenize the preference pairs, hold some out, build the policy and the
// frozen reference from the starting model (or resume the policy from a checkpoint), evaluate
// before training, run the loop with periodic held-out evaluation and checkpoints (src/train's
// atomic checkpoint files and loss plot), and return the trainer. The CLI only parses and prints.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Model } from '../models/model.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { STATE_FILE, type TrainState } from '../train/checkpoint.js';
import { loadCheckpoint } from '../train/checkpoint-file.js';
import { lossCurveSvg } from '../train/loss-plot.js';
import { runHeldOutLoop } from '../train/loop.js';
import { withOutDir } from '../train/out-dir.js';
import { type TrainOptions, resolveTrainOptions } from '../train/options.js';
import { type PreferencePair, splitPairs } from './data.js';
import { loadPreferenceFile } from './data-file.js';
import { type DpoSettings, type DpoState, type DpoStepReport, DpoTrainer, type TokenizedPair } from './dpo-trainer.js';
import { type PromptRenderer, encodeExample, promptText } from './logprobs.js';
import type { PreferenceStats } from './losses.js';
import type { LoraConfig } from '../lora/adapter.js';
import { savePolicyCheckpoint, setupPolicy } from './policy.js';

/** The starting model (policy at step 0, and the reference throughout) and its tokenizer. */
export interface BaseModel {
  model: Model;
  tokenizer: Tokenizer;
  /** Where it was loaded from (recorded, so that --resume can load the same reference). */
  path: string;
}

export interface DpoJob {
  data: string;
  out: string;
  /** Every k-th pair (k = 1/fraction) is held out for evaluation. */
  heldOutFraction: number;
  settings: DpoSettings;
  /** src/train's options: steps, batchSize (pairs), contextLength (most tokens of prompt + answer), lr, … */
  options: Partial<TrainOptions>;
  resume: boolean;
  /** Train a LoRA adapter over the frozen base (the reference is the base with the adapter off). */
  lora?: LoraConfig;
  /** Use only the file's first this many pairs (0 or absent: all). */
  limit?: number;
  /** Chat template for prompts given as messages. */
  renderPrompt?: PromptRenderer;
}

export interface DpoEvents {
  onInfo?(line: string): void;
  onStep?(r: DpoStepReport, trainer: DpoTrainer): void;
  onEval?(step: number, stats: PreferenceStats): void;
  onSave?(dir: string, step: number): void;
}

/** Pairs as token ids, each prompt + answer fitted to maxLength. */
export function tokenizePairs(pairs: readonly PreferencePair[], tokenizer: Tokenizer, maxLength: number, render?: PromptRenderer): TokenizedPair[] {
  return pairs.map((p) => {
    let prompt: string;
    try {
      prompt = promptText(p.prompt, render);
    } catch (err) {
      throw new Error(`${p.source.file}:${p.source.line}: ${(err as Error).message}`);
    }
    return {
      chosen: encodeExample(tokenizer, prompt, p.chosen, { maxLength, promptSpecial: 'messages' in p.prompt }),
      rejected: encodeExample(tokenizer, prompt, p.rejected, { maxLength, promptSpecial: 'messages' in p.prompt }),
    };
  });
}

/** The model path a DPO, reward or RL run in dir started from (for --resume without --model). */
export function runBasePath(dir: string): string | undefined {
  if (!existsSync(join(dir, STATE_FILE))) return undefined;
  return (loadCheckpoint(dir).state as TrainState & { basePath?: string }).basePath;
}

/**
 * Runs (or resumes) DPO from base. On resume, base must be the model the run started from: it is
 * the reference, and the policy's weights come from the checkpoint.
 */
export function runDpo(job: DpoJob, base: BaseModel, events: DpoEvents = {}): { trainer: DpoTrainer; final: PreferenceStats | null } {
  // bad flags and a missing data file are refused before the folder is touched
  if (!job.resume) {
    const o = resolveTrainOptions({ contextLength: Math.min(256, base.model.contextLength), ...job.options });
    if (o.contextLength > base.model.contextLength) throw new Error(`context ${o.contextLength} is longer than the model's ${base.model.contextLength}`);
    if (!(job.settings.beta > 0 && Number.isFinite(job.settings.beta))) throw new Error(`β must be a finite number > 0, got ${job.settings.beta}`);
  }
  if (!(job.heldOutFraction >= 0 && job.heldOutFraction < 1)) throw new Error(`the held-out fraction must be in [0, 1), got ${job.heldOutFraction}`);
  if (job.limit !== undefined && !(Number.isSafeInteger(job.limit) && job.limit >= 0)) throw new Error(`the pair limit must be a whole number ≥ 0, got ${job.limit}`);
  if (!existsSync(job.data)) throw new Error(`preference data '${job.data}' does not exist`);
  return withOutDir(job.out, () => runDpoOwned(job, base, events));
}

function runDpoOwned(job: DpoJob, base: BaseModel, events: DpoEvents): { trainer: DpoTrainer; final: PreferenceStats | null } {
  const info = events.onInfo ?? (() => {});
  const hasState = existsSync(join(job.out, STATE_FILE));
  if (job.resume && !hasState) throw new Error(`--resume: ${join(job.out, STATE_FILE)} does not exist`);
  if (!job.resume && hasState) throw new Error(`${job.out} already holds a training run: pass --resume to continue it, or choose another --out`);

  const loaded = job.resume ? loadCheckpoint(job.out) : null;
  const saved = loaded?.state as (DpoState & { basePath: string }) | undefined;
  if (saved && !saved.dpo) throw new Error(`${job.out} holds a training run that is not DPO`);
  if (saved && saved.basePath !== base.path) throw new Error(`this run started from '${saved.basePath}', not '${base.path}': resume it with that --model`);
  const options = saved ? { ...saved.options, ...(job.options.steps ? { steps: job.options.steps } : {}) } : resolveTrainOptions({ contextLength: Math.min(256, base.model.contextLength), ...job.options });
  if (options.contextLength > base.model.contextLength) throw new Error(`context ${options.contextLength} is longer than the model's ${base.model.contextLength}`);
  const settings = saved ? { loss: saved.dpo.loss, beta: saved.dpo.beta, precomputeReference: saved.dpo.precomputeReference } : job.settings;

  const all = loadPreferenceFile(job.data);
  if (job.limit !== undefined && !(Number.isInteger(job.limit) && job.limit >= 0)) throw new Error(`the pair limit must be a whole number ≥ 0, got ${job.limit}`);
  const pairs = job.limit ? all.slice(0, job.limit) : all;
  const split = splitPairs(pairs, job.heldOutFraction);
  const data = {
    train: tokenizePairs(split.train, base.tokenizer, options.contextLength, job.renderPrompt),
    heldOut: tokenizePairs(split.heldOut, base.tokenizer, options.contextLength, job.renderPrompt),
  };
  info(`${pairs.length.toLocaleString('en-US')} preference pairs${pairs.length < all.length ? ` (the first of ${all.length.toLocaleString('en-US')})` : ''}: ${data.train.length} for training, ${data.heldOut.length} held out`);

  // the reference: the starting weights, frozen (a copy when base.model becomes the policy); the
  // policy: base.model, or on resume the checkpoint's weights. runDpo owns base.model from here.
  // With LoRA: the policy is base.model plus an adapter, the reference the same weights with it off.
  const setup = setupPolicy(base, saved ? (saved.extra?.lora as LoraConfig | undefined) : job.lora, loaded, options.seed, job.out);
  const { policy, reference, adapter, lora } = setup;
  const t0 = performance.now();
  const trainer = new DpoTrainer(policy, reference, data, options, settings, setup.trainable);
  if (adapter) info(`LoRA rank ${lora!.rank}, alpha ${lora!.alpha} on ${adapter.layers.size} layers: ${adapter.numParameters.toLocaleString('en-US')} trainable parameters; base frozen`);
  if (settings.precomputeReference) {
    reference.dispose(); // every pair is scored: a second copy of the weights can go
    info(`reference log-probabilities precomputed for every pair in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (saved) {
    trainer.restore(saved, loaded!);
    info(`resumed at step ${trainer.step} of ${options.steps}`);
  }
  info(`DPO (${settings.loss}, β = ${settings.beta}) on ${policy.config.arch}, ${policy.numParameters.toLocaleString('en-US')} parameters; reference: ${settings.precomputeReference ? 'precomputed from ' : ''}${reference.description}; ${options.steps} steps of ${options.batchSize} pairs`);

  const evaluate = (): PreferenceStats | null => {
    if (data.heldOut.length === 0) return null;
    const stats = trainer.evaluate();
    trainer.evals.push({ step: trainer.step, ...stats });
    events.onEval?.(trainer.step, stats);
    return stats;
  };
  const save = () => {
    savePolicyCheckpoint(job.out, setup, base, { m: trainer.optimizer.m as never, v: trainer.optimizer.v as never }, { ...trainer.state(), basePath: base.path });
    writeFileAtomic(join(job.out, 'loss.svg'), lossCurveSvg(trainer.history, `${job.out}: DPO ${settings.loss} loss by step (validation: held-out pairs)`));
    events.onSave?.(job.out, trainer.step);
  };

  const final = runHeldOutLoop(trainer, { evaluate, save, onStep: (r) => events.onStep?.(r, trainer), fresh: !saved },
    { evalInterval: options.evalInterval, checkpointInterval: options.checkpointInterval, out: job.out, savedStep: saved?.step });
  reference.dispose();
  if (adapter) adapter.training = false;
  return { trainer, final };
}
