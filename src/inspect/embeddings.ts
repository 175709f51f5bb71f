// The model's own vectors: nearest tokens in the embedding matrix, and contextual vectors (one
// word's hidden state at a layer across sentences) compared by cosine and projected by PCA.

import type { Model } from '../models/model.js';
import type { FloatArray } from '../tensor/dtype.js';
import { tidy } from '../tensor/engine.js';
import { runWithCache } from './cache.js';
import { type Decoder, topIndices } from './readout.js';

/** The token embedding matrix (vocab, d_model) as floats (expanded from int8 where only that is kept). */
export function embeddingMatrix(model: Model): FloatArray {
  const name = model.family.tokenEmbedding(model.config);
  const stored = model.params.get(name);
  if (stored) return stored.floats();
  const expanded = model.weight(name);
  const floats = Float32Array.from(expanded.floats());
  expanded.dispose();
  return floats;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

export interface NearestTokens {
  id: number;
  token?: string;
  neighbours: { id: number; token?: string; score: number }[];
}

/** The k tokens whose embedding rows have the highest cosine with token `id`'s (itself excluded). */
export function nearestTokens(model: Model, id: number, k = 10, decode?: Decoder): NearestTokens {
  const E = embeddingMatrix(model), C = model.config.dim, V = model.config.vocabSize;
  if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${id} is outside the vocabulary of ${V}`);
  const q = E.subarray(id * C, (id + 1) * C);
  const scores = new Float64Array(V);
  for (let v = 0; v < V; v++) scores[v] = v === id ? -Infinity : cosine(q, E.subarray(v * C, (v + 1) * C));
  const top = topIndices(scores, k);
  return { id, token: decode?.(id), neighbours: top.map((v) => ({ id: v, token: decode?.(v), score: scores[v] })) };
}

/** The first two principal components of the rows of X (n × d): coordinates (n × 2) and explained variance shares. */
export function pca2(rows: readonly ArrayLike<number>[]): { points: [number, number][]; explained: [number, number] } {
  const n = rows.length, d = rows[0].length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const X = rows.map((r) => Float64Array.from({ length: d }, (_, j) => r[j] - mean[j]));
  const cov = new Float64Array(d * d);
  for (const x of X) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] += (x[i] * x[j]) / Math.max(1, n - 1);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i];
  const comps: Float64Array[] = [], vars: number[] = [];
  for (let c = 0; c < 2; c++) {
    let v = Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919) % 13) / 13); // fixed start: deterministic
    let lambda = 0;
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[i] += cov[i * d + j] * v[j];
      for (const u of comps) { // deflate: stay orthogonal to earlier components
        let p = 0;
        for (let i = 0; i < d; i++) p += w[i] * u[i];
        for (let i = 0; i < d; i++) w[i] -= p * u[i];
      }
      let norm = 0;
      for (let i = 0; i < d; i++) norm += w[i] * w[i];
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      lambda = norm;
      v = w.map((x) => x / norm);
    }
    comps.push(v);
    vars.push(lambda);
  }
  const points = X.map((x) => comps.map((u) => x.reduce((s, xi, i) => s + xi * u[i], 0)) as [number, number]);
  return { points, explained: [trace > 0 ? vars[0] / trace : 0, trace > 0 ? vars[1] / trace : 0] };
}

export interface ContextualVectors {
  word: string;
  layer: number;
  /** The hook read: blocks.{layer}.hook_resid_post (or hook_embed for layer −1). */
  hook: string;
  sentences: string[];
  /** The token position used in each sentence (the last token of the word's first occurrence). */
  positions: number[];
  /** [i][j] cosine similarity of the word's vectors in sentences i and j. */
  similarity: number[][];
  /** 2-D PCA projection of the vectors. */
  points: [number, number][];
  explained: [number, number];
}

/**
 * The hidden state of `word` at `layer` in each sentence. `encode` turns text into ids (BOS
 * included if the model wants one); the word's position is the last token of the sentence's
 * prefix up to the end of the word's first occurrence.
 */
export function contextualVectors(model: Model, sentences: readonly string[], word: string, layer: number,
  encode: (text: string) => number[]): ContextualVectors {
  const L = model.config.layers;
  if (!Number.isInteger(layer) || layer < -1 || layer >= L) throw new Error(`layer ${layer} is outside -1..${L - 1} (-1 = the embeddings)`);
  if (sentences.length < 2) throw new Error('give at least two sentences');
  if (!word.trim()) throw new Error('the word is empty: give a word that occurs in every sentence');
  const hook = layer < 0 ? 'hook_embed' : `blocks.${layer}.hook_resid_post`;
  const vectors: Float32Array[] = [], positions: number[] = [];
  for (const s of sentences) {
    const ids = encode(s);
    const start = s.toLowerCase().indexOf(word.toLowerCase());
    if (start < 0) throw new Error(`'${word}' does not occur in the sentence '${s}'`);
    // the last token of the text up to the end of the word (tokenizing the prefix alone)
    const pos = Math.min(ids.length - 1, encode(s.slice(0, start + word.length)).length - 1);
    positions.push(pos);
    tidy(() => {
      const { cache } = runWithCache(model, ids, { names: [hook] });
      const t = cache.get(hook)!, C = model.config.dim;
      vectors.push(Float32Array.from(t.floats().subarray(pos * C, (pos + 1) * C)));
      t.dispose();
    });
  }
  const similarity = vectors.map((a) => vectors.map((b) => cosine(a, b)));
  const { points, explained } = pca2(vectors);
  return { word, layer, hook, sentences: [...sentences], positions, similarity, points, explained };
}
