// Training from text in memory, for a browser tab (no files): tokenizer from the text (characters
// or a byte-level BPE), a held-out tail for validation, and a fresh model. The trainer's
// checkpointFiles() gives the checkpoint folder as bytes, which `glasslm --model DIR` loads.

import { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { CharTokenizer } from '../tokenizer/char.js';
import { trainBpe } from '../tokenizer/train.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { splitTokens } from './data.js';
import { resolveTrainOptions, type TrainOptions } from './options.js';
import { modelConfigFor, type ModelShape } from './model-shape.js';
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
