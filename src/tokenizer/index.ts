// The tokenizer package: byte-level BPE (GPT-2 family), scored BPE (llama2.c / SentencePiece),
// training, and loaders for the common vocabulary files. `loadTokenizer` detects the format.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadGguf } from './load-gguf.js';
import { loadGpt2Files } from './load-gpt2.js';
import { loadHfJson, type HfTokenizerConfig } from './load-hf-json.js';
import { loadLlama2c } from './load-llama2c.js';
import { isRecord, parseJson, readText } from './parse.js';
import { CharTokenizer } from './char.js';
import { ByteLevelBPE } from './bpe.js';
import { saveHfJson } from './save-hf-json.js';
import type { Tokenizer } from './types.js';

export type { AllowedSpecial, EncodeOptions, Tokenizer } from './types.js';
export { ByteLevelBPE, type ByteLevelBPEConfig } from './bpe.js';
export { ScoredBPE } from './scored-bpe.js';
export { trainBpe, type TrainOptions } from './train.js';
export { StreamDecoder } from './stream-decode.js';
export { saveHfJson, toHfJson } from './save-hf-json.js';
export { CharTokenizer } from './char.js';
export { gpt2FromText, loadGpt2Files } from './load-gpt2.js';
export { loadHfJson, tokenizerFromHfJson } from './load-hf-json.js';
export { loadGguf, tokenizerFromGguf } from './load-gguf.js';
export { llama2cFromBuffer, loadLlama2c } from './load-llama2c.js';
export { CL100K_PATTERN, GPT2_PATTERN, QWEN2_PATTERN, hfRegexToJs, pretokenize, regexPretokenizer } from './pretokenize.js';

function readHfConfig(dir: string): HfTokenizerConfig {
  const path = join(dir, 'tokenizer_config.json');
  if (!existsSync(path)) return {};
  const json = parseJson(readText(path), path);
  return isRecord(json) ? json : {};
}

/**
 * Loads a tokenizer from:
 * - a directory holding tokenizer.json, or vocab.json + merges.txt;
 * - a tokenizer.json (any .json), a .gguf file, or a llama2.c tokenizer .bin.
 * The format of a file is recognised by its first bytes ('GGUF', '{'), then by its extension.
 */
export function loadTokenizer(path: string): Tokenizer {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new Error(`tokenizer not found: ${path}`);
  }
  if (stat.isDirectory()) {
    const json = join(path, 'tokenizer.json');
    if (existsSync(json)) return loadTokenizer(json);
    const vocab = join(path, 'vocab.json');
    const merges = join(path, 'merges.txt');
    if (existsSync(vocab) && existsSync(merges)) return loadGpt2Files(vocab, merges);
    throw new Error(`${path} holds neither tokenizer.json nor vocab.json + merges.txt`);
  }
  const head = new Uint8Array(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  const magic = String.fromCharCode(...head);
  if (magic === 'GGUF' || path.endsWith('.gguf')) return loadGguf(path);
  if (path.endsWith('.json') || magic.trimStart().startsWith('{')) {
    if (path.endsWith('vocab.json')) {
      const merges = join(path, '..', 'merges.txt');
      if (existsSync(merges)) return loadGpt2Files(path, merges);
    }
    const chars = CharTokenizer.fromHfJson(parseJson(readText(path), path));
    if (chars) return chars;
    return loadHfJson(path, readHfConfig(join(path, '..')));
  }
  if (path.endsWith('.bin')) return loadLlama2c(path);
  throw new Error(`cannot tell the tokenizer format of ${path} (expected a directory, tokenizer.json, .gguf, or llama2.c .bin)`);
}

/** Writes any trainable tokenizer (byte-level BPE or character-level) as a tokenizer.json. */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  if (tok instanceof CharTokenizer) tok.save(path);
  else if (tok instanceof ByteLevelBPE) saveHfJson(tok, path);
  else throw new Error(`cannot save a ${tok.description} tokenizer as tokenizer.json`);
}
