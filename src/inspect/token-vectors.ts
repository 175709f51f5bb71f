// Questions to the model's own token embeddings: analogies (a − b + c, as in word2vec's 3CosAdd),
// a 2-D PCA projection of chosen tokens, and how one word's hidden state in two sentences drifts
// apart layer by layer (a river bank, a bank loan).

import type { Model } from '../models/model.js';
import { contextualVectors, cosine, embeddingMatrix, pca2 } from './embeddings.js';
import { type Decoder, topIndices } from './readout.js';

export interface TokenAnalogy {
  a: number;
  b: number;
  c: number;
  tokens?: [string, string, string];
  /** The tokens nearest (cosine) to E[a] − E[b] + E[c], a, b and c excluded. */
  neighbours: { id: number; token?: string; score: number }[];
}

/** Nearest rows of E (V × C) by cosine to E[a] − E[b] + E[c], a, b and c excluded. */
export function analogyInMatrix(E: ArrayLike<number>, C: number, a: number, b: number, c: number, k: number): { id: number; score: number }[] {
  const V = E.length / C;
  for (const id of [a, b, c]) if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${id} is outside the vocabulary of ${V}`);
  const q = new Float64Array(C);
  for (let i = 0; i < C; i++) q[i] = E[a * C + i] - E[b * C + i] + E[c * C + i];
  const scores = new Float64Array(V);
  const row = new Float64Array(C);
  for (let v = 0; v < V; v++) {
    if (v === a || v === b || v === c) { scores[v] = -Infinity; continue; }
    for (let i = 0; i < C; i++) row[i] = E[v * C + i];
    scores[v] = cosine(q, row);
  }
  return topIndices(scores, Math.min(k, V - 3)).map((id) => ({ id, score: scores[id] }));
}

export function tokenAnalogy(model: Model, a: number, b: number, c: number, k = 10, decode?: Decoder): TokenAnalogy {
  const found = analogyInMatrix(embeddingMatrix(model), model.config.dim, a, b, c, k);
  return {
    a, b, c, tokens: decode ? [decode(a), decode(b), decode(c)] : undefined,
    neighbours: found.map((n) => ({ ...n, token: decode?.(n.id) })),
  };
}

export interface TokenProjection {
  ids: number[];
  tokens?: string[];
  /** PCA coordinates of each token's embedding row. */
  points: [number, number][];
  /** Share of the variance along each axis. */
  explained: [number, number];
}

/** The embedding rows of `ids` projected onto their first two principal components. */
export function tokenProjection(model: Model, ids: readonly number[], decode?: Decoder): TokenProjection {
  if (ids.length < 2) throw new Error('give at least two tokens to project');
  const E = embeddingMatrix(model), C = model.config.dim, V = model.config.vocabSize;
  const rows = ids.map((id) => {
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${id} is outside the vocabulary of ${V}`);
    return E.subarray(id * C, (id + 1) * C);
  });
  const { points, explained } = pca2(rows);
  return { ids: [...ids], tokens: decode ? ids.map(decode) : undefined, points, explained };
}

export interface ContextualDrift {
  word: string;
  sentences: string[];
  /** Layers -1 (the embeddings) … L−1. */
  layers: number[];
  /** cosine of the word's vectors in the first two sentences, at each layer. */
  similarity: number[];
  /** The token position used in each sentence. */
  positions: number[];
}

/** One word in two (or more) sentences: the cosine of its hidden states, layer by layer (first two sentences). */
export function contextualDrift(model: Model, sentences: readonly string[], word: string, encode: (text: string) => number[]): ContextualDrift {
  const layers = Array.from({ length: model.config.layers + 1 }, (_, i) => i - 1);
  const runs = layers.map((l) => contextualVectors(model, sentences, word, l, encode));
  return { word, sentences: [...sentences], layers, similarity: runs.map((r) => r.similarity[0][1]), positions: runs[0].positions };
}
