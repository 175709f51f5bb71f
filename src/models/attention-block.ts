// The attention core shared by every architecture: hook points for q/k/v, the KV cache, and
// the fused attention op, or, when a hook is registered on the scores, the written-out
// softmax(q·kᵀ · scale + mask) · v. A hook on the pattern alone reads the fused kernel's
// probabilities bit for bit; if it returns a new pattern, the values are mixed with that one.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { HookContext } from './hooks.js';
import type { KVCache } from './kv-cache.js';
import { sameStart } from './positions.js';

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
 * Additive mask (B, 1, T, T) for packed rows: 0 where query i may see key j (j ≤ i, both in the
 * same segment, and within `window` when given), -∞ elsewhere. segments (B·T) row-major.
 */
function segmentMask(segments: Int32Array, B: number, T: number, like: Tensor, window?: number): Tensor {
  const mask = op.zeros([B, 1, T, T], like.dtype, like.backend);
  const d = mask.data();
  for (let b = 0; b < B; b++) {
    const seg = segments.subarray(b * T, (b + 1) * T);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        if (j > i || seg[j] !== seg[i] || (window !== undefined && i - j >= window)) d[(b * T + i) * T + j] = -Infinity;
      }
    }
  }
  return mask;
}

/**
 * q (B, T, H, D) and k, v (B, T, Hkv, D), positions already applied -> z (B, T, H·D).
 * `prefix` is the layer's hook prefix, e.g. "blocks.3.attn.". `window`: sliding-window attention
 * (each query sees only the last `window` keys up to itself); keys that fall out of it stay in the
 * KV cache and are masked. With `segments` (B·T, packed examples; no cache), the scores are
 * written out with a block-diagonal causal mask.
 */
export function attend(ctx: HookContext, prefix: string, layer: number, q: Tensor, k: Tensor, v: Tensor, cache: KVCache | undefined, window?: number, segments?: Int32Array): Tensor {
  q = ctx.point(prefix + 'hook_q', q);
  k = ctx.point(prefix + 'hook_k', k);
  v = ctx.point(prefix + 'hook_v', v);
  const [B, T, H, D] = q.shape;
  let qh = op.permute(q, [0, 2, 1, 3]); // (B, H, T, D)
  let kh = op.permute(k, [0, 2, 1, 3]); // (B, Hkv, T, D)
  let vh = op.permute(v, [0, 2, 1, 3]);
  const starts = cache ? cache.lengths.slice() : null; // each row's positions before this call
  if (cache) ({ k: kh, v: vh } = cache.append(layer, kh, vh)); // (B, Hkv, S, D)
  if (starts && !sameStart(starts)) return attendRows(ctx, prefix, qh, kh, vh, starts, window);
  const S = kh.shape[2];
  const offset = S - T;
  const scale = 1 / Math.sqrt(D);
  let out: Tensor; // (B, H, T, D)
  const group = H / kh.shape[1];
  // the fused kernel masks causally only: a window that hides some key, or packed examples, need the written-out form
  const windowed = window !== undefined && offset + T - 1 >= window;
  if (segments || windowed || ctx.hooksAt(prefix + 'hook_attn_scores')) {
    // a hook may change the scores: compute them written out, so the change flows on
    const mask = segments ? segmentMask(segments, B, T, q, window) : causalMask(T, S, offset, q, windowed ? window : undefined); // (B, 1, T, T) or (T, S)
    let scores = op.add(op.scale(op.matmul(qh, op.transpose(repeatHeads(kh, group))), scale), mask); // (B, H, T, S)
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

/**
 * Rows of a KV cache that hold different lengths (sequences batched together by a server): each
 * row attends over its own starts[b] + T positions as it would alone: one fused call with each
 * row's offset, or, where a sliding window hides some row's keys, row by row (the written-out form
 * for such a row).
 * qh (B, H, T, D), kh/vh (B, Hkv, S, D) with S ≥ every row's length -> z (B, T, H·D).
 */
function attendRows(ctx: HookContext, prefix: string, qh: Tensor, kh: Tensor, vh: Tensor, starts: Int32Array, window?: number): Tensor {
  if (ctx.listens(prefix + 'hook_attn_scores') || ctx.listens(prefix + 'hook_pattern')) {
    throw new Error('attention hooks need every batch row at the same position; run rows of different lengths one at a time');
  }
  const [B, H, T, D] = qh.shape;
  const scale = 1 / Math.sqrt(D), group = H / kh.shape[1];
  if (window === undefined || starts.every((s) => s + T - 1 < window)) {
    // no row's window hides a key: one fused call, each row over its own keys
    const out = op.attention(qh, kh, vh, { rowOffsets: starts, scale }).out; // (B, H, T, D)
    const z = ctx.point(prefix + 'hook_z', op.permute(out, [0, 2, 1, 3])); // (B, T, H, D)
    return op.reshape(z, [B, T, H * D]);
  }
  const rows: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const offset = starts[b], end = offset + T;
    const row = (t: Tensor) => op.slice(op.slice(t, 0, b, b + 1), 2, 0, end); // (1, heads, end, D)
    const q = op.slice(qh, 0, b, b + 1);
    if (window !== undefined && end - 1 >= window) {
      // a sliding window hides some of this row's keys: the written-out form with its mask
      const scores = op.add(op.scale(op.matmul(q, op.transpose(repeatHeads(row(kh), group))), scale), causalMask(T, end, starts[b], q, window));
      rows.push(op.matmul(op.softmax(scores), repeatHeads(row(vh), group)));
    } else rows.push(op.attention(q, row(kh), row(vh), { offset: starts[b], scale }).out); // (1, H, T, D)
  }
  const z = ctx.point(prefix + 'hook_z', op.permute(op.concat(rows, 0), [0, 2, 1, 3])); // (B, T, H, D)
  return op.reshape(z, [B, T, H * D]);
}
