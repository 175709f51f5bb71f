// Training text files tokenized once into a cached token file (Node only), so the next run skips
// the work.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { splitTokens } from './data.js';
import { DOCUMENT_SEPARATOR, firstHeldOutDocument, splitDocuments } from './documents.js';

/** A fingerprint of a tokenizer: its description and every token's string. */
function tokenizerFingerprint(tokenizer: Tokenizer): string {
  const hash = createHash('sha256').update(tokenizer.description);
  for (let id = 0; id < tokenizer.vocabSize; id++) hash.update(`${tokenizer.idToToken(id) ?? ''}\u0000`);
  return hash.digest('hex').slice(0, 16);
}

/** The separator's id when the text is documents the tokenizer can mark (`<|endoftext|>` between stories). */
function separatorId(text: string, tokenizer: Tokenizer): number | undefined {
  const id = tokenizer.specialTokens.get(DOCUMENT_SEPARATOR);
  return id !== undefined && text.includes(DOCUMENT_SEPARATOR) ? id : undefined;
}

/**
 * A text's ids. A text of documents separated by `<|endoftext|>` (when the tokenizer has that
 * special token) becomes [sep, doc 1, sep, doc 2, ...] with each document trimmed, so every
 * document starts right after the separator, as generation starts right after the BOS token.
 * Other special token strings in the text become their ids.
 */
export function tokenizeText(text: string, tokenizer: Tokenizer): Int32Array {
  const sep = separatorId(text, tokenizer);
  if (sep === undefined) return Int32Array.from(tokenizer.encode(text, { allowedSpecial: 'all' }));
  const ids: number[] = [];
  for (const doc of splitDocuments(text)) {
    ids.push(sep);
    for (const id of tokenizer.encode(doc.text, { allowedSpecial: 'all' })) ids.push(id);
  }
  return Int32Array.from(ids);
}

/**
 * Tokenizes a text file (tokenizeText), caching the ids in cacheDir as int32 so the next run
 * skips the work.
 */
export function tokenizeFile(path: string, tokenizer: Tokenizer, cacheDir: string): Int32Array {
  if (!existsSync(path)) throw new Error(`training text '${path}' does not exist`);
  const st = statSync(path);
  const key = createHash('sha256').update(`documents-1|${path}|${st.size}|${st.mtimeMs}|${tokenizerFingerprint(tokenizer)}`).digest('hex').slice(0, 16);
  const cachePath = join(cacheDir, `${basename(path)}.${key}.tokens`);
  if (existsSync(cachePath)) {
    const bytes = readFileSync(cachePath);
    return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  const text = readFileSync(path, 'utf8');
  const ids = tokenizeText(text, tokenizer);
  mkdirSync(cacheDir, { recursive: true });
  writeFileAtomic(cachePath, new Uint8Array(ids.buffer));
  return ids;
}

/**
 * Splits a file's ids (tokenizeFile's) into train and validation: the documents that start in the
 * last `fraction` of the text are held out whole; a text without documents loses its last
 * `fraction` of the tokens, as splitTokens does.
 */
export function splitFileTokens(path: string, ids: Int32Array, tokenizer: Tokenizer, fraction: number): { train: Int32Array; val: Int32Array } {
  const text = readFileSync(path, 'utf8');
  const sep = separatorId(text, tokenizer);
  if (sep === undefined) return splitTokens(ids, fraction);
  const docs = splitDocuments(text);
  const heldOut = firstHeldOutDocument(docs, text.length, fraction);
  if (fraction > 0 && heldOut >= docs.length) return splitTokens(ids, fraction); // no document starts in the tail
  let seen = 0, cut = ids.length;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== sep) continue;
    if (seen === heldOut) { cut = i; break; }
    seen++;
  }
  return { train: ids.subarray(0, cut), val: ids.subarray(cut) };
}
