// A whole GRPO job: read the prompts, build policy and reference (full or LoRA, policy.ts), run
// the loop with checkpoints (src/train's files, exact --resume) and the loss plot.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { LoraConfig } from '../lora/adapter.js';
import { STATE_FILE } from '../train/checkpoint.js';
import { loadCheckpoint } from '../train/checkpoint-file.js';
import { lossCurveSvg } from '../train/loss-plot.js';
import { runLoop } from '../train/loop.js';
import { withOutDir } from '../train/out-dir.js';
import { type TrainOptions, resolveTrainOptions } from '../train/options.js';
import { parsePromptData } from './data.js';
import type { BaseModel } from './dpo-run.js';
import { type GrpoOptions, type GrpoState, type GrpoStepReport, GrpoTrainer, type RlPrompt, checkGrpoOptions } from './grpo-trainer.js';
import { type PromptRenderer, promptText } from './logprobs.js';
import { savePolicyCheckpoint, setupPolicy } from './policy.js';
import type { RewardSource } from './reward-source.js';

export interface GrpoJob {
  prompts: string;
  out: string;
  grpo: GrpoOptions;
  options: Partial<TrainOptions>;
  resume: boolean;
  lora?: LoraConfig;
  limit?: number;
  renderPrompt?: PromptRenderer;
}

export interface GrpoEvents {
  onInfo?(line: string): void;
  onStep?(r: GrpoStepReport, trainer: GrpoTrainer): void;
  onSave?(dir: string, step: number): void;
}

/** Runs (or resumes) GRPO from base against reward. runGrpo owns base.model. */
export function runGrpo(job: GrpoJob, base: BaseModel, reward: RewardSource, events: GrpoEvents = {}): GrpoTrainer {
  // bad flags and a missing prompt file are refused before the folder is touched
  if (!job.resume) {
    const o = resolveTrainOptions({ contextLength: Math.min(256, base.model.contextLength), ...job.options });
    if (o.contextLength > base.model.contextLength) throw new Error(`context ${o.contextLength} is longer than the model's ${base.model.contextLength}`);
    checkGrpoOptions(job.grpo);
    if (job.grpo.maxTokens >= o.contextLength) throw new Error(`--max-tokens ${job.grpo.maxTokens} leaves no room for a prompt within the context of ${o.contextLength} tokens`);
  }
  if (!existsSync(job.prompts)) throw new Error(`prompt file '${job.prompts}' does not exist`);
  return withOutDir(job.out, () => runGrpoOwned(job, base, reward, events));
}

function runGrpoOwned(job: GrpoJob, base: BaseModel, reward: RewardSource, events: GrpoEvents): GrpoTrainer {
  const info = events.onInfo ?? (() => {});
  const hasState = existsSync(join(job.out, STATE_FILE));
  if (job.resume && !hasState) throw new Error(`--resume: ${join(job.out, STATE_FILE)} does not exist`);
  if (!job.resume && hasState) throw new Error(`${job.out} already holds a training run: pass --resume to continue it, or choose another --out`);
  const loaded = job.resume ? loadCheckpoint(job.out) : null;
  const saved = loaded?.state as GrpoState | undefined;
  if (saved && !saved.grpo) throw new Error(`${job.out} holds a training run that is not GRPO`);
  if (saved && saved.basePath !== base.path) throw new Error(`this run started from '${saved.basePath}', not '${base.path}': resume it with that --model`);
  const options = saved ? { ...saved.options, ...(job.options.steps ? { steps: job.options.steps } : {}) } : resolveTrainOptions({ contextLength: Math.min(256, base.model.contextLength), ...job.options });
  const grpo: GrpoOptions = saved ? (({ log: _log, ...g }) => g)(saved.grpo) : job.grpo;

  if (!existsSync(job.prompts)) throw new Error(`prompt file '${job.prompts}' does not exist`);
  const records = parsePromptData(readFileSync(job.prompts, 'utf8'), job.prompts);
  const chosen = job.limit ? records.slice(0, job.limit) : records;
  const tok = base.tokenizer;
  const prompts: RlPrompt[] = chosen.map((r) => {
    const text = promptText(r.prompt, job.renderPrompt);
    const ids = [...(tok.bos !== undefined ? [tok.bos] : []), ...('messages' in r.prompt ? tok.encode(text, { allowedSpecial: 'all' }) : tok.encodeOrdinary(text))];
    if (ids.length >= options.contextLength) throw new Error(`${r.source.file}:${r.source.line}: the prompt is ${ids.length} tokens, leaving no room to generate within ${options.contextLength}`);
    return { text, ids };
  });
  info(`${prompts.length} prompts; reward: ${reward.name}`);

  const setup = setupPolicy(base, saved ? (saved.extra?.lora as LoraConfig | undefined) : job.lora, loaded, options.seed, job.out);
  const trainer = new GrpoTrainer(setup.policy, setup.reference, tok, prompts, reward, options, grpo, setup.trainable);
  if (saved) {
    trainer.restore(saved, loaded!);
    info(`resumed at step ${trainer.step} of ${options.steps}`);
  }
  info(`GRPO on ${setup.policy.config.arch}: ${options.steps} steps of ${options.batchSize} prompts × ${grpo.groupSize} samples (≤ ${grpo.maxTokens} tokens, temperature ${grpo.temperature}); clip ${grpo.clip}, KL β ${grpo.klCoef}; reference: ${setup.reference.description}`);
  const save = () => {
    savePolicyCheckpoint(job.out, setup, base, { m: trainer.optimizer.m as never, v: trainer.optimizer.v as never }, { ...trainer.state(), basePath: base.path } as GrpoState & { basePath: string });
    writeFileAtomic(join(job.out, 'loss.svg'), lossCurveSvg(trainer.history, `${job.out}: GRPO loss by step`));
    events.onSave?.(job.out, trainer.step);
  };
  // no held-out evaluation: every step's loss goes into the history
  runLoop({
    done: () => trainer.done,
    step: () => trainer.trainStep(),
    onStep: (r) => {
      trainer.history.push({ step: r.step, train: r.loss });
      events.onStep?.(r, trainer);
    },
    save,
  }, { evalInterval: 0, checkpointInterval: options.checkpointInterval, out: job.out, savedStep: saved?.step });
  setup.reference.dispose();
  if (setup.adapter) setup.adapter.training = false;
  return trainer;
}
