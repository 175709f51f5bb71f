// What a request may do to one row of next-token logits before a token is drawn (OpenAI's
// parameters): logit_bias, presence and frequency penalties; and the log-probabilities reported
// back (top_logprobs).

import { topKIds } from './sampler.js';

export interface LogitAdjustments {
  /** Added to the logit of each listed id (OpenAI: -100 … 100). */
  logitBias?: ReadonlyMap<number, number>;
  /** Subtracted once from every id generated so far. */
  presencePenalty?: number;
  /** Subtracted once per time an id was generated so far. */
  frequencyPenalty?: number;
}

/** True when adjust() would change anything. */
export function adjusts(a: LogitAdjustments): boolean {
  return (a.logitBias?.size ?? 0) > 0 || !!a.presencePenalty || !!a.frequencyPenalty;
}

/**
 * logits[id] += bias[id] − presence·[count[id] > 0] − frequency·count[id], in place (OpenAI's
 * formula). counts: how often each id has been generated in this completion (not the prompt).
 */
export function adjustLogits(logits: Float32Array, a: LogitAdjustments, counts: ReadonlyMap<number, number>): void {
  for (const [id, b] of a.logitBias ?? []) if (id >= 0 && id < logits.length) logits[id] += b;
  const presence = a.presencePenalty ?? 0, frequency = a.frequencyPenalty ?? 0;
  if (presence === 0 && frequency === 0) return;
  for (const [id, n] of counts) logits[id] -= presence * (n > 0 ? 1 : 0) + frequency * n;
}

/** log_softmax of one row of logits (vocab), in float64 sums. */
export function logSoftmaxRow(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - max);
  const lz = max + Math.log(z);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lz;
  return out;
}

export interface TokenLogprob {
  id: number;
  logprob: number;
}

/** The k most likely ids of a log-probability row, best first. */
export function topLogprobs(logprobs: Float32Array, k: number): TokenLogprob[] {
  if (k <= 0) return [];
  return Array.from(topKIds(logprobs, Math.min(k, logprobs.length)), (id) => ({ id, logprob: logprobs[id] }));
}
