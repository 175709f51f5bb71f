// Attention patterns, per-head scores (previous token, first token, induction), and where one
// position's information came from (per-head weights and attention rollout).

import type { Model } from '../models/model.js';
import { Rng } from '../ops/index.js';
import { tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { runWithCache } from './cache.js';
import type { Decoder } from './readout.js';

/** [layer][head][query][key], softmax probabilities (keys after the query are 0). */
export type Patterns = number[][][][];

export interface AttentionResult {
  ids: number[];
  tokens?: string[];
  layers: number;
  heads: number;
  patterns: Patterns;
  /** With qkv: [layer][position][head][d_head] (q, k after RoPE; k, v have the key/value heads). */
  q?: number[][][][];
  k?: number[][][][];
  v?: number[][][][];
}

/** (1, T, H, D) -> [T][H][D]. */
function nested4(t: Tensor): number[][][] {
  const [, T, H, D] = t.shape, d = t.floats();
  return Array.from({ length: T }, (_, i) => Array.from({ length: H }, (_, h) => Array.from(d.subarray((i * H + h) * D, (i * H + h + 1) * D))));
}

/** (1, H, T, S) -> [H][T][S]. */
function patternOf(t: Tensor): number[][][] {
  const [, H, T, S] = t.shape, d = t.floats();
  return Array.from({ length: H }, (_, h) => Array.from({ length: T }, (_, i) => Array.from(d.subarray((h * T + i) * S, (h * T + i + 1) * S))));
}

export function attentionPatterns(model: Model, ids: readonly number[], opts: { decode?: Decoder; qkv?: boolean } = {}): AttentionResult {
  const L = model.config.layers;
  return tidy(() => {
    const names: string[] = [];
    for (let l = 0; l < L; l++) {
      names.push(`blocks.${l}.attn.hook_pattern`);
      if (opts.qkv) names.push(`blocks.${l}.attn.hook_q`, `blocks.${l}.attn.hook_k`, `blocks.${l}.attn.hook_v`);
    }
    const { cache } = runWithCache(model, ids, { names });
    const at = (l: number, n: string) => cache.get(`blocks.${l}.attn.${n}`)!;
    const patterns = Array.from({ length: L }, (_, l) => patternOf(at(l, 'hook_pattern')));
    const result: AttentionResult = { ids: [...ids], tokens: opts.decode ? ids.map(opts.decode) : undefined, layers: L, heads: model.config.heads, patterns };
    if (opts.qkv) {
      result.q = Array.from({ length: L }, (_, l) => nested4(at(l, 'hook_q')));
      result.k = Array.from({ length: L }, (_, l) => nested4(at(l, 'hook_k')));
      result.v = Array.from({ length: L }, (_, l) => nested4(at(l, 'hook_v')));
    }
    for (const t of cache.values()) t.dispose();
    return result;
  });
}

export interface HeadScores {
  /** [layer][head]: mean attention from position i to i-1 (i ≥ 1). */
  previousToken: number[][];
  /** [layer][head]: mean attention from position i to position 0 (i ≥ 1). */
  firstToken: number[][];
}

export function headScores(patterns: Patterns): HeadScores {
  const score = (fn: (row: number[], i: number) => number) => patterns.map((layer) => layer.map((head) => {
    let s = 0;
    for (let i = 1; i < head.length; i++) s += fn(head[i], i);
    return head.length > 1 ? s / (head.length - 1) : 0;
  }));
  return { previousToken: score((row, i) => row[i - 1]), firstToken: score((row) => row[0]) };
}

export interface InductionResult {
  /** The sequence used: [bos?] r1..rn r1..rn. */
  ids: number[];
  /** [layer][head]: mean attention from each position i of the second copy to i-n+1 (the token after its earlier copy). */
  scores: number[][];
}

/**
 * Induction scores as in TransformerLens: n random tokens repeated twice (after BOS when the
 * vocabulary has one); an induction head attends from a token's second occurrence to the token
 * that followed its first.
 */
export function inductionScores(model: Model, opts: { n?: number; seed?: number; bos?: number; vocab?: number } = {}): InductionResult {
  const n = opts.n ?? 20;
  const vocab = opts.vocab ?? model.config.vocabSize;
  const rng = new Rng(opts.seed ?? 0);
  const lo = Math.min(3, vocab - 1); // avoid the usual special ids 0-2 when the vocabulary allows
  const r = Array.from({ length: n }, () => lo + rng.int(vocab - lo));
  const prefix = opts.bos === undefined ? [] : [opts.bos];
  const ids = [...prefix, ...r, ...r];
  const off = prefix.length;
  const { patterns } = attentionPatterns(model, ids);
  const scores = patterns.map((layer) => layer.map((head) => {
    let s = 0;
    for (let j = 0; j < n; j++) {
      const q = off + n + j;
      s += head[q][q - n + 1];
    }
    return s / n;
  }));
  return { ids, scores };
}

export interface TokenSources {
  query: number;
  /** [layer][head][key]: the attention weights of the query position. */
  perHead: number[][][];
  /** [key]: attention rollout (Abnar & Zuidema 2020): heads averaged, residual added (0.5·A + 0.5·I), rows renormalised, multiplied through the layers. */
  rollout: number[];
}

/** Where position `query`'s information came from, per layer and head, and through all layers at once. */
export function tokenSources(patterns: Patterns, query: number): TokenSources {
  const T = patterns[0][0].length;
  if (!Number.isInteger(query) || query < 0 || query >= T) throw new Error(`query position ${query} is outside 0..${T - 1}`);
  const perHead = patterns.map((layer) => layer.map((head) => head[query].slice(0, query + 1)));
  // rollout: R = Â_L … Â_1, with Â = 0.5·mean_h(A) + 0.5·I
  let R: Float64Array | null = null;
  for (const layer of patterns) {
    const A = new Float64Array(T * T);
    for (const head of layer) for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) A[i * T + j] += head[i][j] / layer.length;
    for (let i = 0; i < T; i++) {
      let s = 0;
      for (let j = 0; j < T; j++) s += A[i * T + j] = 0.5 * A[i * T + j] + (i === j ? 0.5 : 0);
      for (let j = 0; j < T; j++) A[i * T + j] /= s;
    }
    if (!R) R = A;
    else {
      const next = new Float64Array(T * T); // A · R: the later layer mixes the earlier mixtures
      for (let i = 0; i < T; i++) for (let m = 0; m < T; m++) {
        const a = A[i * T + m];
        if (a !== 0) for (let j = 0; j < T; j++) next[i * T + j] += a * R[m * T + j];
      }
      R = next;
    }
  }
  return { query, perHead, rollout: Array.from(R!.subarray(query * T, query * T + query + 1)) };
}
