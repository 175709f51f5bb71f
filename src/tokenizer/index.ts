// The tokenizer package (browser-safe): byte-level BPE (GPT-2 family), scored BPE (llama2.c /
// SentencePiece), character-level, training, and parsers for the common vocabulary files given as
// bytes. `loadTokenizerFromFiles` detects the format; the path loaders (loadTokenizer(path),
// saveTokenizer) are in ./load-file.ts (Node).
import { type FileMap, filesByName, magic, utf8 } from '../io/files.js';
import { ByteLevelBPE } from './bpe.js';
import { CharTokenizer } from './char.js';
import { tokenizerFromGguf } from './load-gguf.js';
import { gpt2FromText } from './load-gpt2.js';
import { type HfTokenizerConfig, tokenizerFromHfJson } from './load-hf-json.js';
import { llama2cFromBuffer } from './load-llama2c.js';
import { isRecord, parseJson } from './parse.js';
import { toHfJson } from './save-hf-json.js';
import type { Tokenizer } from './types.js';

export type { AllowedSpecial, EncodeOptions, Tokenizer } from './types.js';
export { ByteLevelBPE, type ByteLevelBPEConfig } from './bpe.js';
export { ScoredBPE } from './scored-bpe.js';
export { trainBpe, type TrainOptions } from './train.js';
export { StreamDecoder } from './stream-decode.js';
export { toHfJson } from './save-hf-json.js';
export { CharTokenizer } from './char.js';
export { gpt2FromText } from './load-gpt2.js';
export { tokenizerFromHfJson, type HfTokenizerConfig } from './load-hf-json.js';
export { tokenizerFromGguf } from './load-gguf.js';
export { llama2cFromBuffer } from './load-llama2c.js';
export { CL100K_PATTERN, GPT2_PATTERN, QWEN2_PATTERN, hfRegexToJs, pretokenize, regexPretokenizer } from './pretokenize.js';

/** tokenizer_config.json's text as the options tokenizer.json loading reads (bos/eos names). */
export function hfTokenizerConfig(text: string | undefined, what = 'tokenizer_config.json'): HfTokenizerConfig {
  if (text === undefined) return {};
  const json = parseJson(text, what);
  return isRecord(json) ? json : {};
}

/** A tokenizer.json's text: a character-level tokenizer if it is one (see CharTokenizer), else byte-level BPE. */
export function tokenizerFromJsonText(text: string, what: string, config: HfTokenizerConfig = {}): Tokenizer {
  const json = parseJson(text, what);
  return CharTokenizer.fromHfJson(json) ?? tokenizerFromHfJson(json, what, config);
}

/** Files that are never a vocabulary on their own. */
const NOT_A_VOCABULARY = new Set(['config.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json', 'model.safetensors.index.json']);

export interface TokenizerFilesOptions {
  /** llama2.c tokenizer.bin: read this many tokens (the model's vocabulary size), as run.c does. */
  vocabSize?: number;
}

/**
 * Loads a tokenizer from a folder given as files (name -> bytes), by content:
 * - tokenizer.json (with tokenizer_config.json when present), or vocab.json + merges.txt;
 * - the vocabulary inside a GGUF file (its metadata; the weights are not decoded);
 * - a llama2.c tokenizer (tok512.bin, tokenizer.bin), beside its model or alone;
 * - any other one JSON file holding a tokenizer.json object.
 */
export function loadTokenizerFromFiles(files: FileMap, opts: TokenizerFilesOptions = {}): Tokenizer {
  const byName = filesByName(files, 'tokenizer files');
  const text = (name: string) => utf8(byName.get(name)!, name);
  const config = () => hfTokenizerConfig(byName.has('tokenizer_config.json') ? text('tokenizer_config.json') : undefined);
  if (byName.has('tokenizer.json')) return tokenizerFromJsonText(text('tokenizer.json'), 'tokenizer.json', config());
  if (byName.has('vocab.json') && byName.has('merges.txt')) return gpt2FromText(text('vocab.json'), text('merges.txt'));
  const names = [...byName.keys()];
  const gguf = names.filter((n) => magic(byName.get(n)!) === 'GGUF');
  if (gguf.length > 1) throw new Error(`several GGUF files (${gguf.join(', ')}): give one at a time`);
  if (gguf.length === 1) return tokenizerFromGguf(byName.get(gguf[0])!, gguf[0]);
  const json = names.filter((n) => !NOT_A_VOCABULARY.has(n) && (n.endsWith('.json') || magic(byName.get(n)!, 1) === '{'));
  if (json.length === 1) return tokenizerFromJsonText(text(json[0]), json[0], config());
  // a llama2.c tokenizer: the file that parses as one (a llama2.c model beside it does not)
  const errors: string[] = [];
  for (const n of names) {
    if (n.endsWith('.json') || n.endsWith('.txt')) continue;
    try {
      return llama2cFromBuffer(byName.get(n)!, n, opts.vocabSize);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new Error(`no tokenizer among the files (${names.join(', ') || 'none'}): expected tokenizer.json, vocab.json + merges.txt, a GGUF file with a vocabulary, or a llama2.c tokenizer .bin` +
    (errors.length ? ` (${errors.join('; ')})` : ''));
}

/** tokenizer.json's text for any trainable tokenizer (byte-level BPE or character-level). */
export function tokenizerJsonText(tok: Tokenizer): string {
  if (tok instanceof CharTokenizer) return JSON.stringify(tok.toHfJson(), null, 1);
  if (tok instanceof ByteLevelBPE) return JSON.stringify(toHfJson(tok), null, 2) + '\n';
  throw new Error(`cannot save a ${tok.description} tokenizer as tokenizer.json`);
}
