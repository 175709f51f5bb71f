// LayerNorm and RMSNorm over rows, forward and backward (as llm.c). Row statistics are summed in
// float64. The backward writes dx per row and, per thread, partial sums of dw (and db) into that
// thread's scratch; gl_norm_reduce adds the partials into dw/db afterwards (no races).
#include "vecmath.h"

EXPORT void gl_layer_norm(const float *x, const float *w, const float *b, float *out, float *mean, float *rstd, int rows,
                          int cols, float eps, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    const float *xr = x + (intptr_t)r * cols;
    float *yr = out + (intptr_t)r * cols;
    float m = (float)(sum64(xr, cols) / cols);
    f4 mv = SPLAT(m);
    v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      f4 d = wasm_f32x4_sub(LOAD(xr + j), mv);
      acc64(&lo, &hi, wasm_f32x4_mul(d, d));
    }
    double v = hsum64(lo, hi);
    for (; j < cols; j++) v += (double)(xr[j] - m) * (xr[j] - m);
    float s = (float)(1.0 / __builtin_sqrt(v / cols + eps));
    f4 sv = SPLAT(s);
    for (j = 0; j + 4 <= cols; j += 4)
      STORE(yr + j, wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(LOAD(xr + j), mv), sv), LOAD(w + j)), LOAD(b + j)));
    for (; j < cols; j++) yr[j] = (xr[j] - m) * s * w[j] + b[j];
    mean[r] = m;
    rstd[r] = s;
  }
}

/** dx rows; partial dw, db of this thread's rows into pdw, pdb (cols each). */
EXPORT void gl_layer_norm_backward(const float *dy, const float *x, const float *w, const float *mean, const float *rstd,
                                   float *dx, float *pdw, float *pdb, int rows, int cols, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  float *tdw = pdw + (intptr_t)tid * cols, *tdb = pdb + (intptr_t)tid * cols;
  for (int j = 0; j < cols; j++) tdw[j] = tdb[j] = 0.0f;
  for (int r = r0; r < r1; r++) {
    intptr_t o = (intptr_t)r * cols;
    f4 mv = SPLAT(mean[r]), sv = SPLAT(rstd[r]);
    v128_t a0 = wasm_f64x2_splat(0), a1 = wasm_f64x2_splat(0), b0 = wasm_f64x2_splat(0), b1 = wasm_f64x2_splat(0);
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      f4 norm = wasm_f32x4_mul(wasm_f32x4_sub(LOAD(x + o + j), mv), sv);
      f4 dnorm = wasm_f32x4_mul(LOAD(dy + o + j), LOAD(w + j));
      acc64(&a0, &a1, dnorm);
      acc64(&b0, &b1, wasm_f32x4_mul(dnorm, norm));
    }
    double dm = hsum64(a0, a1), dnm = hsum64(b0, b1);
    float m = mean[r], s = rstd[r];
    for (int q = j; q < cols; q++) {
      float norm = (x[o + q] - m) * s, dnorm = dy[o + q] * w[q];
      dm += dnorm;
      dnm += dnorm * norm;
    }
    f4 dmv = SPLAT((float)(dm / cols)), dnmv = SPLAT((float)(dnm / cols));
    for (j = 0; j + 4 <= cols; j += 4) {
      f4 g = LOAD(dy + o + j);
      f4 norm = wasm_f32x4_mul(wasm_f32x4_sub(LOAD(x + o + j), mv), sv);
      f4 dnorm = wasm_f32x4_mul(g, LOAD(w + j));
      STORE(tdb + j, wasm_f32x4_add(LOAD(tdb + j), g));
      STORE(tdw + j, FMA(norm, g, LOAD(tdw + j)));
      STORE(dx + o + j, wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_sub(dnorm, dmv), wasm_f32x4_mul(norm, dnmv)), sv));
    }
    float dmf = (float)(dm / cols), dnmf = (float)(dnm / cols);
    for (; j < cols; j++) {
      float g = dy[o + j], norm = (x[o + j] - m) * s, dnorm = g * w[j];
      tdb[j] += g;
      tdw[j] += norm * g;
      dx[o + j] = (dnorm - dmf - norm * dnmf) * s;
    }
  }
}

/** dst[j] += Σ_t partial[t*cols + j] for t < nparts; threads split the columns. */
EXPORT void gl_norm_reduce(const float *partial, int nparts, float *dst, int cols, int tid, int nt) {
  int j0, j1;
  share(cols, 16, tid, nt, &j0, &j1);
  for (int t = 0; t < nparts; t++) {
    const float *p = partial + (intptr_t)t * cols;
    int j = j0;
    for (; j + 4 <= j1; j += 4) STORE(dst + j, wasm_f32x4_add(LOAD(dst + j), LOAD(p + j)));
    for (; j < j1; j++) dst[j] += p[j];
  }
}

EXPORT void gl_rms_norm(const float *x, const float *w, float *out, float *rstd, int rows, int cols, float eps, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    const float *xr = x + (intptr_t)r * cols;
    float *yr = out + (intptr_t)r * cols;
    v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      f4 v = LOAD(xr + j);
      acc64(&lo, &hi, wasm_f32x4_mul(v, v));
    }
    double ss = hsum64(lo, hi);
    for (; j < cols; j++) ss += (double)xr[j] * xr[j];
    float s = (float)(1.0 / __builtin_sqrt(ss / cols + eps));
    f4 sv = SPLAT(s);
    for (j = 0; j + 4 <= cols; j += 4) STORE(yr + j, wasm_f32x4_mul(wasm_f32x4_mul(LOAD(xr + j), sv), LOAD(w + j)));
    for (; j < cols; j++) yr[j] = xr[j] * s * w[j];
    rstd[r] = s;
  }
}

/** dx = s (dy w - x s² mean(dy w x)); partial dw of this thread's rows into pdw. */
EXPORT void gl_rms_norm_backward(const float *dy, const float *x, const float *w, const float *rstd, float *dx, float *pdw,
                                 int rows, int cols, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  float *tdw = pdw + (intptr_t)tid * cols;
  for (int j = 0; j < cols; j++) tdw[j] = 0.0f;
  for (int r = r0; r < r1; r++) {
    intptr_t o = (intptr_t)r * cols;
    float s = rstd[r];
    v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
    int j = 0;
    for (; j + 4 <= cols; j += 4) acc64(&lo, &hi, wasm_f32x4_mul(wasm_f32x4_mul(LOAD(dy + o + j), LOAD(w + j)), LOAD(x + o + j)));
    double dot = hsum64(lo, hi);
    for (int q = j; q < cols; q++) dot += dy[o + q] * w[q] * x[o + q];
    float c = (float)(dot / cols) * s * s;
    f4 sv = SPLAT(s), cv = SPLAT(c);
    for (j = 0; j + 4 <= cols; j += 4) {
      f4 g = LOAD(dy + o + j), xv = LOAD(x + o + j);
      STORE(tdw + j, FMA(wasm_f32x4_mul(g, xv), sv, LOAD(tdw + j)));
      STORE(dx + o + j, wasm_f32x4_mul(sv, wasm_f32x4_sub(wasm_f32x4_mul(g, LOAD(w + j)), wasm_f32x4_mul(xv, cv))));
    }
    for (; j < cols; j++) {
      tdw[j] += dy[o + j] * x[o + j] * s;
      dx[o + j] = s * (dy[o + j] * w[j] - x[o + j] * c);
    }
  }
}
