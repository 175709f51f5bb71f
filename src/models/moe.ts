// The mixture-of-experts MLP, shared by every family that routes (Mixtral, Qwen2-MoE): a router
// scores each token against every expert, the top k experts run on that token only, and their
// outputs are summed, weighted by the router. Qwen2-MoE adds a shared expert that every token
// passes through, scaled by its own sigmoid gate.
//
//   logits  = x · W_routerᵀ                                   (N, E)
//   weights = softmax over the top-k logits (Mixtral; Qwen2-MoE with norm_topk_prob)
//           | softmax over all logits, kept for the top k      (Qwen2-MoE without)
//   out     = Σ_{e chosen} weight_e · down_e(silu(gate_e(x)) ⊙ up_e(x))  [+ σ(x·w_g) · shared(x)]
//
// Hook points (prefix "blocks.{l}.mlp."), each [batch, pos, …]:
//   hook_router_logits   [batch, pos, expert]   the router's scores
//   hook_router_weights  [batch, pos, expert]   the routing weights: 0 for experts not chosen;
//                        a hook that replaces them re-routes (experts with weight 0 are skipped)
//   experts.{e}.hook_out [batch, pos, d_model]  expert e's weighted output (0 where not chosen)
//   shared_expert.hook_out [batch, pos, d_model] the gated shared expert (Qwen2-MoE)

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Weights } from './family.js';
import type { HookContext } from './hooks.js';

/** A SwiGLU MLP by its three weight names: down(silu(gate(x)) ⊙ up(x)). */
export interface SwiGluNames { gate: string; up: string; down: string }

/** One routed MLP layer, by parameter names. */
export interface MoeLayer {
  experts: number;
  topK: number;
  /** Renormalise the chosen experts' weights to sum to 1 (softmax over the top-k logits). */
  normTopK: boolean;
  /** The router's weight (experts, d_model). */
  router: string;
  expert: (e: number) => SwiGluNames;
  /** Qwen2-MoE's shared expert and its gate's weight (1, d_model). */
  shared?: SwiGluNames & { gateWeight: string };
}

/** Per token (row of logits (N, E)), the indices of the k largest logits (ties: the lower index). */
export function topKRows(logits: ArrayLike<number>, N: number, E: number, k: number): Int32Array {
  const out = new Int32Array(N * k);
  for (let n = 0; n < N; n++) {
    const row = n * E, dst = n * k;
    let filled = 0;
    for (let e = 0; e < E; e++) {
      const v = logits[row + e];
      // insertion into the sorted top list (largest first)
      let j = Math.min(filled, k - 1);
      if (filled === k && !(v > logits[row + out[dst + k - 1]])) continue;
      while (j > 0 && v > logits[row + out[dst + j - 1]]) {
        out[dst + j] = out[dst + j - 1];
        j--;
      }
      out[dst + j] = e;
      if (filled < k) filled++;
    }
  }
  return out;
}

function swiglu(w: Weights, x: Tensor, n: SwiGluNames): Tensor {
  return w.proj.apply(op.mul(op.silu(w.proj.apply(x, n.gate)), w.proj.apply(x, n.up)), n.down);
}

function sigmoid(x: Tensor): Tensor {
  return op.div(op.full([1], 1, x.dtype, x.backend), op.addScalar(op.exp(op.neg(x)), 1));
}

/**
 * h (B, T, C) -> the layer's output (B, T, C). Each expert runs on the tokens routed to it only.
 * `routerLogits`, when given, collects this layer's logits (B·T, E) for the load-balancing loss.
 */
export function routedMlp(m: MoeLayer, w: Weights, h: Tensor, ctx: HookContext, prefix: string, routerLogits?: Tensor[]): Tensor {
  const [B, T, C] = h.shape;
  const N = B * T, E = m.experts, k = m.topK;
  const logits = ctx.point(prefix + 'hook_router_logits', w.proj.apply(h, m.router)); // (B, T, E)
  routerLogits?.push(op.reshape(logits, [N, E]));
  // the choice itself carries no gradient; the weights of the chosen experts do
  const chosen = topKRows(op.contiguous(logits).floats(), N, E, k);
  const keep = op.zeros([N, E], logits.dtype, logits.backend);
  const kd = keep.floats();
  if (m.normTopK) kd.fill(-Infinity);
  for (let n = 0; n < N; n++) for (let j = 0; j < k; j++) kd[n * E + chosen[n * k + j]] = m.normTopK ? 0 : 1;
  const flat = op.reshape(logits, [N, E]);
  const weights = m.normTopK ? op.softmax(op.add(flat, keep)) : op.mul(op.softmax(flat), keep); // (N, E)
  const routed = op.reshape(ctx.point(prefix + 'hook_router_weights', op.reshape(weights, [B, T, E])), [N, E]);
  const wd = op.contiguous(routed).floats();
  const x = op.reshape(h, [N, C]);
  // experts nobody listens to are put back in one scatter; an expert with a hook or a cache entry
  // gets its own (N, C) output so the hook sees (and may replace) it whole
  const pieces: Tensor[] = [], pieceRows: Int32Array[] = [];
  let out: Tensor | null = null;
  for (let e = 0; e < E; e++) {
    let count = 0;
    for (let n = 0; n < N; n++) if (wd[n * E + e] !== 0) count++;
    const rows = new Int32Array(count);
    for (let n = 0, i = 0; n < N; n++) if (wd[n * E + e] !== 0) rows[i++] = n;
    let weighted: Tensor | null = null; // (n_e, C): expert e on its tokens, times their routing weights
    if (count > 0) {
      const y = swiglu(w, op.gatherRows(x, rows), m.expert(e)); // (n_e, C)
      weighted = op.mul(y, op.slice(op.gatherRows(routed, rows), 1, e, e + 1)); // (n_e, C) · (n_e, 1)
    }
    const hook = `${prefix}experts.${e}.hook_out`;
    if (!ctx.listens(hook)) {
      if (weighted) pieces.push(weighted), pieceRows.push(rows);
      continue;
    }
    const part = weighted ? op.scatterRows(weighted, rows, N) : op.zeros([N, C], h.dtype, h.backend); // (N, C), 0 where e was not chosen
    const hooked = op.reshape(ctx.point(hook, op.reshape(part, [B, T, C])), [N, C]);
    out = out ? op.add(out, hooked) : hooked;
  }
  if (pieces.length > 0) {
    const rows = new Int32Array(pieceRows.reduce((a, r) => a + r.length, 0));
    let at = 0;
    for (const r of pieceRows) rows.set(r, at), (at += r.length);
    const rest = op.scatterRows(pieces.length === 1 ? pieces[0] : op.concat(pieces, 0), rows, N);
    out = out ? op.add(out, rest) : rest;
  }
  out ??= op.zeros([N, C], h.dtype, h.backend);
  let result = op.reshape(out!, [B, T, C]);
  if (m.shared) {
    const gate = sigmoid(w.proj.apply(h, m.shared.gateWeight)); // (B, T, 1)
    result = op.add(result, ctx.point(prefix + 'shared_expert.hook_out', op.mul(swiglu(w, h, m.shared), gate)));
  }
  return result;
}

/**
 * Mixtral's load-balancing loss (load_balancing_loss_func), over every layer's router logits
 * pooled: E · Σ_e f_e · P_e, where f_e is the fraction of (token, layer) pairs whose top k
 * includes expert e and P_e the mean router probability of e. Gradients reach the router
 * through P (f is a count).
 */
export function loadBalancingLoss(logits: readonly Tensor[], experts: number, topK: number): Tensor {
  const all = logits.length === 1 ? logits[0] : op.concat(logits, 0); // (M, E)
  const M = all.shape[0], E = experts;
  const chosen = topKRows(op.contiguous(all).floats(), M, E, topK);
  const f = new Float64Array(E);
  for (const e of chosen) f[e] += 1 / M;
  const P = op.mean(op.softmax(all), [0]); // (E)
  return op.scale(op.sum(op.mul(P, op.tensor(f, [E], all.dtype, all.backend))), E);
}
