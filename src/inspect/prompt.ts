// Text <-> ids for the inspect views: prompts with BOS where the vocabulary has one, one-token
// arguments (--target Lily), and readable token labels.

import type { Tokenizer } from '../tokenizer/types.js';

/** The prompt's ids, after BOS when the tokenizer has one and `bos` is not false. */
export function encodePrompt(tokenizer: Tokenizer, text: string, bos = true): number[] {
  const ids = [...(bos && tokenizer.bos !== undefined ? [tokenizer.bos] : []), ...(text ? tokenizer.encode(text) : [])];
  if (ids.length === 0) throw new Error('the prompt is empty');
  return ids;
}

/** One token from an argument: '#123' is an id; other text must encode to exactly one token. */
export function tokenArg(tokenizer: Tokenizer, vocabSize: number, arg: string, option: string): number {
  if (/^#\d+$/.test(arg)) {
    const id = Number(arg.slice(1));
    if (id >= vocabSize) throw new Error(`--${option}: token id ${id} is outside the vocabulary of ${vocabSize}`);
    return id;
  }
  const ids = tokenizer.encode(arg);
  if (ids.length !== 1) {
    throw new Error(`--${option} '${arg}' is ${ids.length} tokens (${ids.map((i) => JSON.stringify(tokenizer.decode([i]))).join(' ')}); give one token, or an id as #123`);
  }
  return ids[0];
}

/** A token's text for display: its decoded piece ('<s>'-like ids that decode to nothing show as #id). */
export function tokenLabel(tokenizer: Tokenizer): (id: number) => string {
  return (id) => {
    if (id === tokenizer.bos || id === tokenizer.eos) return tokenizer.idToToken(id)?.trim() || `#${id}`;
    const s = tokenizer.decode([id]);
    return s.length ? s : (tokenizer.idToToken(id) ?? `#${id}`);
  };
}

/** Spaces and newlines made visible for terminal grids. */
export function visible(s: string): string {
  return s.replace(/ /g, '·').replace(/\n/g, '⏎');
}
