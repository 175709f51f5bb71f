// Evaluation document by document: each held-out story is scored from the model's own document
// start (its BOS token; `<|endoftext|>` for GPT-2-style vocabularies), and bits per byte count the
// UTF-8 bytes of the stories' text only. Models with different tokenizers and training formats
// (glasslm's, llama2.c's stories260K) are then measured on exactly the same text.

import type { Model } from '../models/model.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { DOCUMENT_SEPARATOR, firstHeldOutDocument, splitDocuments } from './documents.js';
import { evaluateIds } from './evaluate.js';

export interface DocumentEvalResult {
  documents: number;
  tokens: number; // tokens predicted: every token of every story (the first from the document start)
  bytes: number; // UTF-8 bytes of the stories' text
  lossPerToken: number; // nats
  bitsPerByte: number;
}

/** The id a document starts from: the vocabulary's BOS, else its `<|endoftext|>`. */
export function documentStartId(tokenizer: Tokenizer): number {
  const id = tokenizer.bos ?? tokenizer.specialTokens.get(DOCUMENT_SEPARATOR);
  if (id === undefined) throw new Error(`the tokenizer (${tokenizer.description}) has no BOS or ${DOCUMENT_SEPARATOR} token to start a document from`);
  return id;
}

/**
 * Scores the documents (separated by `<|endoftext|>`) that start in the last `tailFraction` of the
 * text (all of them for 1): the same documents `glasslm train --val-fraction` holds out.
 */
export function evaluateDocuments(model: Model, tokenizer: Tokenizer, text: string, contextLength = model.contextLength, tailFraction = 1): DocumentEvalResult {
  if (!(tailFraction > 0 && tailFraction <= 1)) throw new Error(`the evaluated fraction must be in (0, 1], got ${tailFraction}`);
  const all = splitDocuments(text);
  const docs = tailFraction === 1 ? all : all.slice(firstHeldOutDocument(all, text.length, tailFraction));
  if (docs.length === 0) throw new Error(`no document starts in the last ${tailFraction} of the text (documents are separated by ${DOCUMENT_SEPARATOR})`);
  const start = documentStartId(tokenizer);
  const encoder = new TextEncoder();
  let tokens = 0, totalLoss = 0, bytes = 0;
  for (const doc of docs) {
    const ids = Int32Array.from([start, ...tokenizer.encodeOrdinary(doc.text)]);
    const r = evaluateIds(model, ids, contextLength);
    tokens += r.tokens;
    totalLoss += r.totalLoss;
    bytes += encoder.encode(doc.text).length;
  }
  return { documents: docs.length, tokens, bytes, lossPerToken: totalLoss / tokens, bitsPerByte: totalLoss / Math.LN2 / bytes };
}
