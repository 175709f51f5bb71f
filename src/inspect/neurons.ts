// MLP neurons (blocks.{l}.mlp.hook_post): the most active ones at a position, and one neuron's
// top-activating contexts over a corpus.

import type { Model } from '../models/model.js';
import { tidy } from '../tensor/engine.js';
import { runWithCache } from './cache.js';
import type { Decoder } from './readout.js';

export interface NeuronActivation {
  layer: number;
  neuron: number;
  value: number;
}

export interface TopNeuronsResult {
  ids: number[];
  tokens?: string[];
  position: number;
  /** Largest activations first, over all layers (or the chosen one). */
  neurons: NeuronActivation[];
}

export function topNeurons(model: Model, ids: readonly number[], opts: { position?: number; layer?: number; k?: number; decode?: Decoder } = {}): TopNeuronsResult {
  const T = ids.length, pos = opts.position ?? T - 1, L = model.config.layers;
  if (!Number.isInteger(pos) || pos < 0 || pos >= T) throw new Error(`position ${pos} is outside 0..${T - 1}`);
  if (opts.layer !== undefined && (opts.layer < 0 || opts.layer >= L)) throw new Error(`layer ${opts.layer} is outside 0..${L - 1}`);
  const layers = opts.layer === undefined ? Array.from({ length: L }, (_, l) => l) : [opts.layer];
  return tidy(() => {
    const { cache } = runWithCache(model, ids, { names: layers.map((l) => `blocks.${l}.mlp.hook_post`) });
    const all: NeuronActivation[] = [];
    for (const l of layers) {
      const t = cache.get(`blocks.${l}.mlp.hook_post`)!;
      const N = t.shape[2], d = t.floats().subarray(pos * N, (pos + 1) * N);
      for (let n = 0; n < N; n++) all.push({ layer: l, neuron: n, value: d[n] });
    }
    for (const t of cache.values()) t.dispose();
    all.sort((a, b) => b.value - a.value);
    return { ids: [...ids], tokens: opts.decode ? ids.map(opts.decode) : undefined, position: pos, neurons: all.slice(0, opts.k ?? 10) };
  });
}

export interface NeuronContext {
  value: number;
  /** Offset of the max token in the corpus token stream. */
  offset: number;
  /** The window of ids around the max, and the index of the max in it. */
  ids: number[];
  tokens?: string[];
  at: number;
  /** The neuron's activation at each token of the window. */
  activations: number[];
}

export interface NeuronContextsResult {
  layer: number;
  neuron: number;
  contexts: NeuronContext[];
  tokensRead: number;
}

/**
 * Runs the model over `corpusIds` in chunks of `chunk` tokens and keeps the `k` tokens where the
 * neuron fires most (at most one per chunk, so the contexts differ), with `window` tokens either side.
 */
export function neuronContexts(model: Model, corpusIds: readonly number[], layer: number, neuron: number,
  opts: { k?: number; window?: number; chunk?: number; maxTokens?: number; decode?: Decoder } = {}): NeuronContextsResult {
  const L = model.config.layers, N = model.config.mlpHidden;
  if (!Number.isInteger(layer) || layer < 0 || layer >= L) throw new Error(`layer ${layer} is outside 0..${L - 1}`);
  if (!Number.isInteger(neuron) || neuron < 0 || neuron >= N) throw new Error(`neuron ${neuron} is outside 0..${N - 1}`);
  const chunk = Math.min(opts.chunk ?? 64, model.config.contextLength), win = opts.window ?? 8, k = opts.k ?? 5;
  const total = Math.min(corpusIds.length, opts.maxTokens ?? Infinity);
  if (total === 0) throw new Error('the corpus has no tokens');
  const acts = new Float32Array(total);
  const name = `blocks.${layer}.mlp.hook_post`;
  const best: { value: number; offset: number }[] = [];
  for (let s = 0; s < total; s += chunk) {
    const ids = corpusIds.slice(s, Math.min(s + chunk, total));
    tidy(() => {
      const { cache } = runWithCache(model, ids, { names: [name] });
      const d = cache.get(name)!.floats();
      let m = -Infinity, at = 0;
      for (let t = 0; t < ids.length; t++) {
        acts[s + t] = d[t * N + neuron];
        if (acts[s + t] > m) { m = acts[s + t]; at = s + t; }
      }
      best.push({ value: m, offset: at });
      cache.get(name)!.dispose();
    });
  }
  best.sort((a, b) => b.value - a.value);
  const contexts = best.slice(0, k).map(({ value, offset }) => {
    const lo = Math.max(0, offset - win), hi = Math.min(total, offset + win + 1);
    const ids = corpusIds.slice(lo, hi) as number[];
    return { value, offset, ids: [...ids], tokens: opts.decode ? ids.map(opts.decode) : undefined, at: offset - lo, activations: Array.from(acts.subarray(lo, hi)) };
  });
  return { layer, neuron, contexts, tokensRead: total };
}

export interface NeuronTrace {
  layer: number;
  neuron: number;
  ids: number[];
  tokens?: string[];
  /** The neuron's activation (blocks.{layer}.mlp.hook_post) at each position. */
  activations: number[];
}

/** One MLP neuron's activation at every position of a text. */
export function neuronTrace(model: Model, ids: readonly number[], layer: number, neuron: number, decode?: Decoder): NeuronTrace {
  const L = model.config.layers, N = model.config.mlpHidden;
  if (!Number.isInteger(layer) || layer < 0 || layer >= L) throw new Error(`layer ${layer} is outside 0..${L - 1}`);
  if (!Number.isInteger(neuron) || neuron < 0 || neuron >= N) throw new Error(`neuron ${neuron} is outside 0..${N - 1}`);
  const name = `blocks.${layer}.mlp.hook_post`;
  return tidy(() => {
    const { cache } = runWithCache(model, ids, { names: [name] });
    const d = cache.get(name)!.floats();
    const activations = Array.from({ length: ids.length }, (_, t) => d[t * N + neuron]);
    for (const t of cache.values()) t.dispose();
    return { layer, neuron, ids: [...ids], tokens: decode ? ids.map(decode) : undefined, activations };
  });
}
