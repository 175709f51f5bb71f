// A whole supervised fine-tuning job (Node: it reads and writes files): read every record first,
// choose the chat template (adding its tokens to the vocabulary when it needs new ones), encode
// with assistant-only targets, hold out a split, then run the pre-training loop (src/train) on
// packed rows, either on every weight or on a LoRA adapter over the frozen base.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addChatTokens } from '../chat/add-tokens.js';
import { defaultChatTemplate, plainChatTemplate } from '../chat/default.js';
import { loadChatTemplate } from '../chat/load.js';
import { tokenizerConfigFields } from '../chat/sources.js';
import type { ChatTemplate } from '../chat/template.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type LoraAdapter, type LoraConfig, createLora } from '../lora/adapter.js';
import { peftFiles } from '../lora/peft.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { loadTokenizer } from '../tokenizer/load-file.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { STATE_FILE, trainStateBytes } from '../train/checkpoint.js';
import { loadCheckpoint } from '../train/checkpoint-file.js';
import { resolveTrainOptions, type TrainOptions } from '../train/options.js';
import { withOutDir } from '../train/out-dir.js';
import { type TrainEvents, trainLoop } from '../train/run.js';
import { Trainer } from '../train/trainer-file.js';
import type { Trainer as BytesTrainer } from '../train/trainer.js';
import { sftBatches, holdOut } from './batches.js';
import { encodeExamples } from './encode.js';
import { parseSftText, type SftExample } from './records.js';

/** Fine-tuning defaults: shorter and gentler than pre-training's. */
export const SFT_DEFAULTS: Partial<TrainOptions> = {
  steps: 200, batchSize: 8, lr: 3e-4, minLr: 3e-5, warmupSteps: 20, weightDecay: 0, evalInterval: 50, checkpointInterval: 50,
};

/** Which chat template: the model's own, ChatML ('chatml', adding its tokens), 'plain' text labels, or a Jinja file. */
export type TemplateChoice = 'auto' | 'chatml' | 'plain' | { file: string };

export interface SftJob {
  /** The base model as loaded (float weights for full fine-tuning; int8 is fine under LoRA) and its tokenizer. */
  model: Model;
  tokenizer: Tokenizer;
  /** Where the base came from (its chat template is looked for there; recorded in the adapter's config). */
  modelPath: string;
  data: string[];
  out: string;
  /** Every k-th example (k = 1 / valFraction) is held out for the validation loss. */
  valFraction: number;
  packing: boolean;
  template: TemplateChoice;
  options: Partial<TrainOptions>;
  /** Train a LoRA adapter over the frozen base instead of every weight. */
  lora?: LoraConfig;
  resume: boolean;
}

export interface SftResult {
  trainer: Trainer;
  valLoss: number;
  model: Model;
  tokenizer: Tokenizer;
  template: ChatTemplate;
  adapter: LoraAdapter | null;
}

/** Reads every data file whole (a bad record stops everything before any training). */
export function readSftFiles(files: readonly string[]): SftExample[] {
  if (files.length === 0) throw new Error('no fine-tuning data given (--data FILE)');
  const all: SftExample[] = [];
  for (const f of files) {
    if (!existsSync(f)) throw new Error(`fine-tuning data '${f}' does not exist`);
    all.push(...parseSftText(readFileSync(f, 'utf8'), f));
  }
  return all;
}

/** The job's template, and the model/tokenizer grown by its tokens when it needs new ones. */
function chooseTemplate(job: SftJob, needsTemplate: boolean, info: (s: string) => void): { model: Model; tokenizer: Tokenizer; template: ChatTemplate } {
  let { model, tokenizer } = job;
  const eosText = () => {
    const eos = tokenizer.eos;
    const s = eos === undefined ? undefined : tokenizer.idToToken(eos);
    if (s === undefined || !tokenizer.specialTokens.has(s)) throw new Error('the plain template ends turns with the vocabulary\'s eos token, and this vocabulary has none: use --template chatml or FILE');
    return s;
  };
  let choice = job.template;
  if (typeof choice === 'object') {
    const template = loadChatTemplate(choice.file);
    if (!template) throw new Error(`${choice.file}: holds no chat template`);
    return { model, tokenizer, template };
  }
  if (choice === 'auto') {
    const own = loadChatTemplate(job.modelPath);
    if (own) {
      info('chat template: the model\'s own');
      return { model, tokenizer, template: own };
    }
    choice = job.lora ? 'plain' : 'chatml'; // a LoRA adapter cannot add tokens to its frozen base
  }
  if (choice === 'plain') {
    info('chat template: plain text (User: / Assistant:, eos ends a turn)');
    return { model, tokenizer, template: plainChatTemplate(needsTemplate ? eosText() : '') };
  }
  const template = defaultChatTemplate();
  if (needsTemplate) {
    if (job.lora && (!tokenizer.specialTokens.has('<|im_start|>') || !tokenizer.specialTokens.has('<|im_end|>'))) {
      throw new Error('ChatML needs <|im_start|> and <|im_end|>, which this vocabulary lacks, and a LoRA adapter cannot add tokens: use --template plain, or fine-tune fully');
    }
    const grown = addChatTokens(model, tokenizer);
    if (grown.added > 0) info(`added ${[...grown.ids.keys()].join(' ')} to the vocabulary (ids ${[...grown.ids.values()].join(', ')}), their embedding rows set to the mean row`);
    ({ model, tokenizer } = grown);
  }
  info('chat template: ChatML (<|im_start|>role … <|im_end|>)');
  return { model, tokenizer, template };
}

/** The options of a new run (defaults, the LoRA learning rate, the job's flags), checked. */
function newRunOptions(job: SftJob): TrainOptions {
  const o = resolveTrainOptions({ ...SFT_DEFAULTS, ...(job.lora ? { lr: 1e-3, minLr: 1e-4 } : {}), contextLength: Math.min(job.model.contextLength, 256), ...job.options });
  if (o.contextLength > job.model.contextLength) throw new Error(`--context ${o.contextLength} is longer than the model's context of ${job.model.contextLength} tokens`);
  return o;
}

/**
 * Runs (or resumes) a fine-tuning job. The data and a new run's options are checked before the
 * folder is touched; then the run owns job.out (src/train/out-dir.ts: lock, recovery after a kill).
 */
export function runSft(job: SftJob, events: TrainEvents = {}): SftResult {
  const examples = readSftFiles(job.data);
  if (!(job.valFraction >= 0 && job.valFraction < 1)) throw new Error(`--val-fraction must be in [0, 1), got ${job.valFraction}`);
  if (!job.resume) newRunOptions(job);
  return withOutDir(job.out, () => runSftOwned(job, examples, events));
}

function runSftOwned(job: SftJob, examples: SftExample[], events: TrainEvents): SftResult {
  const info = events.onInfo ?? (() => {});
  const statePath = join(job.out, STATE_FILE);
  if (job.resume && !existsSync(statePath)) throw new Error(`--resume: ${statePath} does not exist`);
  if (!job.resume && existsSync(statePath)) throw new Error(`${job.out} already holds a training run (${STATE_FILE}): pass --resume to continue the fine-tuning run there, or choose another --out`);
  const needsTemplate = examples.some((e) => e.kind === 'chat');

  let model: Model, tokenizer: Tokenizer, template: ChatTemplate;
  const loaded = job.resume ? loadCheckpoint(job.out) : null;
  if (loaded && !job.lora) {
    // full fine-tuning resumes from the checkpoint's own weights, vocabulary and template
    tokenizer = loadTokenizer(join(job.out, 'tokenizer.json'));
    template = loadChatTemplate(job.out) ?? defaultChatTemplate();
    model = job.model;
  } else if (loaded && job.lora) {
    ({ model, tokenizer, template } = chooseTemplate(job, needsTemplate, info));
    const saved = loadChatTemplate(job.out);
    if (saved) template = saved;
  } else {
    ({ model, tokenizer, template } = chooseTemplate(job, needsTemplate, info));
  }

  const base = loaded ? loaded.state.options : newRunOptions(job);
  const options = { ...base, ...(loaded && job.options.steps ? { steps: job.options.steps } : {}) };
  // the split is of the records (before any is cut or dropped), so it stays the same for every context length
  const parts = holdOut(examples, job.valFraction);
  const train = encodeExamples(parts.train, tokenizer, template, options.contextLength);
  const val = encodeExamples(parts.val, tokenizer, template, options.contextLength);
  const split = { train: train.sequences, val: val.sequences };
  const sequences = [...split.train, ...split.val];
  const truncated = train.truncated + val.truncated, dropped = train.dropped + val.dropped;
  const tokens = sequences.reduce((n, s) => n + s.ids.length, 0);
  const learned = sequences.reduce((n, s) => n + s.targets.filter((t) => t >= 0).length, 0);
  info(`${examples.length} examples: ${parts.train.length} train, ${parts.val.length} held out (${tokens.toLocaleString('en-US')} tokens, ${learned.toLocaleString('en-US')} of them learned)` +
    (truncated ? `; ${truncated} cut to ${options.contextLength} tokens` : '') + (dropped ? `; ${dropped} dropped (nothing left to learn after the cut)` : ''));
  const batches = sftBatches(split.train, split.val, job.packing);

  let trainer: Trainer;
  let adapter: LoraAdapter | null = null;
  if (job.lora) {
    adapter = createLora(model.config, job.lora, new op.Rng(options.seed));
    model.adapter = adapter;
    adapter.training = true;
    const a = adapter;
    // the adapter in PEFT's layout, then the training state (last, so a complete state has a complete adapter)
    const files = (t: BytesTrainer) => new Map([
      ...peftFiles(a, model.config, job.modelPath),
      [STATE_FILE, trainStateBytes(a.params() as never, t.moments(), { ...t.state(), extra: { lora: job.lora, dropoutRng: a.rngState, base: job.modelPath } })],
    ]);
    trainer = new Trainer(model, batches, options, tokenizer, { trainable: adapter.params(), files });
    if (loaded) {
      for (const [name, t] of adapter.params()) {
        const saved = loaded.params.get(name);
        if (!saved || saved.data.length !== t.size) throw new Error(`${statePath}: no matching '${name}' (resume with the same --lora-* options)`);
        t.floats().set(saved.data);
      }
      adapter.rngState = (loaded.state.extra?.dropoutRng as number[]) ?? adapter.rngState;
      trainer.restore(loaded);
    }
    info(`LoRA rank ${job.lora.rank}, alpha ${job.lora.alpha} on ${adapter.layers.size} layers: ${adapter.numParameters.toLocaleString('en-US')} trainable parameters (${(100 * adapter.numParameters / model.numParameters).toFixed(2)}% of ${model.numParameters.toLocaleString('en-US')}); base frozen${model.quantized.size > 0 ? ' as int8' : ''}`);
  } else if (loaded) {
    job.model.dispose();
    trainer = Trainer.resume(job.out, batches, tokenizer, job.options.steps ? { steps: job.options.steps } : {});
    model = trainer.model;
  } else {
    trainer = new Trainer(model, batches, options, tokenizer);
    info(`full fine-tuning: ${model.numParameters.toLocaleString('en-US')} trainable parameters`);
  }
  if (loaded) info(`resumed at step ${trainer.step} of ${trainer.options.steps}`);
  writeFileAtomic(join(job.out, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigFields(template), null, 2) + '\n');
  const o = trainer.options;
  info(`${o.steps} steps of ${o.batchSize}×${o.contextLength} tokens${job.packing ? ' (examples packed)' : ''}, lr ${o.lr}`);
  const valLoss = trainLoop(trainer, job.out, events);
  if (adapter) adapter.training = false;
  return { trainer, valLoss, model, tokenizer, template, adapter };
}
