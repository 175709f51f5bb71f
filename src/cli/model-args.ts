// Shared by the commands that run a model: --model / --tokenizer resolution and the built-in default.

import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model } from '../models/model.js';
import { attachLora } from '../lora/files.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { describeCheckpoint, loadModel, loadTokenizer } from '../node.js';

/** The built-in model's folder (committed in the repository; dist/src/cli -> project root). */
export const BUILTIN_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'builtin');

/** The built-in story assistant: a LoRA adapter over the built-in model (scripts/story-assistant.sh). */
export const STORY_ASSISTANT_DIR = resolve(BUILTIN_MODEL_DIR, '..', 'story-assistant');

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  tokenizer: { type: 'string' },
  dtype: { type: 'string' },
  lora: { type: 'string' },
} as const;

/** The help line for --lora, shared by every command that runs a model. */
export const LORA_HELP = '  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)';

/** Where a model's tokenizer is, when --tokenizer is not given. */
function defaultTokenizerPath(modelPath: string): string {
  if (statSync(modelPath).isDirectory()) return modelPath;
  if (modelPath.endsWith('.gguf')) return modelPath;
  const beside = join(dirname(modelPath), 'tokenizer.bin');
  if (existsSync(beside)) return beside;
  throw new Error(`'${modelPath}' carries no tokenizer: give one with --tokenizer (for llama2.c, e.g. tok512.bin)`);
}

/**
 * Loads --model (or the built-in model) and its tokenizer (or --tokenizer), for commands that run
 * the model (not train it). --dtype q8_0, or a GGUF file of Q8_0 matrices, runs them as int8.
 * opts.decode: the command only generates (generate, chat, serve), so float (in, out) matrices are
 * held transposed, the layout decoding reads fastest (Model.transposeConv1D).
 */
export function loadModelAndTokenizer(values: { model?: string; tokenizer?: string; dtype?: string; lora?: string }, opts: { decode?: boolean } = {}): { model: Model; tokenizer: Tokenizer; modelPath: string } {
  if (values.dtype !== undefined && values.dtype !== 'f32' && values.dtype !== 'q8_0') throw new Error(`--dtype must be f32 or q8_0, got '${values.dtype}'`);
  const modelPath = values.model ?? BUILTIN_MODEL_DIR;
  if (!values.model && !existsSync(join(BUILTIN_MODEL_DIR, 'config.json'))) {
    throw new Error(`the built-in model is missing (${BUILTIN_MODEL_DIR}); pass --model <dir|file>`);
  }
  // int8 when asked, or when the file stores its matrices as Q8_0 (as llama.cpp runs them): these
  // commands only run the model, so each matrix is quantized as it is read and its floats freed
  const dtype = values.dtype ?? ('Q8_0' in describeCheckpoint(modelPath).dtypes ? 'q8_0' : 'f32');
  const model = loadModel(modelPath, { dtype: dtype as 'f32' | 'q8_0' });
  const tokenizer = loadTokenizer(values.tokenizer ?? defaultTokenizerPath(modelPath));
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize}: they do not belong together`);
  }
  if (values.lora !== undefined) attachLora(model, values.lora);
  if (opts.decode && model.quantized.size === 0) model.transposeConv1D();
  return { model, tokenizer, modelPath };
}

/** Parses a whole-number option in [min, max], naming it and the range in the error. */
export function intOption(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = numberOption(name, value, fallback);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, got '${value}'`);
  }
  return n;
}

/**
 * Refuses a prompt containing special-token text (e.g. <|endoftext|>) unless --allow-special was
 * given, saying how to allow it (user text must not inject control tokens by accident).
 */
export function refuseSpecialText(tokenizer: Tokenizer, text: string, allowSpecial: boolean | undefined): void {
  if (allowSpecial) return;
  for (const s of tokenizer.specialTokens.keys()) {
    if (s.length > 0 && text.includes(s)) {
      throw new Error(`the prompt contains the special token ${JSON.stringify(s)}: pass --allow-special to encode it as that token, or remove it`);
    }
  }
}

/** A --seed: a whole number the generator can hold (its state is 32 bits: larger seeds would repeat smaller ones). */
export function seedOption(value: string | undefined, fallback: number): number {
  return intOption('seed', value, fallback, 0, 2 ** 32 - 1);
}

/** Parses a numeric option, naming it in the error. */
export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${value}'`);
  return n;
}

/** Colour in terminal grids: not with --no-color, not when the output is not a terminal (a file, a pipe), not under NO_COLOR. */
export function useColor(noColor: boolean | undefined): boolean {
  return !noColor && process.stdout.isTTY === true && !process.env.NO_COLOR;
}
