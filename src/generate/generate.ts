// Generation: prefill the prompt once, then one token at a time through the KV cache.

import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { type SampledToken, Sampler, type SamplingOptions, topKIds } from './sampler.js';
import { TextStream } from './text-stream.js';

export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens to produce. Default 128. */
  maxTokens?: number;
  /** Stop after any of these token ids is produced (it is included in the output). */
  stopIds?: readonly number[];
  /** When the prompt does not fit the context window: error (default) or keep its last tokens. */
  truncate?: boolean;
  /** Also report the this-many most likely tokens at each step (the alternatives the model weighed). Default 0. */
  alternatives?: number;
}

export type StopReason = 'max_tokens' | 'stop_token' | 'stop_string' | 'context_full';

export interface GeneratedToken extends SampledToken {
  /** Position of the token in the whole sequence. */
  position: number;
  /** With opts.alternatives: the most likely ids at this step and their probabilities (temperature 1), best first. */
  alternatives?: { id: number; prob: number }[];
}

/** Stops generation when the model produced a NaN or an infinite logit (nothing sampled from it would mean anything). */
function checkLogitsFinite(logits: ArrayLike<number>, position: number): void {
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    if (x - x !== 0) {
      throw new Error(`the model produced a non-finite logit (${x} for token ${i}) at position ${position}: its weights or config overflow (check the model file)`);
    }
  }
}

/** The sampled token with the k most likely ids of its step (none when k is 0). logProbs: (vocab). */
function withAlternatives(sampled: SampledToken, logProbs: ArrayLike<number>, k: number): SampledToken & Pick<GeneratedToken, 'alternatives'> {
  if (!k) return sampled;
  return { ...sampled, alternatives: Array.from(topKIds(logProbs, k), (id) => ({ id, prob: Math.exp(logProbs[id]) })) };
}

/**
 * Makes the prompt fit the context window. Without truncation, a prompt that leaves no room for
 * one new token is an error. With it, the prompt keeps its last contextLength − room tokens, so
 * `room` new tokens (maxTokens) fit after it; a room that fills the whole window is an error.
 */
export function fitPrompt(promptIds: readonly number[], contextLength: number, truncate: boolean, room = 1): number[] {
  if (promptIds.length === 0) throw new Error('the prompt is empty: give at least one token (for example the BOS token)');
  if (!truncate) {
    if (promptIds.length < contextLength) return [...promptIds];
    throw new Error(`the prompt is ${promptIds.length} tokens; the context window is ${contextLength} tokens (leave room to generate, or ask for truncation)`);
  }
  const keep = contextLength - Math.max(1, room);
  if (keep < 1) throw new Error(`asking for ${room} new tokens leaves no room for the prompt in the ${contextLength}-token context window: ask for fewer (max tokens < ${contextLength})`);
  return promptIds.length <= keep ? [...promptIds] : promptIds.slice(promptIds.length - keep);
}

/**
 * Yields new tokens one at a time. Stops at maxTokens, a stop id, or a full context window;
 * the return value says which.
 */
export function* generateIds(model: Model, promptIds: readonly number[], opts: GenerateOptions = {}): Generator<GeneratedToken, StopReason> {
  const maxTokens = opts.maxTokens ?? 128;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) throw new Error(`max tokens must be a whole number ≥ 0, got ${maxTokens}`);
  const ids = fitPrompt(promptIds, model.contextLength, opts.truncate ?? false, maxTokens);
  const bad = ids.find((id) => !(id >= 0 && id < model.config.vocabSize));
  if (bad !== undefined) throw new Error(`token id ${bad} is outside the model's vocabulary of ${model.config.vocabSize}`);
  const sampler = new Sampler(opts);
  const alternatives = opts.alternatives ?? 0;
  if (!(Number.isInteger(alternatives) && alternatives >= 0)) throw new Error(`alternatives must be a whole number ≥ 0, got ${alternatives}`);
  const stop = new Set(opts.stopIds ?? []);
  const cache = model.createKVCache(1, ids.length + maxTokens); // only the positions this run can reach
  try {
    let input = ids;
    for (let produced = 0; produced < maxTokens; produced++) {
      // the new token sits at position cache.length + input.length, which must be inside the window
      if (cache.length + input.length >= model.contextLength) return 'context_full';
      // one token: the decode step (one wasm call, no tensors) where it runs; else the general forward
      const step = input.length === 1 ? model.plainStep(cache) : null;
      if (step) {
        step.run(input[0]);
        checkLogitsFinite(step.logits, cache.length);
      }
      const token = step ? withAlternatives(sampler.sample(step.logits, step.logProbs), step.logProbs, alternatives) : noGrad(() => tidy(() => {
        const logits = model.forward(op.tensor(Int32Array.from(input), [1, input.length]), { kvCache: cache, lastPositionOnly: true }).logits;
        const raw = logits.data(); // (1, 1, vocab)
        checkLogitsFinite(raw, cache.length);
        const logProbs = op.logSoftmax(logits).data();
        return withAlternatives(sampler.sample(raw, logProbs), logProbs, alternatives);
      }));
      yield { ...token, position: cache.length };
      if (stop.has(token.id)) return 'stop_token';
      input = [token.id];
    }
    return 'max_tokens';
  } finally {
    cache.dispose();
  }
}

export interface TextEvent extends GeneratedToken {
  /** Text completed by this token (may be '' while a UTF-8 character is unfinished). */
  text: string;
}

export interface TextGenerateOptions extends GenerateOptions {
  /** Stop when the generated text contains any of these strings (the text is cut before it). */
  stop?: readonly string[];
  /** Stop at the tokenizer's end-of-text token. Default true. */
  stopAtEos?: boolean;
  /** Put the tokenizer's BOS token before the prompt (llama2.c-style models). Default: when it has one. */
  addBos?: boolean;
  /** Encode special-token text in the prompt (<|endoftext|>) as those tokens; default: such text is an error. */
  allowSpecial?: boolean;
}

export interface TextGenerateResult {
  promptIds: number[];
  tokens: GeneratedToken[];
  text: string;
  stopReason: StopReason;
}

/** Generates text from a prompt, streaming each piece of text to onText as it completes. */
export function generateText(model: Model, tokenizer: Tokenizer, prompt: string, opts: TextGenerateOptions = {}, onText?: (e: TextEvent) => void): TextGenerateResult {
  const steps = textSteps(model, tokenizer, prompt, opts);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    onText?.(next.value);
  }
}

/**
 * generateText one piece at a time: yields each piece of text as it completes and returns the
 * result. A caller that must stay responsive (a page's worker, a server) can pause between pieces,
 * or stop early with `.return()`.
 */
export function* textSteps(model: Model, tokenizer: Tokenizer, prompt: string, opts: TextGenerateOptions = {}): Generator<TextEvent, TextGenerateResult> {
  const addBos = opts.addBos ?? tokenizer.bos !== undefined;
  const encoded = [...(addBos && tokenizer.bos !== undefined ? [tokenizer.bos] : []), ...(prompt ? tokenizer.encode(prompt, { allowedSpecial: opts.allowSpecial ? 'all' : 'none' }) : [])];
  // the ids the model actually sees (the tail of the prompt when it is truncated)
  const promptIds = fitPrompt(encoded, model.contextLength, opts.truncate ?? false, opts.maxTokens ?? 128);
  const stopIds = [...(opts.stopIds ?? [])];
  const stopAtEos = (opts.stopAtEos ?? true) && tokenizer.eos !== undefined;
  if (stopAtEos) stopIds.push(tokenizer.eos!);
  // end-of-text is not shown; decoding starts from the prompt's last id
  const stream = new TextStream(tokenizer, opts.stop ?? [], promptIds.at(-1), new Set(stopAtEos ? [tokenizer.eos!] : []));
  const tokens: GeneratedToken[] = [];
  const gen = generateIds(model, promptIds, { ...opts, stopIds });
  let stopReason: StopReason = 'max_tokens';
  try {
    for (;;) {
      const next = gen.next();
      if (next.done) {
        stopReason = next.value;
        break;
      }
      const t = next.value;
      tokens.push(t);
      const piece = stream.push(t.id);
      if (piece) yield { ...t, text: piece };
      if (stream.stopped) {
        stopReason = 'stop_string';
        break;
      }
    }
  } finally {
    gen.return('max_tokens'); // frees the KV cache when the caller stops early (a no-op once done)
  }
  const rest = stream.finish();
  if (rest && tokens.length > 0) yield { ...tokens[tokens.length - 1], text: rest };
  return { promptIds, tokens, text: stream.text, stopReason };
}

