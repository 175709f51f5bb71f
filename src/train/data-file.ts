// Training text files tokenized once into a cached token file (Node only), so the next run skips
// the work.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Tokenizer } from '../tokenizer/types.js';

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
