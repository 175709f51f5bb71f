// `glasslm train`: pre-train a model on text files, with checkpoints, validation and a loss plot.

import { readFileSync } from 'node:fs';
import { familyForTraining } from '../../models/families/index.js';
import { type ModelShape, type TrainJob, runTraining } from '../../train/run.js';
import type { TrainOptions } from '../../train/options.js';
import { numberOption } from '../model-args.js';
import { checkTrainingOut } from '../output-path.js';
import { parseCommand } from '../parse.js';
import { TRAIN_FLAGS, flagOptions, trainOptionsFromFlags, trainProgress } from '../train-flags.js';

export const summary = 'pre-train a model on text (checkpoints, --resume, validation, loss plot)';

const HELP = `usage: glasslm train --data FILE [--data FILE …] --out DIR [options]

tokenizer (one of):  --tokenizer PATH | --vocab-size N (train a byte-level BPE) | --char
model:               --arch gpt2|llama|mixtral|qwen2_moe --layers N --heads N [--kv-heads N] --dim N --context N [--mlp-hidden N]
                     [--experts N --experts-per-token K]  (mixtral, qwen2_moe: N experts per layer, K run per token;
                     default 8 and 2; --mlp-hidden is then each expert's width)
                     [--no-bias]  (GPT-2 without biases in linear layers and LayerNorms, as nanoGPT's bias=False)
training:            --steps --batch-size --grad-accum --lr --min-lr --warmup --weight-decay --beta1 --beta2
                     --grad-clip --eval-interval --eval-batches --checkpoint-interval --seed
                     --val-fraction X  each file's last X held out for validation, in [0, 1) (default 0.1; 0: none)
                     --config FILE  (JSON: {"model": {...}, "train": {...}}; unknown keys are errors)
                     --resume       continue the run in --out exactly where its last checkpoint left it
runtime:             --backend auto|cpu|wasm --threads N (global options)

Writes DIR/config.json, model.safetensors, tokenizer.json (usable with --model DIR),
train-state.safetensors (for --resume) and loss.svg.`;

const MODEL_FLAGS: Record<string, keyof ModelShape> = { layers: 'layers', heads: 'heads', 'kv-heads': 'kvHeads', dim: 'dim', context: 'contextLength', 'mlp-hidden': 'mlpHidden', experts: 'experts', 'experts-per-token': 'expertsPerToken' };
const MODEL_KEYS = new Set(['arch', 'bias', ...Object.values(MODEL_FLAGS)]);

function readConfigFile(path: string): { model: Record<string, unknown>; train: Record<string, unknown> } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--config ${path}: ${(err as Error).message}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(json)) throw new Error(`--config ${path}: expected a JSON object {"model": {...}, "train": {...}}, got ${JSON.stringify(json)}`);
  for (const key of Object.keys(json)) if (key !== 'model' && key !== 'train') throw new Error(`--config ${path}: unknown key '${key}' (model, train)`);
  for (const key of ['model', 'train']) {
    if (json[key] !== undefined && !isObject(json[key])) throw new Error(`--config ${path}: '${key}' must be an object, got ${JSON.stringify(json[key])}`);
  }
  const model = (json.model ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(model)) if (!MODEL_KEYS.has(key)) throw new Error(`--config ${path}: unknown model key '${key}' (${[...MODEL_KEYS].join(', ')})`);
  return { model, train: (json.train ?? {}) as Record<string, unknown> };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...flagOptions(TRAIN_FLAGS), ...flagOptions(MODEL_FLAGS), ...flagOptions({ out: 0, tokenizer: 0, 'vocab-size': 0, arch: 0, 'val-fraction': 0, config: 0 }),
    data: { type: 'string', multiple: true }, char: { type: 'boolean' }, 'no-bias': { type: 'boolean' }, resume: { type: 'boolean' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (!v.out) throw new Error('--out DIR is required');
  checkTrainingOut(v.out as string, { '--tokenizer': v.tokenizer as string | undefined, '--config': v.config as string | undefined });
  const file = v.config ? readConfigFile(v.config as string) : { model: {}, train: {} };
  const shape: Record<string, unknown> = { arch: 'gpt2', layers: 4, heads: 4, dim: 128, contextLength: 64, ...file.model };
  if (v.arch) shape.arch = v.arch;
  familyForTraining(String(shape.arch)); // an unknown --arch fails here, before any work
  for (const [flag, key] of Object.entries(MODEL_FLAGS)) if (v[flag] !== undefined) shape[key] = numberOption(flag, v[flag] as string, 0);
  if (v['no-bias']) shape.bias = false;
  const job: TrainJob = {
    data: (v.data as string[] | undefined) ?? [],
    out: v.out as string,
    valFraction: numberOption('val-fraction', v['val-fraction'] as string | undefined, 0.1),
    tokenizer: { path: v.tokenizer as string | undefined, vocabSize: v['vocab-size'] ? numberOption('vocab-size', v['vocab-size'] as string, 0) : undefined, char: v.char === true },
    model: shape as unknown as ModelShape,
    options: trainOptionsFromFlags(v, TRAIN_FLAGS, file.train as Partial<TrainOptions>),
    resume: v.resume === true,
  };
  const progress = trainProgress();
  const { trainer, valLoss } = runTraining(job, { onInfo: (line) => console.error(line), ...progress.events });
  progress.done();
  const validation = Number.isNaN(valLoss) ? 'no validation' : `validation loss ${valLoss.toFixed(4)}`;
  console.log(`done: ${trainer.step} steps in ${trainer.seconds.toFixed(1)} s (${Math.round(progress.tokensPerSecond()).toLocaleString('en-US')} tokens/s); ${validation}; model in ${job.out}`);
  return 0;
}
