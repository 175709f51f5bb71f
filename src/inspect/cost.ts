// What a prompt costs in attention: how full the context window is, and how the work of the
// query-key products grows with the prompt's length (causal attention: position i scores i+1 keys,
// so a T-token prompt makes T·(T+1)/2 products per head per layer, about T²/2).

import type { ModelConfig } from '../models/config.js';
import { familyOf } from '../models/families/index.js';

export interface AttentionCostPoint {
  tokens: number;
  /** Query-key dot products per layer (all heads) for a prompt of this many tokens. */
  qkProductsPerLayer: number;
  /** Multiply-adds of those products per layer (× d_head). */
  qkMultiplyAddsPerLayer: number;
  /** Bytes of the KV cache at this length (float32 keys and values, every layer). */
  kvCacheBytes: number;
}

export interface AttentionCost {
  tokens: number;
  contextLength: number;
  /** tokens / contextLength. */
  fill: number;
  /** Tokens left for generation before the window is full. */
  remaining: number;
  layers: number;
  heads: number;
  headDim: number;
  /** The cost at this prompt's length. */
  now: AttentionCostPoint;
  /** The cost at lengths 1 … contextLength (at most `points` of them, evenly spaced, the ends included). */
  curve: AttentionCostPoint[];
  /** What happens at the limit, in words. */
  atLimit: string;
}

function pointAt(c: ModelConfig, T: number): AttentionCostPoint {
  const { heads: H, kvHeads: KV, headDim: D } = familyOf(c).attention(c);
  const products = (H * T * (T + 1)) / 2;
  return { tokens: T, qkProductsPerLayer: products, qkMultiplyAddsPerLayer: products * D, kvCacheBytes: 2 * c.layers * KV * D * T * 4 };
}

export function attentionCost(config: ModelConfig, tokens: number, points = 64): AttentionCost {
  if (!Number.isInteger(tokens) || tokens < 0) throw new Error(`tokens must be a whole number ≥ 0, got ${tokens}`);
  const N = config.contextLength;
  const lengths = new Set<number>();
  const n = Math.max(2, Math.min(points, N));
  for (let i = 0; i < n; i++) lengths.add(Math.max(1, Math.round(1 + (i * (N - 1)) / (n - 1))));
  return {
    tokens, contextLength: N, fill: tokens / N, remaining: Math.max(0, N - tokens),
    layers: config.layers, heads: config.heads, headDim: familyOf(config).attention(config).headDim,
    now: pointAt(config, tokens),
    curve: [...lengths].sort((a, b) => a - b).map((T) => pointAt(config, T)),
    atLimit: `the model has learned positions 0..${N - 1} only: generation stops when the window is full, or the prompt's oldest tokens are cut (truncation) so that the newest ${N - 1} still fit`,
  };
}
