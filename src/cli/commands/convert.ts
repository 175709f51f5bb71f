// `glasslm convert`: rewrite a checkpoint as GGUF (for llama.cpp) or as a Hugging Face folder.

import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type GgufDtype } from '../../models/save.js';
import { ByteLevelBPE } from '../../tokenizer/bpe.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { parseCommand } from '../parse.js';
import { refuseInputAsOutput } from '../output-path.js';
import { describeCheckpoint, loadModel, saveGgufModel, saveHfModel, loadTokenizer } from '../../node.js';

export const summary = 'convert a model to GGUF (f32, f16, q8_0) or a Hugging Face safetensors folder';

const HELP = `usage: glasslm convert IN --to gguf|safetensors [--dtype f32|f16|q8_0] [--tokenizer T] OUT

  IN               a Hugging Face folder (config.json + safetensors), a .gguf, or a llama2.c .bin
  --to gguf        OUT is one .gguf file that llama.cpp can load (weights, config and vocabulary)
  --to safetensors OUT is a folder: config.json, model.safetensors, tokenizer.json (byte-level BPE)
  --dtype          GGUF weight type (default f32): f16, or q8_0 (matrices whose rows are not a
                   multiple of 32 fall back to f16; norms and biases stay f32, as in llama.cpp)
  --tokenizer T    the vocabulary to write (default: the one IN carries, or tokenizer.bin beside a .bin)`;

/** The tokenizer that comes with a model file, if any. */
function ownTokenizer(path: string): Tokenizer | undefined {
  let candidate = path;
  if (!statSync(path).isDirectory() && !path.endsWith('.gguf') && describeCheckpoint(path).format === 'llama2.c') {
    candidate = join(dirname(path), 'tokenizer.bin');
    if (!existsSync(candidate)) return undefined;
  }
  try {
    return loadTokenizer(candidate);
  } catch {
    return undefined;
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { to: { type: 'string' }, dtype: { type: 'string' }, tokenizer: { type: 'string' } }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 2) throw new Error(`expected IN and OUT, got ${positionals.length} paths (see glasslm convert --help)`);
  const [input, output] = positionals;
  const to = values.to;
  if (to !== 'gguf' && to !== 'safetensors') throw new Error(`--to must be gguf or safetensors, got ${to === undefined ? 'nothing' : `'${to}'`}`);
  const dtype = values.dtype ?? 'f32';
  if (!['f32', 'f16', 'q8_0'].includes(dtype)) throw new Error(`--dtype must be f32, f16 or q8_0, got '${dtype}'`);
  if (to === 'safetensors' && dtype !== 'f32') throw new Error('--dtype applies to GGUF output only (safetensors is written as f32)');
  if (existsSync(output) && to === 'gguf' && statSync(output).isDirectory()) throw new Error(`OUT '${output}' is a folder; GGUF output is one file`);
  if (existsSync(output) && to === 'safetensors' && !statSync(output).isDirectory()) throw new Error(`OUT '${output}' is a file; safetensors output is a folder`);

  refuseInputAsOutput('OUT', output, { IN: input, '--tokenizer': values.tokenizer }, to === 'gguf' ? 'file' : 'folder');
  const model = loadModel(input);
  const tokenizer = values.tokenizer ? loadTokenizer(values.tokenizer) : ownTokenizer(input);
  if (tokenizer && tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize}: they do not belong together`);
  }
  let note = tokenizer ? `vocabulary: ${tokenizer.description}` : 'no vocabulary (give one with --tokenizer)';
  if (to === 'gguf') {
    saveGgufModel(model, output, { dtype: dtype as GgufDtype, tokenizer });
  } else {
    const writable = tokenizer instanceof ByteLevelBPE;
    if (tokenizer && !writable && values.tokenizer) saveHfModel(model, output, tokenizer); // throws, saying why
    if (tokenizer && !writable) note = `vocabulary not written: a ${tokenizer.description} has no tokenizer.json form (use --to gguf to keep it)`;
    saveHfModel(model, output, writable ? tokenizer : undefined);
  }
  const size = describeCheckpoint(output).fileBytes;
  console.log(`wrote ${output}: ${model.config.arch}, ${model.numParameters.toLocaleString('en-US')} parameters, ${to === 'gguf' ? dtype : 'f32 safetensors'}, ${(size / 2 ** 20).toFixed(1)} MiB; ${note}`);
  return 0;
}
