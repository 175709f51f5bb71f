// Direct logit attribution: the final residual stream is a sum of parts (embeddings, each
// attention head, each attention output bias, each MLP); with the final norm's scale frozen at the
// value it has on the real residual, the logit of a token is a sum of one number per part.
//
//   LayerNorm: logit = rstd · Σ_parts (part − mean(part)) · (w ⊙ u) + b · u
//   RMSNorm:   logit = rstd · Σ_parts part · (w ⊙ u)
// where u is the token's unembedding row (or the difference of two rows), and rstd is computed
// once, on the real final residual.

import type { Model } from '../models/model.js';
import { tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { runWithCache } from './cache.js';
import { type Decoder, readoutParams, rowOf } from './readout.js';

export interface AttributionPart {
  /** 'embed', 'pos_embed', 'L3H2', 'L3 attn bias', 'L3 mlp', 'bias'. */
  name: string;
  kind: 'embed' | 'head' | 'attn_bias' | 'mlp' | 'bias';
  layer?: number;
  head?: number;
  value: number;
}

export interface AttributionResult {
  ids: number[];
  tokens?: string[];
  position: number;
  /** The token whose logit is split, and the one subtracted (logit difference), if any. */
  token: number;
  wrong?: number;
  /** The model's own logit (or logit difference) at the position. */
  logit: number;
  /** The sum of the parts (equal to logit up to rounding). */
  total: number;
  /** 1 / the final norm's scale, frozen from the real residual. */
  rstd: number;
  parts: AttributionPart[];
  /** [layer][head], the same numbers as the head parts, for a heatmap. */
  heads: number[][];
}

export interface AttributionOptions {
  /** Position to explain (default the last). */
  position?: number;
  /** Token whose logit to split (default the model's top prediction). */
  token?: number;
  /** When given, split logit(token) − logit(wrong). */
  wrong?: number;
  decode?: Decoder;
}

/** The row `pos` of a (1, T, …) or (T, C) tensor, flattened over the trailing axes, in float64. */
function at(t: Tensor, pos: number): Float64Array {
  const rows = t.rank === 2 ? t.shape[0] : t.shape[0] * t.shape[1];
  const n = t.size / rows;
  return Float64Array.from(t.floats().subarray(pos * n, (pos + 1) * n));
}

export function directLogitAttribution(model: Model, ids: readonly number[], opts: AttributionOptions = {}): AttributionResult {
  const c = model.config, L = c.layers, H = c.heads;
  const T = ids.length, pos = opts.position ?? T - 1;
  if (!Number.isInteger(pos) || pos < 0 || pos >= T) throw new Error(`position ${pos} is outside 0..${T - 1}`);
  const family = model.family;
  const D = family.attention(c).headDim, C = c.dim;
  const embedHooks = family.embedHooks(c); // their sum is the first residual: 'hook_embed', GPT-2's 'hook_pos_embed'
  return tidy(() => {
    const names = [...embedHooks, `blocks.${L - 1}.hook_resid_post`];
    for (let l = 0; l < L; l++) names.push(`blocks.${l}.attn.hook_z`, `blocks.${l}.hook_mlp_out`);
    const { logits, cache } = runWithCache(model, ids, { names });
    const V = logits.shape[2];
    const final = rowOf(logits, pos);
    const token = opts.token ?? final.indexOf(Math.max(...final));
    for (const t of [token, opts.wrong]) if (t !== undefined && (!Number.isInteger(t) || t < 0 || t >= V)) throw new Error(`token id ${t} is outside the vocabulary of ${V}`);
    const logit = final[token] - (opts.wrong === undefined ? 0 : final[opts.wrong]);

    // u: the unembedding direction; g = w ⊙ u (final norm gain folded in)
    const r = readoutParams(model);
    const U = r.unembed.floats(), w = r.weight.floats();
    const g = new Float64Array(C);
    for (let i = 0; i < C; i++) g[i] = w[i] * (U[token * C + i] - (opts.wrong === undefined ? 0 : U[opts.wrong * C + i]));
    let biasPart = 0;
    if (r.bias) {
      const b = r.bias.floats();
      for (let i = 0; i < C; i++) biasPart += b[i] * (U[token * C + i] - (opts.wrong === undefined ? 0 : U[opts.wrong * C + i]));
    }
    // rstd of the real residual
    const x = at(cache.get(`blocks.${L - 1}.hook_resid_post`)!, pos);
    let mean = 0;
    if (r.kind === 'layernorm') for (let i = 0; i < C; i++) mean += x[i] / C;
    let ms = 0;
    for (let i = 0; i < C; i++) ms += (x[i] - mean) ** 2 / C;
    const rstd = 1 / Math.sqrt(ms + r.eps);
    // one part's contribution: rstd · (part − mean(part)) · g   (no centering for RMSNorm)
    const gSum = g.reduce((a, v) => a + v, 0);
    const contribution = (part: Float64Array) => {
      let dot = 0, m = 0;
      for (let i = 0; i < C; i++) {
        dot += part[i] * g[i];
        m += part[i];
      }
      return rstd * (r.kind === 'layernorm' ? dot - (m / C) * gSum : dot);
    };

    const parts: AttributionPart[] = [];
    for (const hook of embedHooks) parts.push({ name: hook.replace(/^hook_/, ''), kind: 'embed', value: contribution(at(cache.get(hook)!, pos)) });
    const heads: number[][] = [];
    for (let l = 0; l < L; l++) {
      const z = at(cache.get(`blocks.${l}.attn.hook_z`)!, pos); // (H·D)
      const wo = family.attentionOutput(c, l); // the output projection, (in, out) or (out, in) as the family stores it
      const W = model.weight(wo.weight).floats(); // a dequantized copy (freed with this scope) where only int8 is held
      const inOut = wo.layout === 'in-out';
      const row: number[] = [];
      for (let h = 0; h < H; h++) {
        const out = new Float64Array(C); // z_h · W_O[h]
        for (let d = 0; d < D; d++) {
          const zi = z[h * D + d], j = h * D + d;
          if (inOut) for (let o = 0; o < C; o++) out[o] += zi * W[j * C + o]; // Conv1D (in, out)
          else for (let o = 0; o < C; o++) out[o] += zi * W[o * H * D + j]; // Linear (out, in)
        }
        const v = contribution(out);
        row.push(v);
        parts.push({ name: `L${l}H${h}`, kind: 'head', layer: l, head: h, value: v });
      }
      heads.push(row);
      const bias = wo.bias === undefined ? undefined : model.params.get(wo.bias);
      if (bias) parts.push({ name: `L${l} attn bias`, kind: 'attn_bias', layer: l, value: contribution(Float64Array.from(bias.floats())) });
      parts.push({ name: `L${l} mlp`, kind: 'mlp', layer: l, value: contribution(at(cache.get(`blocks.${l}.hook_mlp_out`)!, pos)) });
    }
    if (r.bias) parts.push({ name: 'bias', kind: 'bias', value: biasPart });
    for (const t of cache.values()) t.dispose();
    const total = parts.reduce((a, p) => a + p.value, 0);
    return {
      ids: [...ids], tokens: opts.decode ? ids.map(opts.decode) : undefined, position: pos,
      token, wrong: opts.wrong, logit, total, rstd, parts, heads,
    };
  });
}
