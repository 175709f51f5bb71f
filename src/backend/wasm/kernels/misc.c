// Rotary embedding, embedding gather/scatter-add and the AdamW step.
#include "common.h"

/**
 * x, out: (batch, seq, heads, dim). cs holds (seq, half) cosines then (seq, half) sines, computed
 * by the caller exactly as the reference does (angle rounded to float32); sines already negated
 * for the inverse rotation. Threads split the (batch·seq) rows.
 */
EXPORT void gl_rope(const float *x, float *out, const float *cs, int batch, int seq, int heads, int dim, int tid, int nt) {
  int half = dim >> 1, r0, r1;
  share(batch * seq, 1, tid, nt, &r0, &r1);
  const float *sn = cs + (intptr_t)seq * half;
  for (int r = r0; r < r1; r++) {
    int t = r % seq;
    const float *c = cs + (intptr_t)t * half, *s = sn + (intptr_t)t * half;
    for (int h = 0; h < heads; h++) {
      intptr_t o = ((intptr_t)r * heads + h) * dim;
      const float *x1 = x + o, *x2 = x + o + half;
      float *y1 = out + o, *y2 = out + o + half;
      int j = 0;
      for (; j + 4 <= half; j += 4) {
        f4 a = LOAD(x1 + j), b = LOAD(x2 + j), cv = LOAD(c + j), sv = LOAD(s + j);
        STORE(y1 + j, wasm_f32x4_sub(wasm_f32x4_mul(a, cv), wasm_f32x4_mul(b, sv)));
        STORE(y2 + j, wasm_f32x4_add(wasm_f32x4_mul(b, cv), wasm_f32x4_mul(a, sv)));
      }
      for (; j < half; j++) {
        float a = x1[j], b = x2[j];
        y1[j] = a * c[j] - b * s[j];
        y2[j] = b * c[j] + a * s[j];
      }
      if (dim & 1) out[o + dim - 1] = x[o + dim - 1]; // odd dims: the reference leaves it (never happens)
    }
  }
}

INLINE void copy_row(const float *src, float *dst, int n) {
  int j = 0;
  for (; j + 4 <= n; j += 4) STORE(dst + j, LOAD(src + j));
  for (; j < n; j++) dst[j] = src[j];
}

/** out[i] = table[ids[i]]; threads split the ids. */
EXPORT void gl_gather(const float *table, const int *ids, float *out, int count, int cols, int tid, int nt) {
  int i0, i1;
  share(count, 1, tid, nt, &i0, &i1);
  for (int i = i0; i < i1; i++) copy_row(table + (intptr_t)ids[i] * cols, out + (intptr_t)i * cols, cols);
}

/** dTable[ids[i]] += dOut[i]; threads split the columns (ids may repeat). */
EXPORT void gl_scatter_add(const float *dOut, const int *ids, float *dTable, int count, int cols, int tid, int nt) {
  int j0, j1;
  share(cols, 16, tid, nt, &j0, &j1);
  for (int i = 0; i < count; i++) {
    const float *src = dOut + (intptr_t)i * cols;
    float *dst = dTable + (intptr_t)ids[i] * cols;
    int j = j0;
    for (; j + 4 <= j1; j += 4) STORE(dst + j, wasm_f32x4_add(LOAD(dst + j), LOAD(src + j)));
    for (; j < j1; j++) dst[j] += src[j];
  }
}

/** One AdamW step in place; c1, c2 are the bias corrections 1 - beta^step. */
EXPORT void gl_adamw(float *param, const float *grad, float *m, float *v, int n, float lr, float beta1, float beta2, float eps,
                     float wd, float c1, float c2, int tid, int nt) {
  int i0, i1;
  share(n, 16, tid, nt, &i0, &i1);
  f4 b1 = SPLAT(beta1), b2 = SPLAT(beta2), ob1 = SPLAT(1 - beta1), ob2 = SPLAT(1 - beta2);
  f4 ic1 = SPLAT(1 / c1), ic2 = SPLAT(1 / c2), lrv = SPLAT(lr), epsv = SPLAT(eps), wdv = SPLAT(wd);
  int i = i0;
  for (; i + 4 <= i1; i += 4) {
    f4 g = LOAD(grad + i), p = LOAD(param + i);
    f4 mv = FMA(b1, LOAD(m + i), wasm_f32x4_mul(ob1, g));
    f4 vv = FMA(b2, LOAD(v + i), wasm_f32x4_mul(wasm_f32x4_mul(ob2, g), g));
    STORE(m + i, mv);
    STORE(v + i, vv);
    f4 upd = wasm_f32x4_div(wasm_f32x4_mul(mv, ic1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vv, ic2)), epsv));
    STORE(param + i, wasm_f32x4_sub(p, wasm_f32x4_mul(lrv, FMA(wdv, p, upd))));
  }
  for (; i < i1; i++) {
    float g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    param[i] -= lr * (m[i] / c1 / (__builtin_sqrtf(v[i] / c2) + eps) + wd * param[i]);
  }
}

/** Σ x[i] over this thread's share of n floats: a streaming read, for measuring memory bandwidth. */
EXPORT float gl_stream_sum(const float *x, int n, float *out, int tid, int nt) {
  int i0, i1;
  share(n, 64, tid, nt, &i0, &i1);
  f4 s0 = SPLAT(0), s1 = SPLAT(0), s2 = SPLAT(0), s3 = SPLAT(0);
  int i = i0;
  for (; i + 16 <= i1; i += 16) {
    s0 = wasm_f32x4_add(s0, LOAD(x + i));
    s1 = wasm_f32x4_add(s1, LOAD(x + i + 4));
    s2 = wasm_f32x4_add(s2, LOAD(x + i + 8));
    s3 = wasm_f32x4_add(s3, LOAD(x + i + 12));
  }
  float s = hsum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
  for (; i < i1; i++) s += x[i];
  out[tid] = s;
  return s;
}

/**
 * The arithmetic peak of this build on one thread, for benchmarks: `iters` rounds of 12 independent
 * f32x4 chains (6 multiplies and 6 adds, or 12 fused multiply-adds in the relaxed build), the mix a
 * matmul needs, with enough chains to cover the latencies. Returns the flops done per round.
 */
EXPORT int gl_peak_round_flops(void) {
#ifdef GL_RELAXED
  return 12 * 8;
#else
  return 12 * 4;
#endif
}

EXPORT float gl_peak(int iters, int tid, int nt) {
  f4 m = SPLAT(0.99999994f), c = SPLAT(1e-7f);
  f4 a0 = SPLAT(1), a1 = SPLAT(2), a2 = SPLAT(3), a3 = SPLAT(4), a4 = SPLAT(5), a5 = SPLAT(6);
  f4 b0 = SPLAT(1), b1 = SPLAT(2), b2 = SPLAT(3), b3 = SPLAT(4), b4 = SPLAT(5), b5 = SPLAT(6);
  for (int i = 0; i < iters; i++) {
#ifdef GL_RELAXED
    a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); a3 = FMA(a3, m, c); a4 = FMA(a4, m, c); a5 = FMA(a5, m, c);
    b0 = FMA(b0, m, c); b1 = FMA(b1, m, c); b2 = FMA(b2, m, c); b3 = FMA(b3, m, c); b4 = FMA(b4, m, c); b5 = FMA(b5, m, c);
#else
    a0 = wasm_f32x4_mul(a0, m); a1 = wasm_f32x4_mul(a1, m); a2 = wasm_f32x4_mul(a2, m);
    a3 = wasm_f32x4_mul(a3, m); a4 = wasm_f32x4_mul(a4, m); a5 = wasm_f32x4_mul(a5, m);
    b0 = wasm_f32x4_add(b0, c); b1 = wasm_f32x4_add(b1, c); b2 = wasm_f32x4_add(b2, c);
    b3 = wasm_f32x4_add(b3, c); b4 = wasm_f32x4_add(b4, c); b5 = wasm_f32x4_add(b5, c);
#endif
  }
  f4 s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)), wasm_f32x4_add(a4, a5));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(b0, b1), wasm_f32x4_add(b2, b3)), wasm_f32x4_add(b4, b5)));
  return hsum(s);
}

/**
 * The integer dot-product rate of this build on one thread, for benchmarks (what an int8 kernel
 * could gain over float): `iters` rounds of 12 chains, each step feeding the chain's next one.
 * kind 0: i32x4.dot_i16x8_s then an add (8 multiply-adds a step); kind 1 (relaxed build only):
 * i32x4.relaxed_dot_i8x16_i7x16_add_s (16 a step). Returns the multiply-adds done, 0 when the
 * build lacks the instruction.
 */
EXPORT int gl_peak_int(int kind, int iters) {
  v128_t a[12];
  for (int k = 0; k < 12; k++) a[k] = wasm_i32x4_splat(k + 1);
  v128_t y0 = wasm_i16x8_splat(3), y1 = wasm_i16x8_splat(5), y2 = wasm_i16x8_splat(7), y3 = wasm_i16x8_splat(9);
  if (kind == 0) {
    for (int i = 0; i < iters; i++)
      for (int k = 0; k < 12; k++) a[k] = wasm_i32x4_add(a[k], wasm_i32x4_dot_i16x8(a[k], (k & 3) == 0 ? y0 : (k & 3) == 1 ? y1 : (k & 3) == 2 ? y2 : y3));
  } else {
#ifdef GL_RELAXED
    for (int i = 0; i < iters; i++)
      for (int k = 0; k < 12; k++) a[k] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a[k], (k & 3) == 0 ? y0 : (k & 3) == 1 ? y1 : (k & 3) == 2 ? y2 : y3, a[k]);
#else
    return 0;
#endif
  }
  v128_t s = a[0];
  for (int k = 1; k < 12; k++) s = wasm_i32x4_add(s, a[k]);
  // the sum is returned through memory-free arithmetic so the loop cannot be removed
  return wasm_i32x4_extract_lane(s, 0) == 0x7fffffff ? 0 : iters * 12 * (kind == 0 ? 8 : 16);
}

volatile uint32_t gl_touch_sink;
