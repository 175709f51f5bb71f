// The query/key/value story of one attention head at one query position, in numbers: the query
// vector, each key's score q·k/√d, the softmax of the scores, and the weighted sum of the values
// (the head's output before the output projection, hook_z).
//
//   score_j = q · k_j / √d      (j = 0 … query: causal)
//   w = softmax(score)          (equal to the head's attention pattern row)
//   z = Σ_j w_j · v_j

import type { AttentionResult } from './attention.js';

export interface QueryKeyValues {
  layer: number;
  head: number;
  /** The key/value head this query head reads (heads share them in grouped-query attention). */
  kvHead: number;
  query: number;
  /** q (d_head), after RoPE where the model has it. */
  q: number[];
  /** k_j and v_j for j = 0 … query. */
  keys: number[][];
  values: number[][];
  /** q · k_j / √d. */
  scores: number[];
  /** softmax(scores). */
  weights: number[];
  /** Σ_j weights_j · v_j (d_head). */
  output: number[];
  scale: number;
}

/**
 * Reads the numbers from an attentionPatterns(…, { qkv: true }) result. `scale` defaults to
 * 1/√d_head, the scaling every supported family uses.
 */
export function queryKeyValues(attn: AttentionResult, layer: number, head: number, query: number, scale?: number): QueryKeyValues {
  if (!attn.q || !attn.k || !attn.v) throw new Error('queryKeyValues needs an attention result computed with { qkv: true }');
  const T = attn.ids.length, H = attn.heads;
  if (!Number.isInteger(layer) || layer < 0 || layer >= attn.layers) throw new Error(`layer ${layer} is outside 0..${attn.layers - 1}`);
  if (!Number.isInteger(head) || head < 0 || head >= H) throw new Error(`head ${head} is outside 0..${H - 1}`);
  if (!Number.isInteger(query) || query < 0 || query >= T) throw new Error(`query position ${query} is outside 0..${T - 1}`);
  const KV = attn.k[layer][0].length;
  const kvHead = Math.floor(head / (H / KV));
  const q = attn.q[layer][query][head];
  const D = q.length, s = scale ?? 1 / Math.sqrt(D);
  const keys: number[][] = [], values: number[][] = [], scores: number[] = [];
  for (let j = 0; j <= query; j++) {
    const k = attn.k[layer][j][kvHead];
    keys.push(k);
    values.push(attn.v[layer][j][kvHead]);
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[d] * k[d];
    scores.push(dot * s);
  }
  const m = Math.max(...scores);
  const e = scores.map((x) => Math.exp(x - m));
  const sum = e.reduce((a, b) => a + b, 0);
  const weights = e.map((x) => x / sum);
  const output = new Array<number>(D).fill(0);
  for (let j = 0; j <= query; j++) for (let d = 0; d < D; d++) output[d] += weights[j] * values[j][d];
  return { layer, head, kvHead, query, q: [...q], keys, values, scores, weights, output, scale: s };
}
