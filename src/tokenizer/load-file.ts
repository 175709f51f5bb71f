// Loading and saving tokenizers by path (Node only). The parsers are the browser-safe ones of
// ./index.ts; only the reading and writing of files is here. A GGUF's vocabulary is read from the
// start of the file alone (the metadata comes before the tensors).
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ByteLevelBPE } from './bpe.js';
import { GgufTruncatedError } from './gguf-metadata.js';
import { hfTokenizerConfig, tokenizerFromJsonText, tokenizerJsonText } from './index.js';
import { tokenizerFromGguf } from './load-gguf.js';
import { gpt2FromText } from './load-gpt2.js';
import { type HfTokenizerConfig, tokenizerFromHfJson } from './load-hf-json.js';
import { llama2cFromBuffer } from './load-llama2c.js';
import { parseJson } from './parse.js';
import { toHfJson } from './save-hf-json.js';
import type { ScoredBPE } from './scored-bpe.js';
import type { Tokenizer } from './types.js';

/** Reads a file as UTF-8, with the path in the error when it cannot be read. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** GPT-2's vocab.json + merges.txt. */
export function loadGpt2Files(vocabPath: string, mergesPath: string): ByteLevelBPE {
  return gpt2FromText(readText(vocabPath), readText(mergesPath), { vocab: vocabPath, merges: mergesPath });
}

/** A Hugging Face tokenizer.json (byte-level BPE). */
export function loadHfJson(path: string, config?: HfTokenizerConfig): ByteLevelBPE {
  return tokenizerFromHfJson(parseJson(readText(path), path), path, config);
}

/** A llama2.c tokenizer.bin. */
export function loadLlama2c(path: string, vocabSize?: number): ScoredBPE {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  return llama2cFromBuffer(buf, path, vocabSize);
}

/**
 * Loads the vocabulary of a .gguf file. Only the start of the file is read (the metadata comes
 * before the tensors): 16 MiB first, doubling while the metadata runs past what was read.
 */
export function loadGguf(path: string): Tokenizer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    for (let want = Math.min(size, 16 << 20); ; want = Math.min(size, want * 2)) {
      const buf = new Uint8Array(want);
      const got = readSync(fd, buf, 0, want, 0);
      try {
        return tokenizerFromGguf(buf.subarray(0, got), path);
      } catch (err) {
        if (!(err instanceof GgufTruncatedError) || want >= size) throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

function readHfConfig(dir: string): HfTokenizerConfig {
  const path = join(dir, 'tokenizer_config.json');
  return existsSync(path) ? hfTokenizerConfig(readText(path), path) : {};
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
    return tokenizerFromJsonText(readText(path), path, readHfConfig(join(path, '..')));
  }
  if (path.endsWith('.bin')) return loadLlama2c(path);
  throw new Error(`cannot tell the tokenizer format of ${path} (expected a directory, tokenizer.json, .gguf, or llama2.c .bin)`);
}

/** Writes a byte-level BPE as a Hugging Face tokenizer.json. */
export function saveHfJson(tok: ByteLevelBPE, path: string): void {
  writeFileSync(path, JSON.stringify(toHfJson(tok), null, 2) + '\n');
}

/** Writes any trainable tokenizer (byte-level BPE or character-level) as a tokenizer.json. */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  writeFileSync(path, tokenizerJsonText(tok));
}
