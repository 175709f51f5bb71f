// Greedy decoding with timings, the same code in Node and in the browser's Worker (it imports only
// the browser-safe main entry), so the two are compared token for token and tokens/s for tokens/s.

import { type Model, type Tokenizer, generateIds } from '../../src/index.js';

export interface GreedyRun {
  /** The generated ids (the prompt excluded). */
  ids: number[];
  text: string;
  /** From the call to the first generated token (the prompt's prefill and one step), ms. */
  firstTokenMs: number;
  /** Tokens after the first, per second of decoding (KV cache). */
  decodeTokensPerS: number;
}

/** The prompt's ids as generateText builds them: BOS first where the tokenizer has one. */
export function promptIds(tok: Tokenizer, prompt: string): number[] {
  return [...(tok.bos !== undefined ? [tok.bos] : []), ...(prompt ? tok.encode(prompt) : [])];
}

/** Generates exactly `tokens` tokens greedily (end-of-text does not stop it), timing the first and the rest. */
export function timedGreedy(model: Model, tok: Tokenizer, prompt: string, tokens: number, onFirst?: () => void): GreedyRun {
  const ids: number[] = [];
  const t0 = performance.now();
  let tFirst = t0;
  for (const t of generateIds(model, promptIds(tok, prompt), { temperature: 0, maxTokens: tokens })) {
    ids.push(t.id);
    if (ids.length === 1) {
      tFirst = performance.now();
      onFirst?.();
    }
  }
  const tEnd = performance.now();
  return { ids, text: tok.decode(ids), firstTokenMs: tFirst - t0, decodeTokensPerS: ids.length > 1 ? (ids.length - 1) / ((tEnd - tFirst) / 1000) : NaN };
}
