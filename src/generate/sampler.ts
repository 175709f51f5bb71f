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

/**
 * The k best ids by logit (ties: the lower id), best first: a min-heap of k over one pass, so
 * top-k over a 50K vocabulary costs O(V log k), not a sort.
 */
export function topKIds(logits: ArrayLike<number>, k: number): Int32Array {
  const better = (a: number, b: number) => logits[a] > logits[b] || (logits[a] === logits[b] && a < b);
  const heap = new Int32Array(k); // heap[0] is the worst of the kept ids
  let size = 0;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let w = i;
      if (l < size && better(heap[w], heap[l])) w = l;
      if (r < size && better(heap[w], heap[r])) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  for (let id = 0; id < logits.length; id++) {
    if (size < k) {
      let i = size++;
      heap[i] = id;
      while (i > 0 && better(heap[(i - 1) >> 1], heap[i])) { // sift the new (worse) id up
        const p = (i - 1) >> 1;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    } else if (better(id, heap[0])) {
      heap[0] = id;
      down(0);
    }
  }
  return heap.slice(0, size).sort((a, b) => (better(a, b) ? -1 : 1));
}

/**
 * The shortest most-likely prefix of `ids` (or of all ids, by weight w ≥ 0) holding ≥ topP of their weight.
 * Without ids, only the ids above a weight threshold are sorted: the threshold falls until those
 * above it hold at least topP of the total, so they contain the nucleus.
 */
export function nucleusIds(w: ArrayLike<number>, topP: number, ids: ArrayLike<number> | null = null): number[] {
  let sorted: number[];
  let total = 0;
  if (ids) {
    sorted = Array.from(ids);
    for (const id of sorted) total += w[id];
  } else {
    let threshold = 0;
    for (let i = 0; i < w.length; i++) {
      total += w[i];
      if (w[i] > threshold) threshold = w[i];
    }
    let above: number[] = [];
    for (;;) {
      threshold /= 16;
      above = [];
      let sum = 0;
      for (let i = 0; i < w.length; i++) if (w[i] > threshold) { above.push(i); sum += w[i]; }
      if (sum >= topP * total || threshold < 1e-300) break;
    }
    sorted = above.sort((a, b) => w[b] - w[a] || a - b);
  }
  let cum = 0;
  for (let i = 0; i < sorted.length; i++) {
    cum += w[sorted[i]];
    if (cum >= topP * total) return sorted.slice(0, i + 1);
  }
  return sorted;
}

export class Sampler {
  private readonly rng: Rng;
  private readonly temperature: number;
  private readonly topK: number;
  private readonly topP: number;
  /** exp((logit - max) / temperature) for every id (reused between calls). */
  private weights = new Float64Array(0);

  constructor(opts: SamplingOptions = {}) {
    checkSamplingOptions(opts);
    this.temperature = opts.temperature ?? 1;
    this.topK = opts.topK ?? 0;
    this.topP = opts.topP ?? 1;
    this.rng = new Rng(opts.seed ?? Date.now() & 0x7fffffff);
  }

  /**
   * Picks a token from one row of logits (vocab). Temperature scales the logits; top-k keeps the k
   * most likely; top-p then keeps the smallest most-likely set whose share of what remains is ≥ p
   * (Hugging Face's order of warpers). The draw walks the kept ids from the most likely down (all
   * ids in id order when nothing is cut). logProbs, when given, are log_softmax(logits) already
   * computed (by the backend's kernel: the reported probabilities then cost no pass here).
   * withProb false: the caller does not read `prob` (NaN then), which saves a pass over the logits.
   */
  sample(logits: ArrayLike<number>, logProbs?: ArrayLike<number>, withProb = true): SampledToken {
    const V = logits.length;
    if (logProbs && logProbs.length !== V) throw new Error(`sample: ${logProbs.length} log-probabilities for ${V} logits`);
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    const max = logits[best];
    let z = withProb ? 0 : NaN; // Σ exp(logit - max): the model's own probabilities are exp(l - max) / z
    if (!logProbs && withProb) for (let i = 0; i < V; i++) z += Math.exp(logits[i] - max);
    const prob = logProbs ? (id: number) => Math.exp(logProbs[id]) : (id: number) => Math.exp(logits[id] - max) / z;
    if (this.temperature === 0) return { id: best, prob: prob(best) };

    if (this.weights.length !== V) this.weights = new Float64Array(V);
    const w = this.weights;
    const t = this.temperature;
    for (let i = 0; i < V; i++) w[i] = Math.exp((logits[i] - max) / t);
    let kept: ArrayLike<number> | null = null; // candidate ids, most likely first; null: all, in id order
    if (this.topK > 0 && this.topK < V) kept = topKIds(logits, this.topK);
    if (this.topP < 1) kept = nucleusIds(w, this.topP, kept);
    const n = kept ? kept.length : V;
    const at = kept ? (i: number) => kept![i] : (i: number) => i;
    let total = 0;
    for (let i = 0; i < n; i++) total += w[at(i)];
    let r = this.rng.next() * total;
    for (let i = 0; i < n; i++) {
      r -= w[at(i)];
      if (r <= 0) return { id: at(i), prob: prob(at(i)) };
    }
    return { id: at(n - 1), prob: prob(at(n - 1)) };
  }
}
