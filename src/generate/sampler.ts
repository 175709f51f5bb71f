// Choosing the next token from logits: greedy, temperature, top-k, top-p (nucleus), seeded.

import { Rng } from '../ops/random.js';

export interface SamplingOptions {
  /** 0 = greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability adds up to at least p (1 = all). */
  topP?: number;
  /** Seed for reproducible sampling. */
  seed?: number;
}

export interface SampledToken {
  id: number;
  /** The model's own probability of this token (softmax of the raw logits, temperature 1). */
  prob: number;
}

export function checkSamplingOptions(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) throw new Error(`temperature must be a number ≥ 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw new Error(`top-k must be a whole number ≥ 0, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new Error(`top-p must be in (0, 1], got ${o.topP}`);
}

/** softmax(logits / temperature) into probs (same length); returns nothing. */
function softmaxInto(logits: ArrayLike<number>, temperature: number, probs: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += probs[i] = Math.exp((logits[i] - max) / temperature);
  for (let i = 0; i < logits.length; i++) probs[i] /= sum;
}

export class Sampler {
  private readonly rng: Rng;
  private readonly temperature: number;
  private readonly topK: number;
  private readonly topP: number;
  private probs = new Float64Array(0);
  private raw = new Float64Array(0);
  private order = new Int32Array(0);

  constructor(opts: SamplingOptions = {}) {
    checkSamplingOptions(opts);
    this.temperature = opts.temperature ?? 1;
    this.topK = opts.topK ?? 0;
    this.topP = opts.topP ?? 1;
    this.rng = new Rng(opts.seed ?? Date.now() & 0x7fffffff);
  }

  /** Picks a token from one row of logits (vocab). */
  sample(logits: ArrayLike<number>): SampledToken {
    const V = logits.length;
    if (this.raw.length !== V) {
      this.raw = new Float64Array(V);
      this.probs = new Float64Array(V);
      this.order = new Int32Array(V);
    }
    softmaxInto(logits, 1, this.raw);
    if (this.temperature === 0) {
      let best = 0;
      for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
      return { id: best, prob: this.raw[best] };
    }
    softmaxInto(logits, this.temperature, this.probs);
    const p = this.probs;
    // candidates by descending probability, cut by top-k then top-p
    let n = V;
    const order = this.order;
    for (let i = 0; i < V; i++) order[i] = i;
    if (this.topK > 0 || this.topP < 1) {
      const sorted = Array.from(order).sort((a, b) => p[b] - p[a] || a - b);
      order.set(sorted);
      if (this.topK > 0) n = Math.min(n, this.topK);
      if (this.topP < 1) {
        let cum = 0;
        for (let i = 0; i < n; i++) {
          cum += p[order[i]];
          if (cum >= this.topP) {
            n = i + 1;
            break;
          }
        }
      }
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += p[order[i]];
    let r = this.rng.next() * total;
    for (let i = 0; i < n; i++) {
      r -= p[order[i]];
      if (r <= 0) return { id: order[i], prob: this.raw[order[i]] };
    }
    return { id: order[n - 1], prob: this.raw[order[n - 1]] };
  }
}
