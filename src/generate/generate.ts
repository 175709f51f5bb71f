// Generation: prefill the prompt once, then one token at a time through the KV cache.

import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import { StreamDecoder } from '../tokenizer/stream-decode.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { type SampledToken, Sampler, type SamplingOptions } from './sampler.js';

export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens to produce. Default 128. */
  maxTokens?: number;
  /** Stop after any of these token ids is produced (it is included in the output). */
  stopIds?: readonly number[];
  /** When the prompt does not fit the context window: error (default) or keep its last tokens. */
  truncate?: boolean;
}

export type StopReason = 'max_tokens' | 'stop_token' | 'stop_string' | 'context_full';

export interface GeneratedToken extends SampledToken {
  /** Position of the token in the whole sequence. */
  position: number;
}

/** Makes the prompt fit the context window, leaving room for at least one new token. */
export function fitPrompt(promptIds: readonly number[], contextLength: number, truncate: boolean): number[] {
  if (promptIds.length === 0) throw new Error('the prompt is empty: give at least one token (for example the BOS token)');
  if (promptIds.length < contextLength) return [...promptIds];
  if (!truncate) {
    throw new Error(`the prompt is ${promptIds.length} tokens; the context window is ${contextLength} tokens (leave room to generate, or ask for truncation)`);
  }
  return promptIds.slice(promptIds.length - (contextLength - 1));
}

/**
 * Yields new tokens one at a time. Stops at maxTokens, a stop id, or a full context window;
 * the return value says which.
 */
export function* generateIds(model: Model, promptIds: readonly number[], opts: GenerateOptions = {}): Generator<GeneratedToken, StopReason> {
  const maxTokens = opts.maxTokens ?? 128;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) throw new Error(`max tokens must be a whole number ≥ 0, got ${maxTokens}`);
  const ids = fitPrompt(promptIds, model.contextLength, opts.truncate ?? false);
  const bad = ids.find((id) => !(id >= 0 && id < model.config.vocabSize));
  if (bad !== undefined) throw new Error(`token id ${bad} is outside the model's vocabulary of ${model.config.vocabSize}`);
  const sampler = new Sampler(opts);
  const stop = new Set(opts.stopIds ?? []);
  const cache = model.createKVCache(1);
  try {
    let input = ids;
    for (let produced = 0; produced < maxTokens; produced++) {
      // the new token sits at position cache.length + input.length, which must be inside the window
      if (cache.length + input.length >= model.contextLength) return 'context_full';
      // one token: the decode step (one wasm call, no tensors) where it runs; else the general forward
      const step = input.length === 1 ? model.decodeStep(cache) : null;
      if (step) step.run(input[0]);
      const token = step ? sampler.sample(step.logits, step.logProbs) : noGrad(() => tidy(() => {
        const logits = model.forward(op.tensor(Int32Array.from(input), [1, input.length]), { kvCache: cache, lastPositionOnly: true }).logits;
        return sampler.sample(logits.data(), op.logSoftmax(logits).data()); // (1, 1, vocab)
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
}

export interface TextGenerateResult {
  promptIds: number[];
  tokens: GeneratedToken[];
  text: string;
  stopReason: StopReason;
}

/** Generates text from a prompt, streaming each piece of text to onText as it completes. */
export function generateText(model: Model, tokenizer: Tokenizer, prompt: string, opts: TextGenerateOptions = {}, onText?: (e: TextEvent) => void): TextGenerateResult {
  const addBos = opts.addBos ?? tokenizer.bos !== undefined;
  const promptIds = [...(addBos && tokenizer.bos !== undefined ? [tokenizer.bos] : []), ...(prompt ? tokenizer.encode(prompt) : [])];
  const stopIds = [...(opts.stopIds ?? [])];
  if ((opts.stopAtEos ?? true) && tokenizer.eos !== undefined) stopIds.push(tokenizer.eos);
  const decoder = new StreamDecoder(tokenizer);
  // decoding depends on the previous token (llama2.c drops the space after BOS): start from the prompt's last
  if (promptIds.length > 0) decoder.push(promptIds[promptIds.length - 1]);
  const stops = (opts.stop ?? []).filter((s) => s.length > 0);
  const tokens: GeneratedToken[] = [];
  let text = '';
  let emitted = 0; // characters of text already passed to onText
  const gen = generateIds(model, promptIds, { ...opts, stopIds });
  let stopReason: StopReason = 'max_tokens';
  for (;;) {
    const next = gen.next();
    if (next.done) {
      stopReason = next.value;
      break;
    }
    const t = next.value;
    tokens.push(t);
    if (stopIds.includes(t.id) && t.id === tokenizer.eos) continue; // end-of-text is not shown
    text += decoder.push(t.id);
    const hit = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    if (hit.length > 0) {
      text = text.slice(0, Math.min(...hit));
      stopReason = 'stop_string';
      gen.return('stop_string');
    }
    // hold back text that could be the start of a stop string
    const hold = stopReason === 'stop_string' ? 0 : longestStopPrefix(text, stops);
    const ready = text.length - hold;
    if (ready > emitted) {
      onText?.({ ...t, text: text.slice(emitted, ready) });
      emitted = ready;
    }
    if (stopReason === 'stop_string') break;
  }
  if (stopReason !== 'stop_string') text += decoder.flush();
  if (text.length > emitted && tokens.length > 0) onText?.({ ...tokens[tokens.length - 1], text: text.slice(emitted) });
  return { promptIds, tokens, text, stopReason };
}

/** Length of the longest suffix of text that is a proper prefix of some stop string. */
function longestStopPrefix(text: string, stops: readonly string[]): number {
  let best = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
      if (text.endsWith(s.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}
