// Training data: text files tokenized once into a cached token file, a held-out validation split,
// and random windows of context + 1 tokens (as nanoGPT's get_batch).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as op from '../ops/index.js';
import type { Rng } from '../ops/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { writeFileAtomic } from '../io/atomic.js';

/** A fingerprint of a tokenizer: its description and every token's string. */
function tokenizerFingerprint(tokenizer: Tokenizer): string {
  const hash = createHash('sha256').update(tokenizer.description);
  for (let id = 0; id < tokenizer.vocabSize; id++) hash.update(`${tokenizer.idToToken(id) ?? ''}\u0000`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Tokenizes a text file, caching the ids in cacheDir as int32 so the next run skips the work.
 * Special token strings in the text (such as <|endoftext|> between stories) become their ids.
 */
export function tokenizeFile(path: string, tokenizer: Tokenizer, cacheDir: string): Int32Array {
  if (!existsSync(path)) throw new Error(`training text '${path}' does not exist`);
  const st = statSync(path);
  const key = createHash('sha256').update(`${path}|${st.size}|${st.mtimeMs}|${tokenizerFingerprint(tokenizer)}`).digest('hex').slice(0, 16);
  const cachePath = join(cacheDir, `${basename(path)}.${key}.tokens`);
  if (existsSync(cachePath)) {
    const bytes = readFileSync(cachePath);
    return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  const text = readFileSync(path, 'utf8');
  const ids = Int32Array.from(tokenizer.encode(text, { allowedSpecial: 'all' }));
  mkdirSync(cacheDir, { recursive: true });
  writeFileAtomic(cachePath, new Uint8Array(ids.buffer));
  return ids;
}

/** Splits tokens into train and validation, the last `fraction` of the tokens held out. */
export function splitTokens(ids: Int32Array, fraction: number): { train: Int32Array; val: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`validation fraction must be in [0, 1), got ${fraction}`);
  const cut = Math.floor(ids.length * (1 - fraction));
  return { train: ids.subarray(0, cut), val: ids.subarray(cut) };
}

/** B random windows of T + 1 tokens: inputs (B, T) and next-token targets (B, T). */
export function sampleBatch(tokens: Int32Array, batch: number, context: number, rng: Rng): { x: Tensor; y: Tensor } {
  if (tokens.length < context + 1) throw new Error(`${tokens.length} tokens are fewer than one window of ${context + 1}`);
  const x = new Int32Array(batch * context), y = new Int32Array(batch * context);
  for (let b = 0; b < batch; b++) {
    const start = rng.int(tokens.length - context);
    x.set(tokens.subarray(start, start + context), b * context);
    y.set(tokens.subarray(start + 1, start + context + 1), b * context);
  }
  return { x: op.tensor(x, [batch, context]), y: op.tensor(y, [batch, context]) };
}
