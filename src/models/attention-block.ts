// The attention core shared by every architecture: hook points for q/k/v, the KV cache, and
// the fused attention op, or, when a hook is registered on the scores, the written-out
// softmax(q·kᵀ · scale + mask) · v. A hook on the pattern alone reads the fused kernel's
// probabilities bit for bit; if it returns a new pattern, the values are mixed with that one.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { HookContext } from './hooks.js';
import type { KVCache } from './kv-cache.js';

/** Repeats each of kvHeads heads `group` times: (B, kvHeads, S, D) -> (B, kvHeads·group, S, D). */
function repeatHeads(x: Tensor, group: number): Tensor {
  if (group === 1) return x;
  const [B, Hkv, S, D] = x.shape;
  return op.reshape(op.broadcastTo(op.reshape(x, [B, Hkv, 1, S, D]), [B, Hkv, group, S, D]), [B, Hkv * group, S, D]);
}

/**
 * Additive causal mask (T, S): 0 where query i (at position offset + i) may see key j, -∞
 * elsewhere. Without a window a query sees every key up to itself (j ≤ offset + i); with a
 * sliding window of W it sees only the last W of those (offset + i − W < j), as Mistral does.
 */
export function causalMask(T: number, S: number, offset: number, like: Tensor, window?: number): Tensor {
  const mask = op.zeros([T, S], like.dtype, like.backend);
  const d = mask.data();
  for (let i = 0; i < T; i++) {
    for (let j = offset + i + 1; j < S; j++) d[i * S + j] = -Infinity;
    if (window !== undefined) for (let j = 0; j <= offset + i - window && j < S; j++) d[i * S + j] = -Infinity;
  }
  return mask;
}

/**
 * q (B, T, H, D) and k, v (B, T, Hkv, D), positions already applied -> z (B, T, H·D).
 * `prefix` is the layer's hook prefix, e.g. "blocks.3.attn.". `window`: sliding-window attention
 * (each query sees only the last `window` keys up to itself); keys that fall out of it stay in the
 * KV cache and are masked.
 */
export function attend(ctx: HookContext, prefix: string, layer: number, q: Tensor, k: Tensor, v: Tensor, cache: KVCache | undefined, window?: number): Tensor {
  q = ctx.point(prefix + 'hook_q', q);
  k = ctx.point(prefix + 'hook_k', k);
  v = ctx.point(prefix + 'hook_v', v);
  const [B, T, H, D] = q.shape;
  let qh = op.permute(q, [0, 2, 1, 3]); // (B, H, T, D)
  let kh = op.permute(k, [0, 2, 1, 3]); // (B, Hkv, T, D)
  let vh = op.permute(v, [0, 2, 1, 3]);
  if (cache) ({ k: kh, v: vh } = cache.append(layer, kh, vh)); // (B, Hkv, S, D)
  const S = kh.shape[2];
  const offset = S - T;
  const scale = 1 / Math.sqrt(D);
  let out: Tensor; // (B, H, T, D)
  const group = H / kh.shape[1];
  // the fused kernel masks causally only: a window that hides some key needs the written-out form
  const windowed = window !== undefined && offset + T - 1 >= window;
  if (windowed || ctx.hooksAt(prefix + 'hook_attn_scores')) {
    // a hook may change the scores: compute them written out, so the change flows on
    let scores = op.add(op.scale(op.matmul(qh, op.transpose(repeatHeads(kh, group))), scale), causalMask(T, S, offset, q, windowed ? window : undefined)); // (B, H, T, S)
    scores = ctx.point(prefix + 'hook_attn_scores', scores);
    const pattern = ctx.point(prefix + 'hook_pattern', op.softmax(scores));
    out = op.matmul(pattern, repeatHeads(vh, group));
  } else {
    // the fused kernel; it also returns the pattern when someone listens to it
    const r = op.attention(qh, kh, vh, { offset, scale, returnProbs: ctx.listens(prefix + 'hook_pattern') });
    out = r.out;
    if (r.probs) {
      const pattern = ctx.point(prefix + 'hook_pattern', r.probs);
      // a hook replaced the pattern: mix the values with the new one (no gradient reaches the old pattern)
      if (pattern !== r.probs) out = op.matmul(pattern, repeatHeads(vh, group));
    }
  }
  const z = ctx.point(prefix + 'hook_z', op.permute(out, [0, 2, 1, 3])); // (B, T, H, D)
  return op.reshape(z, [B, T, H * D]);
}
