// Text <-> ids for the inspect views: prompts with BOS where the vocabulary has one, one-token
// arguments (--target Lily), and readable token labels.

import type { Tokenizer } from '../tokenizer/types.js';

/**
 * The prompt's ids, after BOS when the tokenizer has one and `bos` is not false. Special-token
 * text (<|endoftext|>) is read as that token only when `allowSpecial`; otherwise it is refused,
 * so that it never slips in by accident.
 */
export function encodePrompt(tokenizer: Tokenizer, text: string, bos = true, allowSpecial = false): number[] {
  if (!allowSpecial) {
    for (const s of tokenizer.specialTokens.keys()) {
      const at = s.length > 0 ? text.indexOf(s) : -1;
      if (at >= 0) throw new Error(`the prompt contains the special token ${JSON.stringify(s)} at character ${at}: allow special tokens (--allow-special) to read it as that token, or remove it`);
    }
  }
  const ids = [...(bos && tokenizer.bos !== undefined ? [tokenizer.bos] : []), ...(text ? tokenizer.encode(text, { allowedSpecial: allowSpecial ? 'all' : [] }) : [])];
  if (ids.length === 0) throw new Error('the prompt is empty');
  return ids;
}

/** One token from an argument: '#123' is an id, a special token's exact text is that token; other text must encode to exactly one token. */
export function tokenArg(tokenizer: Tokenizer, vocabSize: number, arg: string, option: string): number {
  if (/^#\d+$/.test(arg)) {
    const id = Number(arg.slice(1));
    if (id >= vocabSize) throw new Error(`--${option}: token id ${id} is outside the vocabulary of ${vocabSize}`);
    return id;
  }
  const special = tokenizer.specialTokens.get(arg);
  if (special !== undefined) return special;
  const ids = tokenizer.encodeOrdinary(arg);
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

/**
 * A position as a user gives it: 0 … length-1, or negative from the end (-1 is the last), as
 * Python indexes. Out of range is an error in the user's own terms (not the shifted value).
 */
export function resolvePosition(p: number, length: number, what = 'position'): number {
  if (!Number.isInteger(p) || p >= length || p < -length) throw new Error(`${what} ${p} is outside the prompt's ${length} positions (0 … ${length - 1}, or -${length} … -1 from the end)`);
  return p < 0 ? p + length : p;
}
