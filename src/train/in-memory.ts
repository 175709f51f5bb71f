// Training from text in memory, for a browser tab (no files): tokenizer from the text (characters
// or a byte-level BPE), a held-out tail for validation, a fresh model, and the checkpoint folder
// as bytes (config.json, model.safetensors, tokenizer.json) that `glasslm --model DIR` loads.

import { writeSafetensors } from '../io/safetensors.js';
import { configToHf } from '../models/config.js';
import { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { ByteLevelBPE } from '../tokenizer/bpe.js';
import { CharTokenizer } from '../tokenizer/char.js';
import { toHfJson } from '../tokenizer/save-hf-json.js';
import { trainBpe } from '../tokenizer/train.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { splitTokens } from './data.js';
import { resolveTrainOptions, type TrainOptions } from './options.js';
import { modelConfigFor, type ModelShape } from './shape.js';
import { Trainer } from './trainer.js';

export interface TextTrainingJob {
  text: string;
  /** 'char': one token per character; a number: train a byte-level BPE of that size. */
  tokenizer: 'char' | number;
  valFraction: number;
  model: ModelShape;
  options: Partial<TrainOptions>;
}

/** A Trainer ready to step, for text held in memory. */
export function textTrainer(job: TextTrainingJob): { trainer: Trainer; tokenizer: Tokenizer; trainTokens: number; valTokens: number } {
  if (!job.text) throw new Error('no training text given');
  const tokenizer: Tokenizer = job.tokenizer === 'char'
    ? CharTokenizer.fromText(job.text)
    : trainBpe(job.text, { vocabSize: job.tokenizer, specialTokens: ['<|endoftext|>'] });
  const all = Int32Array.from(tokenizer.encode(job.text));
  const data = splitTokens(all, job.valFraction);
  const options = resolveTrainOptions({ contextLength: job.model.contextLength, ...job.options });
  for (const [part, n] of [['training', data.train.length], ['validation', data.val.length]] as const) {
    if (n <= options.contextLength) throw new Error(`the ${part} part has ${n} tokens, fewer than the context of ${options.contextLength} + 1: give more text or a shorter context`);
  }
  const model = Model.init(modelConfigFor(job.model, tokenizer.vocabSize), new op.Rng(options.seed));
  return { trainer: new Trainer(model, data, options, tokenizer), tokenizer, trainTokens: data.train.length, valTokens: data.val.length };
}

/** The files of a checkpoint folder (the layout saveHfModel writes), as bytes. */
export function checkpointFiles(model: Model, tokenizer: Tokenizer): { name: string; bytes: Uint8Array }[] {
  if (model.inferenceOnly) throw new Error('this model holds some matrices only as int8: it cannot be saved as float weights');
  const tensors = [...model.params].map(([name, t]) => {
    const d = t.data();
    return { name, shape: [...t.shape], data: d instanceof Float32Array ? Float32Array.from(d) : Float32Array.from(d as ArrayLike<number>) };
  });
  const json = (x: unknown) => new TextEncoder().encode(JSON.stringify(x, null, 2) + '\n');
  let tok: unknown;
  if (tokenizer instanceof CharTokenizer) tok = tokenizer.toHfJson();
  else if (tokenizer instanceof ByteLevelBPE) tok = toHfJson(tokenizer);
  else throw new Error(`cannot write a ${tokenizer.description} tokenizer as tokenizer.json`);
  return [
    { name: 'config.json', bytes: json(configToHf(model.config)) },
    { name: 'model.safetensors', bytes: writeSafetensors(tensors, { format: 'pt' }) },
    { name: 'tokenizer.json', bytes: json(tok) },
  ];
}
