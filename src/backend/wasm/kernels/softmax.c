// Row softmax, log-softmax and cross-entropy, forward and backward (max subtracted first; sums
// of exponentials accumulated in float64). Threads split the rows.
#include "vecmath.h"

INLINE float row_max(const float *x, int n) {
  f4 mv = SPLAT(-__builtin_inff());
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    f4 v = LOAD(x + j);
    mv = wasm_v128_bitselect(v, mv, wasm_f32x4_gt(v, mv));
  }
  float m = hmax(mv);
  for (; j < n; j++) if (x[j] > m) m = x[j];
  return m;
}

/** Σ exp(x[j] - max); writes the exponentials to e when e is not null. */
INLINE double sum_exp(const float *x, int n, float max, float *e) {
  v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
  f4 mv = SPLAT(max);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    f4 v = vexp(wasm_f32x4_sub(LOAD(x + j), mv));
    if (e) STORE(e + j, v);
    acc64(&lo, &hi, v);
  }
  double s = hsum64(lo, hi);
  for (; j < n; j++) {
    float v = sexp(x[j] - max);
    if (e) e[j] = v;
    s += v;
  }
  return s;
}

/** logsumexp of a row (-inf for an all -inf row). */
INLINE float row_lse(const float *x, int n) {
  float m = row_max(x, n);
  if (m == -__builtin_inff()) return m;
  return m + slog((float)sum_exp(x, n, m, 0));
}

INLINE void scale_row(float *y, int n, float s) {
  f4 sv = SPLAT(s);
  int j = 0;
  for (; j + 4 <= n; j += 4) STORE(y + j, wasm_f32x4_mul(LOAD(y + j), sv));
  for (; j < n; j++) y[j] *= s;
}

/** Σ a[j] b[j] in float64 lanes. */
INLINE double dot64(const float *a, const float *b, int n) {
  v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
  int j = 0;
  for (; j + 4 <= n; j += 4) acc64(&lo, &hi, wasm_f32x4_mul(LOAD(a + j), LOAD(b + j)));
  double s = hsum64(lo, hi);
  for (; j < n; j++) s += a[j] * b[j];
  return s;
}

EXPORT void gl_softmax(const float *x, float *out, int rows, int cols, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    const float *xr = x + (intptr_t)r * cols;
    float *yr = out + (intptr_t)r * cols;
    double s = sum_exp(xr, cols, row_max(xr, cols), yr);
    scale_row(yr, cols, (float)(1.0 / s));
  }
}

/** dx = y * (dy - Σ dy·y) */
EXPORT void gl_softmax_backward(const float *y, const float *dy, float *dx, int rows, int cols, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    intptr_t o = (intptr_t)r * cols;
    f4 d = SPLAT((float)dot64(dy + o, y + o, cols));
    int j = 0;
    for (; j + 4 <= cols; j += 4) STORE(dx + o + j, wasm_f32x4_mul(LOAD(y + o + j), wasm_f32x4_sub(LOAD(dy + o + j), d)));
    float ds = wasm_f32x4_extract_lane(d, 0);
    for (; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - ds);
  }
}

EXPORT void gl_log_softmax(const float *x, float *out, int rows, int cols, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    intptr_t o = (intptr_t)r * cols;
    float lse = row_lse(x + o, cols);
    f4 l = SPLAT(lse);
    int j = 0;
    for (; j + 4 <= cols; j += 4) STORE(out + o + j, wasm_f32x4_sub(LOAD(x + o + j), l));
    for (; j < cols; j++) out[o + j] = x[o + j] - lse;
  }
}

/** dx = dy - exp(y) Σ dy */
EXPORT void gl_log_softmax_backward(const float *y, const float *dy, float *dx, int rows, int cols, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    intptr_t o = (intptr_t)r * cols;
    float s = (float)sum64(dy + o, cols);
    f4 sv = SPLAT(s);
    int j = 0;
    for (; j + 4 <= cols; j += 4)
      STORE(dx + o + j, wasm_f32x4_sub(LOAD(dy + o + j), wasm_f32x4_mul(vexp(LOAD(y + o + j)), sv)));
    for (; j < cols; j++) dx[o + j] = dy[o + j] - sexp(y[o + j]) * s;
  }
}

/** losses[r] = logsumexp(row) - row[target]; target < 0 gives 0. */
EXPORT void gl_cross_entropy(const float *logits, const int *targets, float *losses, int rows, int vocab, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    int t = targets[r];
    const float *x = logits + (intptr_t)r * vocab;
    losses[r] = t < 0 ? 0.0f : row_lse(x, vocab) - x[t];
  }
}

/** dLogits[r] = (softmax(row) - onehot(target)) * dLoss[r]; zero rows where the target is ignored. */
EXPORT void gl_cross_entropy_backward(const float *logits, const int *targets, const float *dLoss, float *dLogits, int rows,
                                      int vocab, int tid, int nt) {
  int r0, r1;
  share(rows, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    int t = targets[r];
    const float *x = logits + (intptr_t)r * vocab;
    float *d = dLogits + (intptr_t)r * vocab;
    if (t < 0) {
      for (int j = 0; j < vocab; j++) d[j] = 0.0f;
      continue;
    }
    float m = row_max(x, vocab);
    double s = sum_exp(x, vocab, m, d);
    scale_row(d, vocab, (float)(dLoss[r] / s));
    d[t] -= dLoss[r];
  }
}
