// `glasslm train`: pre-train a model on text files, with checkpoints, validation and a loss plot.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { familyForTraining } from '../../models/families/index.js';
import { type ModelShape, type TrainJob, runTraining } from '../../train/run.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../train/options.js';
import { numberOption } from '../model-args.js';
import { ProgressBar } from '../progress.js';

export const summary = 'pre-train a model on text (checkpoints, --resume, validation, loss plot)';

const HELP = `usage: glasslm train --data FILE [--data FILE …] --out DIR [options]

tokenizer (one of):  --tokenizer PATH | --vocab-size N (train a byte-level BPE) | --char
model:               --arch gpt2|llama --layers N --heads N [--kv-heads N] --dim N --context N [--mlp-hidden N]
                     [--no-bias]  (GPT-2 without biases in linear layers and LayerNorms, as nanoGPT's bias=False)
training:            --steps --batch-size --grad-accum --lr --min-lr --warmup --weight-decay --beta1 --beta2
                     --grad-clip --eval-interval --eval-batches --checkpoint-interval --seed --val-fraction
                     --config FILE  (JSON: {"model": {...}, "train": {...}}; unknown keys are errors)
                     --resume       continue the run in --out exactly where its last checkpoint left it
runtime:             --backend auto|cpu|wasm --threads N (global options)

Writes DIR/config.json, model.safetensors, tokenizer.json (usable with --model DIR),
train-state.safetensors (for --resume) and loss.svg.`;

const TRAIN_FLAGS: Record<string, keyof typeof DEFAULT_TRAIN_OPTIONS> = {
  steps: 'steps', 'batch-size': 'batchSize', 'grad-accum': 'gradAccumSteps', lr: 'lr', 'min-lr': 'minLr', warmup: 'warmupSteps',
  'decay-steps': 'decaySteps', 'weight-decay': 'weightDecay', beta1: 'beta1', beta2: 'beta2', 'grad-clip': 'gradClip',
  'eval-interval': 'evalInterval', 'eval-batches': 'evalBatches', 'checkpoint-interval': 'checkpointInterval', seed: 'seed',
};
const MODEL_FLAGS: Record<string, keyof ModelShape> = { layers: 'layers', heads: 'heads', 'kv-heads': 'kvHeads', dim: 'dim', context: 'contextLength', 'mlp-hidden': 'mlpHidden' };
const MODEL_KEYS = new Set(['arch', 'bias', ...Object.values(MODEL_FLAGS)]);

function readConfigFile(path: string): { model: Record<string, unknown>; train: Record<string, unknown> } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--config ${path}: ${(err as Error).message}`);
  }
  for (const key of Object.keys(json)) if (key !== 'model' && key !== 'train') throw new Error(`--config ${path}: unknown key '${key}' (model, train)`);
  const model = (json.model ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(model)) if (!MODEL_KEYS.has(key)) throw new Error(`--config ${path}: unknown model key '${key}' (${[...MODEL_KEYS].join(', ')})`);
  return { model, train: (json.train ?? {}) as Record<string, unknown> };
}

export async function run(argv: string[]): Promise<number> {
  const stringFlags = [...Object.keys(TRAIN_FLAGS), ...Object.keys(MODEL_FLAGS), 'out', 'tokenizer', 'vocab-size', 'arch', 'val-fraction', 'config'];
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(stringFlags.map((f) => [f, { type: 'string' as const }])),
      data: { type: 'string', multiple: true }, char: { type: 'boolean' }, 'no-bias': { type: 'boolean' }, resume: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const v = values as Record<string, string | boolean | string[] | undefined>;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.out) throw new Error('--out DIR is required');
  const file = v.config ? readConfigFile(v.config as string) : { model: {}, train: {} };
  const shape: Record<string, unknown> = { arch: 'gpt2', layers: 4, heads: 4, dim: 128, contextLength: 64, ...file.model };
  if (v.arch) shape.arch = v.arch;
  familyForTraining(String(shape.arch)); // an unknown --arch fails here, before any work
  for (const [flag, key] of Object.entries(MODEL_FLAGS)) if (v[flag] !== undefined) shape[key] = numberOption(flag, v[flag] as string, 0);
  if (v['no-bias']) shape.bias = false;
  const options: Record<string, unknown> = { ...file.train };
  for (const [flag, key] of Object.entries(TRAIN_FLAGS)) if (v[flag] !== undefined) options[key] = numberOption(flag, v[flag] as string, 0);
  const job: TrainJob = {
    data: (v.data as string[] | undefined) ?? [],
    out: v.out as string,
    valFraction: numberOption('val-fraction', v['val-fraction'] as string | undefined, 0.1),
    tokenizer: { path: v.tokenizer as string | undefined, vocabSize: v['vocab-size'] ? numberOption('vocab-size', v['vocab-size'] as string, 0) : undefined, char: v.char === true },
    model: shape as unknown as ModelShape,
    options: options as TrainJob['options'],
    resume: v.resume === true,
  };
  let bar: ProgressBar | null = null;
  let tokensPerSecond = 0;
  const { trainer, valLoss } = runTraining(job, {
    onInfo: (line) => console.error(line),
    onStep: (r, t) => {
      bar ??= new ProgressBar(t.options.steps);
      const secondsPerStep = t.seconds / Math.max(1, t.step);
      tokensPerSecond = r.tokens / secondsPerStep;
      bar.update(r.step, { loss: r.loss.toFixed(4), lr: r.lr.toExponential(2), 'tok/s': Math.round(tokensPerSecond).toLocaleString('en-US') }, secondsPerStep);
    },
    onEval: (step, trainLoss, val) => (bar ? bar.log(`step ${step}: train loss ${trainLoss.toFixed(4)}, validation loss ${val.toFixed(4)}`) : undefined),
  });
  (bar as ProgressBar | null)?.done();
  console.log(`done: ${trainer.step} steps in ${trainer.seconds.toFixed(1)} s (${Math.round(tokensPerSecond).toLocaleString('en-US')} tokens/s); validation loss ${valLoss.toFixed(4)}; model in ${job.out}`);
  return 0;
}
