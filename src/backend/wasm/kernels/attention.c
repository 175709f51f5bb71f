// Causal multi-head attention with grouped-query sharing, flash-attention style: queries are
// taken 4 at a time against tiles of 64 keys, with a running (online) softmax, so the T × S
// score matrix is never built. The forward saves the log-sum-exp of each query row; the backward
// recomputes the probabilities from it in two passes that need no locks: dq by query blocks,
// then dk and dv by key blocks. Work items go round-robin to the threads.
//
// Layouts: q (batch, heads, T, D); k, v (batch, kvHeads, S, D); query i sees keys
// 0 … min(offset + i, S - 1).
#include "vecmath.h"
#include "touch.h"

#define QB 4
#define TK 64

INLINE int imin(int a, int b) { return a < b ? a : b; }
INLINE int imax(int a, int b) { return a > b ? a : b; }

/** s[r*TK + c] = scale · rows[r] · cols[c] for 4 rows and n ≤ TK columns (vectors of length D, stride D). */
static void dots4(const float *const rows[QB], const float *cols, int n, int D, float scale, float *s) {
  int D4 = D & ~3;
  for (int c = 0; c < n; c++) {
    const float *y = cols + (intptr_t)c * D;
    f4 a0 = SPLAT(0), a1 = SPLAT(0), a2 = SPLAT(0), a3 = SPLAT(0);
    for (int d = 0; d < D4; d += 4) {
      f4 yv = LOAD(y + d);
      a0 = FMA(LOAD(rows[0] + d), yv, a0);
      a1 = FMA(LOAD(rows[1] + d), yv, a1);
      a2 = FMA(LOAD(rows[2] + d), yv, a2);
      a3 = FMA(LOAD(rows[3] + d), yv, a3);
    }
    float t0 = hsum(a0), t1 = hsum(a1), t2 = hsum(a2), t3 = hsum(a3);
    for (int d = D4; d < D; d++) {
      t0 += rows[0][d] * y[d]; t1 += rows[1][d] * y[d]; t2 += rows[2][d] * y[d]; t3 += rows[3][d] * y[d];
    }
    s[c] = t0 * scale; s[TK + c] = t1 * scale; s[2 * TK + c] = t2 * scale; s[3 * TK + c] = t3 * scale;
  }
}

/** acc[r*D + d] += Σ_c coef[r*TK + c] · cols[c*D + d] for 4 rows. */
static void axpy4(float *acc, const float *coef, const float *cols, int n, int D) {
  int D4 = D & ~3;
  for (int d = 0; d < D4; d += 4) {
    f4 o0 = LOAD(acc + d), o1 = LOAD(acc + D + d), o2 = LOAD(acc + 2 * D + d), o3 = LOAD(acc + 3 * D + d);
    for (int c = 0; c < n; c++) {
      f4 y = LOAD(cols + (intptr_t)c * D + d);
      o0 = FMA(wasm_v128_load32_splat(coef + c), y, o0);
      o1 = FMA(wasm_v128_load32_splat(coef + TK + c), y, o1);
      o2 = FMA(wasm_v128_load32_splat(coef + 2 * TK + c), y, o2);
      o3 = FMA(wasm_v128_load32_splat(coef + 3 * TK + c), y, o3);
    }
    STORE(acc + d, o0); STORE(acc + D + d, o1); STORE(acc + 2 * D + d, o2); STORE(acc + 3 * D + d, o3);
  }
  for (int d = D4; d < D; d++)
    for (int c = 0; c < n; c++) {
      float y = cols[(intptr_t)c * D + d];
      for (int r = 0; r < QB; r++) acc[r * D + d] += coef[r * TK + c] * y;
    }
}

INLINE float dot(const float *a, const float *b, int D) {
  f4 acc = SPLAT(0);
  int d = 0;
  for (; d + 4 <= D; d += 4) acc = FMA(LOAD(a + d), LOAD(b + d), acc);
  float s = hsum(acc);
  for (; d < D; d++) s += a[d] * b[d];
  return s;
}

/**
 * s[j] = scale · q · K[j] for j < n (keys of length D, stride D), the same sums as dot(): four
 * keys at a time, so that four sums advance together instead of one waiting on each FMA.
 */
INLINE void query_scores(const float *q, const float *K, int n, int D, float scale, float *s) {
  int D4 = D & ~3, j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *k0 = K + (intptr_t)j * D, *k1 = k0 + D, *k2 = k1 + D, *k3 = k2 + D;
    f4 a0 = SPLAT(0), a1 = SPLAT(0), a2 = SPLAT(0), a3 = SPLAT(0);
    for (int d = 0; d < D4; d += 4) {
      f4 qv = LOAD(q + d);
      a0 = FMA(qv, LOAD(k0 + d), a0);
      a1 = FMA(qv, LOAD(k1 + d), a1);
      a2 = FMA(qv, LOAD(k2 + d), a2);
      a3 = FMA(qv, LOAD(k3 + d), a3);
    }
    float t0 = hsum(a0), t1 = hsum(a1), t2 = hsum(a2), t3 = hsum(a3);
    for (int d = D4; d < D; d++) {
      t0 += q[d] * k0[d]; t1 += q[d] * k1[d]; t2 += q[d] * k2[d]; t3 += q[d] * k3[d];
    }
    s[j] = t0 * scale; s[j + 1] = t1 * scale; s[j + 2] = t2 * scale; s[j + 3] = t3 * scale;
  }
  for (; j < n; j++) s[j] = dot(q, K + (intptr_t)j * D, D) * scale;
}

/** p[c] = exp(s[c] - m) for c < n (in place). */
INLINE void exp_row(float *s, int n, float m) {
  f4 mv = SPLAT(m);
  int c = 0;
  for (; c + 4 <= n; c += 4) STORE(s + c, vexp(wasm_f32x4_sub(LOAD(s + c), mv)));
  for (; c < n; c++) s[c] = sexp(s[c] - m);
}

/**
 * kvStride: elements from one key/value head's rows to the next (S·D when k and v are contiguous;
 * a KV cache's maxLen·D, so that attention reads the cache where it lies).
 */
/**
 * One query per head (decode): its scores against every visible key in this thread's scratch,
 * softmax, then the weighted sum of the values; no blocks of 4 query rows (3 of them would be
 * copies of the one).
 */
static void attend_one_query(const float *q, const float *K, const float *V, float *o, float *lse, float *probs,
                             int S, int D, int last, float scale, float *sc) {
  // the keys and values are read ahead (touch.h): a head's are a short stretch (15 KB at 60 keys
  // of 64 values) that the prefetcher has not learnt before it ends. 8 batched GPT-2-small rows,
  // 12 layers: attention 2.4-2.6 -> 1.4-1.6 ms a step, alternating builds
  touch_lines((const uint8_t *)K, (intptr_t)(last + 1) * D * 4);
  touch_lines((const uint8_t *)V, (intptr_t)(last + 1) * D * 4);
  query_scores(q, K, last + 1, D, scale, sc);
  float m = -__builtin_inff();
  for (int j = 0; j <= last; j++) if (sc[j] > m) m = sc[j];
  exp_row(sc, last + 1, m);
  float sum = 0;
  for (int j = 0; j <= last; j++) sum += sc[j];
  float inv = sum > 0 ? 1.0f / sum : 0.0f;
  for (int j = 0; j <= last; j++) sc[j] *= inv; // the probabilities
  // o = Σ_j p_j V[j], 16 values of o at a time held in registers over every key (each value's
  // sum in the order of j, as one pass per key over all of o would make it)
  int d = 0;
  for (; d + 16 <= D; d += 16) {
    f4 o0 = SPLAT(0), o1 = SPLAT(0), o2 = SPLAT(0), o3 = SPLAT(0);
    for (int j = 0; j <= last; j++) {
      const float *vr = V + (intptr_t)j * D + d;
      f4 pj = SPLAT(sc[j]);
      o0 = FMA(pj, LOAD(vr), o0);
      o1 = FMA(pj, LOAD(vr + 4), o1);
      o2 = FMA(pj, LOAD(vr + 8), o2);
      o3 = FMA(pj, LOAD(vr + 12), o3);
    }
    STORE(o + d, o0); STORE(o + d + 4, o1); STORE(o + d + 8, o2); STORE(o + d + 12, o3);
  }
  for (; d + 4 <= D; d += 4) {
    f4 o0 = SPLAT(0);
    for (int j = 0; j <= last; j++) o0 = FMA(SPLAT(sc[j]), LOAD(V + (intptr_t)j * D + d), o0);
    STORE(o + d, o0);
  }
  for (; d < D; d++) {
    float t = 0;
    for (int j = 0; j <= last; j++) t += sc[j] * V[(intptr_t)j * D + d];
    o[d] = t;
  }
  *lse = sum > 0 ? m + slog(sum) : -__builtin_inff();
  if (probs)
    for (int j = 0; j < S; j++) probs[j] = j <= last ? sc[j] : 0.0f;
}

/**
 * rowOffsets: null, or batch row b's own offset (rows of a KV cache at different lengths), which
 * replaces `offset` for that row.
 */
EXPORT void gl_attention(const float *q, const float *k, const float *v, float *out, float *lse, float *probs, int batch,
                         int heads, int kvHeads, int T, int S, int D, int offset, const int *rowOffsets, float scale, int kvStride, int tid, int nt) {
  int group = heads / kvHeads, qblocks = (T + QB - 1) / QB, items = batch * heads * qblocks;
  if (T == 1 && S <= gl_scratch_region / 4) {
    for (int bh = tid; bh < batch * heads; bh += nt) {
      int b = bh / heads, h = bh % heads;
      intptr_t kv = (intptr_t)(b * kvHeads + h / group) * kvStride;
      attend_one_query(q + (intptr_t)bh * D, k + kv, v + kv, out + (intptr_t)bh * D, lse + bh, probs ? probs + (intptr_t)bh * S : 0,
                       S, D, imin(rowOffsets ? rowOffsets[b] : offset, S - 1), scale, thread_scratch(tid));
    }
    return;
  }
  float s[QB * TK], acc[QB * D];
  for (int it = tid; it < items; it += nt) {
    int bh = it / qblocks, i0 = (it % qblocks) * QB, R = imin(QB, T - i0);
    int b = bh / heads, h = bh % heads, rowOffset = rowOffsets ? rowOffsets[b] : offset;
    const float *K = k + (intptr_t)(b * kvHeads + h / group) * kvStride, *V = v + (intptr_t)(b * kvHeads + h / group) * kvStride;
    const float *rows[QB];
    float m[QB], l[QB];
    int last[QB];
    for (int r = 0; r < QB; r++) { // rows past T repeat the last real one; their results are dropped
      int rr = imin(r, R - 1);
      rows[r] = q + ((intptr_t)bh * T + i0 + rr) * D;
      last[r] = imin(rowOffset + i0 + rr, S - 1);
      m[r] = -__builtin_inff();
      l[r] = 0;
    }
    for (int i = 0; i < QB * D; i++) acc[i] = 0;
    for (int j0 = 0; j0 <= last[QB - 1]; j0 += TK) {
      int n = imin(TK, last[QB - 1] + 1 - j0);
      dots4(rows, K + (intptr_t)j0 * D, n, D, scale, s);
      for (int r = 0; r < QB; r++) {
        float *sr = s + r * TK;
        int visible = imin(n, last[r] + 1 - j0); // keys j0 … j0+visible-1 are visible
        if (visible <= 0) {
          for (int c = 0; c < n; c++) sr[c] = 0;
          continue;
        }
        float mt = m[r];
        for (int c = 0; c < visible; c++) if (sr[c] > mt) mt = sr[c];
        float alpha = sexp(m[r] - mt);
        exp_row(sr, visible, mt);
        for (int c = visible; c < n; c++) sr[c] = 0;
        float sum = 0;
        for (int c = 0; c < visible; c++) sum += sr[c];
        l[r] = l[r] * alpha + sum;
        m[r] = mt;
        if (alpha != 1.0f) {
          float *ar = acc + r * D;
          for (int d = 0; d < D; d++) ar[d] *= alpha;
        }
      }
      axpy4(acc, s, V + (intptr_t)j0 * D, n, D);
    }
    for (int r = 0; r < R; r++) {
      intptr_t row = (intptr_t)bh * T + i0 + r;
      float *o = out + row * D;
      float inv = l[r] > 0 ? 1.0f / l[r] : 0.0f;
      for (int d = 0; d < D; d++) o[d] = acc[r * D + d] * inv;
      float rowLse = l[r] > 0 ? m[r] + slog(l[r]) : -__builtin_inff();
      lse[row] = rowLse;
      if (probs) {
        float *pr = probs + row * S;
        for (int j = 0; j < S; j++) pr[j] = j <= last[r] ? sexp(dot(rows[r], K + (intptr_t)j * D, D) * scale - rowLse) : 0.0f;
      }
    }
  }
}

/** delta[r] = dOut[r] · out[r] for rows of length D. */
EXPORT void gl_attention_delta(const float *out, const float *dOut, float *delta, int rows, int D, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) delta[r] = dot(out + (intptr_t)r * D, dOut + (intptr_t)r * D, D);
}

/** dq = Σ_j ds_ij k_j · ... by blocks of 4 queries (dq overwritten). */
EXPORT void gl_attention_backward_dq(const float *q, const float *k, const float *v, const float *lse, const float *dOut,
                                     const float *delta, float *dq, int batch, int heads, int kvHeads, int T, int S, int D,
                                     int offset, float scale, int tid, int nt) {
  int group = heads / kvHeads, qblocks = (T + QB - 1) / QB, items = batch * heads * qblocks;
  float s[QB * TK], dp[QB * TK], acc[QB * D];
  for (int it = tid; it < items; it += nt) {
    int bh = it / qblocks, i0 = (it % qblocks) * QB, R = imin(QB, T - i0);
    int b = bh / heads, h = bh % heads;
    const float *K = k + (intptr_t)(b * kvHeads + h / group) * S * D, *V = v + (intptr_t)(b * kvHeads + h / group) * S * D;
    const float *rows[QB], *drows[QB];
    float rl[QB], rd[QB];
    int last[QB];
    for (int r = 0; r < QB; r++) {
      intptr_t row = (intptr_t)bh * T + i0 + imin(r, R - 1);
      rows[r] = q + row * D;
      drows[r] = dOut + row * D;
      rl[r] = lse[row];
      rd[r] = delta[row];
      last[r] = imin(offset + i0 + imin(r, R - 1), S - 1);
    }
    for (int i = 0; i < QB * D; i++) acc[i] = 0;
    for (int j0 = 0; j0 <= last[QB - 1]; j0 += TK) {
      int n = imin(TK, last[QB - 1] + 1 - j0);
      dots4(rows, K + (intptr_t)j0 * D, n, D, scale, s);
      dots4(drows, V + (intptr_t)j0 * D, n, D, 1.0f, dp);
      for (int r = 0; r < QB; r++) {
        float *sr = s + r * TK, *dr = dp + r * TK;
        int visible = imax(0, imin(n, last[r] + 1 - j0));
        exp_row(sr, visible, rl[r]);
        for (int c = 0; c < visible; c++) sr[c] = sr[c] * (dr[c] - rd[r]) * scale;
        for (int c = visible; c < n; c++) sr[c] = 0;
      }
      axpy4(acc, s, K + (intptr_t)j0 * D, n, D);
    }
    for (int r = 0; r < R; r++) {
      float *o = dq + ((intptr_t)bh * T + i0 + r) * D;
      for (int d = 0; d < D; d++) o[d] = acc[r * D + d];
    }
  }
}

/** dk, dv by blocks of 4 keys, summing over the queries (and query heads of the group) that see them. */
EXPORT void gl_attention_backward_dkv(const float *q, const float *k, const float *v, const float *lse, const float *dOut,
                                      const float *delta, float *dk, float *dv, int batch, int heads, int kvHeads, int T,
                                      int S, int D, int offset, float scale, int tid, int nt) {
  int group = heads / kvHeads, kblocks = (S + QB - 1) / QB, items = batch * kvHeads * kblocks;
  float s[QB * TK], dp[QB * TK], accK[QB * D], accV[QB * D];
  for (int it = tid; it < items; it += nt) {
    int bkv = it / kblocks, j0 = (it % kblocks) * QB, R = imin(QB, S - j0);
    int b = bkv / kvHeads, kh = bkv % kvHeads;
    const float *krows[QB], *vrows[QB];
    for (int r = 0; r < QB; r++) {
      intptr_t row = (intptr_t)bkv * S + j0 + imin(r, R - 1);
      krows[r] = k + row * D;
      vrows[r] = v + row * D;
    }
    for (int i = 0; i < QB * D; i++) accK[i] = accV[i] = 0;
    int first = imax(0, j0 - offset); // the first query that sees key j0
    for (int h = kh * group; h < (kh + 1) * group; h++) {
      intptr_t bh = (intptr_t)b * heads + h;
      const float *Q = q + bh * T * D, *G = dOut + bh * T * D;
      const float *L = lse + bh * T, *Dl = delta + bh * T;
      for (int i0 = first; i0 < T; i0 += TK) {
        int n = imin(TK, T - i0);
        dots4(krows, Q + (intptr_t)i0 * D, n, D, scale, s);
        dots4(vrows, G + (intptr_t)i0 * D, n, D, 1.0f, dp);
        for (int r = 0; r < QB; r++) {
          float *sr = s + r * TK, *dr = dp + r * TK;
          int j = j0 + imin(r, R - 1);
          // queries i0+c with c < hidden do not see key j (j > offset + i): p = ds = 0
          int hidden = imin(n, imax(0, j - offset - i0)), c = 0;
          for (; c < hidden; c++) sr[c] = dr[c] = 0;
          for (; c + 4 <= n; c += 4) { // p = exp(s - lse) for dv, ds = p (dp - delta) scale for dk
            f4 p = vexp(wasm_f32x4_sub(LOAD(sr + c), LOAD(L + i0 + c)));
            STORE(sr + c, p);
            STORE(dr + c, wasm_f32x4_mul(wasm_f32x4_mul(p, wasm_f32x4_sub(LOAD(dr + c), LOAD(Dl + i0 + c))), SPLAT(scale)));
          }
          for (; c < n; c++) {
            float p = sexp(sr[c] - L[i0 + c]);
            sr[c] = p;
            dr[c] = p * (dr[c] - Dl[i0 + c]) * scale;
          }
        }
        axpy4(accV, s, G + (intptr_t)i0 * D, n, D);
        axpy4(accK, dp, Q + (intptr_t)i0 * D, n, D);
      }
    }
    for (int r = 0; r < R; r++) {
      intptr_t row = (intptr_t)bkv * S + j0 + r;
      for (int d = 0; d < D; d++) {
        dk[row * D + d] = accK[r * D + d];
        dv[row * D + d] = accV[r * D + d];
      }
    }
  }
}
