// Expert usage in a mixture-of-experts model: over a text, how often each expert of each layer is
// chosen, how much routing weight it gets, and which tokens go where. Read from the router's
// hook point blocks.{l}.mlp.hook_router_weights (0 for experts not chosen).

import type { Model } from '../models/model.js';
import { tidy } from '../tensor/engine.js';
import { runWithCache } from './cache.js';
import type { Decoder } from './readout.js';

export interface TokenRoute {
  position: number;
  id: number;
  token?: string;
  /** The chosen experts, heaviest first, with their routing weights. */
  experts: { expert: number; weight: number }[];
}

export interface LayerUsage {
  layer: number;
  /** counts[e]: tokens that chose expert e. */
  counts: number[];
  /** share[e]: counts[e] / tokens (the shares sum to experts-per-token). */
  share: number[];
  /** weight[e]: the routing weight expert e received, summed over tokens. */
  weight: number[];
  tokens: TokenRoute[];
}

export interface ExpertUsage {
  experts: number;
  expertsPerToken: number;
  ids: number[];
  tokens?: string[];
  layers: LayerUsage[];
}

/** Routes a text (its token ids) through the model and tallies the experts chosen per layer. */
export function expertUsage(model: Model, ids: readonly number[], opts: { decode?: Decoder } = {}): ExpertUsage {
  const routing = model.family.routing?.(model.config);
  if (!routing) throw new Error(`this model has no mixture of experts (its family is ${model.family.name}, with a dense MLP)`);
  if (ids.length === 0) throw new Error('expert usage needs at least one token');
  const E = routing.experts, L = model.config.layers, T = ids.length;
  const names = Array.from({ length: L }, (_, l) => `blocks.${l}.mlp.hook_router_weights`);
  return tidy(() => {
    const { cache } = runWithCache(model, ids, { names });
    const layers: LayerUsage[] = [];
    for (let l = 0; l < L; l++) {
      const w = cache.get(names[l])!.floats(); // (1, T, E)
      const counts = new Array<number>(E).fill(0), weight = new Array<number>(E).fill(0);
      const tokens: TokenRoute[] = [];
      for (let t = 0; t < T; t++) {
        const experts: { expert: number; weight: number }[] = [];
        for (let e = 0; e < E; e++) {
          const v = w[t * E + e];
          if (v === 0) continue;
          counts[e]++;
          weight[e] += v;
          experts.push({ expert: e, weight: v });
        }
        experts.sort((a, b) => b.weight - a.weight);
        tokens.push({ position: t, id: ids[t], ...(opts.decode ? { token: opts.decode(ids[t]) } : {}), experts });
      }
      layers.push({ layer: l, counts, share: counts.map((c) => c / T), weight, tokens });
    }
    for (const t of cache.values()) t.dispose();
    return { experts: E, expertsPerToken: routing.expertsPerToken, ids: [...ids], ...(opts.decode ? { tokens: ids.map(opts.decode) } : {}), layers };
  });
}
