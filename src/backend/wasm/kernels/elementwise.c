// Elementwise kernels: unary maps, activations and their derivatives, affine, binary ops over
// (rows, cols) with per-operand row strides and column strides of 0 or 1 (same shape, row or
// column broadcast, scalar), and reductions. Each thread takes a contiguous slice.
#include "vecmath.h"

enum { U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_GELU, U_SILU, U_RELU, U_ABS, U_SQUARE, U_RECIP };
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN };

#define GELU_C 0.7978845608028654f // sqrt(2/pi)

INLINE f4 vsigmoid(f4 x) {
  return wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(SPLAT(1.0f), vexp(wasm_f32x4_neg(x))));
}

/** GELU's u = √(2/π)(x + 0.044715 x³). */
INLINE f4 gelu_u(f4 x) {
  return wasm_f32x4_mul(SPLAT(GELU_C), FMA(wasm_f32x4_mul(SPLAT(0.044715f), wasm_f32x4_mul(x, x)), x, x));
}

/**
 * GELU, tanh form: ½x(1 + tanh u) computed as x·sigmoid(2u) (the same function: ½(1 + tanh u) =
 * sigmoid(2u)), which keeps its precision in the left tail where 1 + tanh u cancels, and costs one
 * exp and one division.
 */
INLINE f4 vgelu(f4 x) {
  return wasm_f32x4_mul(x, vsigmoid(wasm_f32x4_add(gelu_u(x), gelu_u(x))));
}

INLINE f4 unary1(int op, f4 x) {
  switch (op) {
    case U_NEG: return wasm_f32x4_neg(x);
    case U_EXP: return vexp(x);
    case U_LOG: return vlog(x);
    case U_SQRT: return wasm_f32x4_sqrt(x);
    case U_RSQRT: return wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_sqrt(x));
    case U_TANH: return vtanh(x);
    case U_GELU: return vgelu(x);
    case U_SILU: return wasm_f32x4_mul(x, vsigmoid(x));
    case U_RELU: return wasm_v128_and(x, wasm_f32x4_gt(x, SPLAT(0.0f)));
    case U_ABS: return wasm_f32x4_abs(x);
    case U_SQUARE: return wasm_f32x4_mul(x, x);
    default: return wasm_f32x4_div(SPLAT(1.0f), x);
  }
}

/** Loads n < 4 floats (zero-filled) and stores them back: the tails of every loop. */
INLINE f4 load_tail(const float *p, int n) {
  float t[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; i++) t[i] = p[i];
  return LOAD(t);
}
INLINE void store_tail(float *p, f4 v, int n) {
  float t[4];
  STORE(t, v);
  for (int i = 0; i < n; i++) p[i] = t[i];
}

#define UNARY_LOOP(OP)                                                     \
  for (; i + 4 <= i1; i += 4) STORE(out + i, unary1(OP, LOAD(x + i)));      \
  if (i < i1) store_tail(out + i, unary1(OP, load_tail(x + i, i1 - i)), i1 - i);

EXPORT void gl_unary(int op, const float *x, float *out, int n, int tid, int nt) {
  int i0, i1;
  share(n, 16, tid, nt, &i0, &i1);
  int i = i0;
  switch (op) { // one loop per op so the switch is outside the loop
    case U_NEG: UNARY_LOOP(U_NEG) break;
    case U_EXP: UNARY_LOOP(U_EXP) break;
    case U_LOG: UNARY_LOOP(U_LOG) break;
    case U_SQRT: UNARY_LOOP(U_SQRT) break;
    case U_RSQRT: UNARY_LOOP(U_RSQRT) break;
    case U_TANH: UNARY_LOOP(U_TANH) break;
    case U_GELU: UNARY_LOOP(U_GELU) break;
    case U_SILU: UNARY_LOOP(U_SILU) break;
    case U_RELU: UNARY_LOOP(U_RELU) break;
    case U_ABS: UNARY_LOOP(U_ABS) break;
    case U_SQUARE: UNARY_LOOP(U_SQUARE) break;
    default: UNARY_LOOP(U_RECIP) break;
  }
}

/** gelu'(x) (tanh form) or silu'(x) or relu'(x), times dy. */
INLINE f4 dact(int op, f4 x, f4 dy) {
  if (op == 0) {
    // with s = sigmoid(2u) = ½(1 + tanh u): gelu' = s + 2x·s(1 - s)·u'
    f4 u = gelu_u(x);
    f4 s = vsigmoid(wasm_f32x4_add(u, u));
    f4 du = wasm_f32x4_mul(SPLAT(GELU_C), FMA(SPLAT(3 * 0.044715f), wasm_f32x4_mul(x, x), SPLAT(1.0f)));
    f4 d = FMA(wasm_f32x4_mul(wasm_f32x4_add(x, x), wasm_f32x4_mul(s, wasm_f32x4_sub(SPLAT(1.0f), s))), du, s);
    return wasm_f32x4_mul(dy, d);
  }
  if (op == 1) {
    f4 s = vsigmoid(x);
    f4 d = wasm_f32x4_mul(s, FMA(x, wasm_f32x4_sub(SPLAT(1.0f), s), SPLAT(1.0f)));
    return wasm_f32x4_mul(dy, d);
  }
  return wasm_v128_and(dy, wasm_f32x4_gt(x, SPLAT(0.0f)));
}

#define DACT_LOOP(OP)                                                                              \
  for (; i + 4 <= i1; i += 4) STORE(dx + i, dact(OP, LOAD(x + i), LOAD(dy + i)));                  \
  if (i < i1) store_tail(dx + i, dact(OP, load_tail(x + i, i1 - i), load_tail(dy + i, i1 - i)), i1 - i);

/** op: 0 gelu, 1 silu, 2 relu. */
EXPORT void gl_activation_backward(int op, const float *x, const float *dy, float *dx, int n, int tid, int nt) {
  int i0, i1;
  share(n, 16, tid, nt, &i0, &i1);
  int i = i0;
  if (op == 0) { DACT_LOOP(0) } else if (op == 1) { DACT_LOOP(1) } else { DACT_LOOP(2) }
}

EXPORT void gl_affine(const float *x, float scale, float shift, float *out, int n, int tid, int nt) {
  int i0, i1;
  share(n, 16, tid, nt, &i0, &i1);
  f4 s = SPLAT(scale), b = SPLAT(shift);
  int i = i0;
  for (; i + 4 <= i1; i += 4) STORE(out + i, FMA(LOAD(x + i), s, b));
  for (; i < i1; i++) out[i] = x[i] * scale + shift;
}

INLINE f4 binary1(int op, f4 a, f4 b) {
  switch (op) {
    case B_ADD: return wasm_f32x4_add(a, b);
    case B_SUB: return wasm_f32x4_sub(a, b);
    case B_MUL: return wasm_f32x4_mul(a, b);
    case B_DIV: return wasm_f32x4_div(a, b);
    case B_MAX: return wasm_v128_bitselect(a, b, wasm_f32x4_gt(a, b)); // a > b ? a : b, as the reference
    default: return wasm_v128_bitselect(a, b, wasm_f32x4_lt(a, b));
  }
}

/** One row: out[j] = a[j*ca] op b[j*cb] with ca, cb in {0, 1}. */
INLINE void binary_row(int op, const float *a, int ca, const float *b, int cb, float *out, int n) {
  f4 as = SPLAT(a[0]), bs = SPLAT(b[0]);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    f4 av = ca ? LOAD(a + j) : as, bv = cb ? LOAD(b + j) : bs;
    STORE(out + j, binary1(op, av, bv));
  }
  if (j < n) {
    f4 av = ca ? load_tail(a + j, n - j) : as, bv = cb ? load_tail(b + j, n - j) : bs;
    store_tail(out + j, binary1(op, av, bv), n - j);
  }
}

#define BINARY_ROWS(OP)                                                                              \
  for (int r = r0; r < r1; r++)                                                                      \
    binary_row(OP, a + (intptr_t)r * ra, ca, b + (intptr_t)r * rb, cb, out + (intptr_t)r * cols, cols);

/** out (rows × cols, contiguous) = a op b; a row r, column j is a[r*ra + j*ca] (ca, cb ∈ {0, 1}). */
EXPORT void gl_binary(int op, const float *a, int ra, int ca, const float *b, int rb, int cb, float *out, int rows,
                      int cols, int tid, int nt) {
  int r0, r1;
  if (rows == 1 && nt > 1) { // one long row: split the columns
    int j0, j1;
    share(cols, 16, tid, nt, &j0, &j1);
    if (j0 >= j1) return;
    a += ca * j0; b += cb * j0; out += j0; cols = j1 - j0;
    r0 = 0; r1 = 1;
  } else {
    share(rows, 1, tid, nt, &r0, &r1);
  }
  switch (op) {
    case B_ADD: BINARY_ROWS(B_ADD) break;
    case B_SUB: BINARY_ROWS(B_SUB) break;
    case B_MUL: BINARY_ROWS(B_MUL) break;
    case B_DIV: BINARY_ROWS(B_DIV) break;
    case B_MAX: BINARY_ROWS(B_MAX) break;
    default: BINARY_ROWS(B_MIN) break;
  }
}

/** x viewed as (outer, len, inner) -> out (outer, inner); op 0 sum, 1 max. Threads split outer × inner. */
EXPORT void gl_reduce(int op, const float *x, int outer, int len, int inner, float *out, int tid, int nt) {
  if (inner == 1) { // rows: horizontal reductions
    int o0, o1;
    share(outer, 1, tid, nt, &o0, &o1);
    for (int o = o0; o < o1; o++) {
      const float *row = x + (intptr_t)o * len;
      int j = 0;
      if (op == 0) {
        v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
        for (; j + 4 <= len; j += 4) acc64(&lo, &hi, LOAD(row + j));
        double s = hsum64(lo, hi);
        for (; j < len; j++) s += row[j];
        out[o] = (float)s;
      } else {
        float m = -__builtin_inff();
        f4 mv = SPLAT(m);
        for (; j + 4 <= len; j += 4) {
          f4 v = LOAD(row + j);
          mv = wasm_v128_bitselect(v, mv, wasm_f32x4_gt(v, mv));
        }
        m = hmax(mv);
        for (; j < len; j++) if (row[j] > m) m = row[j];
        out[o] = m;
      }
    }
    return;
  }
  // columns: split (outer × inner) in chunks of 4 along inner when possible
  int total = outer * inner, c0, c1;
  share(total, 16, tid, nt, &c0, &c1);
  for (int c = c0; c < c1;) {
    int o = c / inner, j = c % inner;
    int n = inner - j < c1 - c ? inner - j : c1 - c;
    const float *base = x + (intptr_t)o * len * inner + j;
    float *dst = out + (intptr_t)o * inner + j;
    for (int q = 0; q < n; q++) dst[q] = op == 0 ? 0.0f : -__builtin_inff();
    for (int r = 0; r < len; r++) {
      const float *row = base + (intptr_t)r * inner;
      int q = 0;
      if (op == 0) {
        for (; q + 4 <= n; q += 4) STORE(dst + q, wasm_f32x4_add(LOAD(dst + q), LOAD(row + q)));
        for (; q < n; q++) dst[q] += row[q];
      } else {
        for (; q + 4 <= n; q += 4) {
          f4 v = LOAD(row + q), d = LOAD(dst + q);
          STORE(dst + q, wasm_v128_bitselect(v, d, wasm_f32x4_gt(v, d)));
        }
        for (; q < n; q++) if (row[q] > dst[q]) dst[q] = row[q];
      }
    }
    c += n;
  }
}

/**
 * Strided copies of up to 4 axes (float32 or int32: 4-byte elements). The contiguous side has
 * shape (n0, n1, n2, n3); the strided side reads/writes element (a, b, c, d) at a*s0 + b*s1 + c*s2 + d*s3.
 * Threads take shares of the n0·n1·n2 rows.
 */
EXPORT void gl_copy_strided4(const uint32_t *src, uint32_t *dst, int n0, int n1, int n2, int n3, int s0, int s1, int s2, int s3, int tid, int nt) {
  int r0, r1;
  share(n0 * n1 * n2, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    int a = r / (n1 * n2), b = (r / n2) % n1, c = r % n2;
    const uint32_t *s = src + (intptr_t)a * s0 + (intptr_t)b * s1 + (intptr_t)c * s2;
    uint32_t *d = dst + (intptr_t)r * n3;
    if (s3 == 1) {
      int j = 0;
      for (; j + 4 <= n3; j += 4) wasm_v128_store(d + j, wasm_v128_load(s + j));
      for (; j < n3; j++) d[j] = s[j];
    } else {
      for (int j = 0; j < n3; j++) d[j] = s[(intptr_t)j * s3];
    }
  }
}

/** The inverse: the strided side is written from the contiguous src. */
EXPORT void gl_write_strided4(const uint32_t *src, uint32_t *dst, int n0, int n1, int n2, int n3, int s0, int s1, int s2, int s3, int tid, int nt) {
  int r0, r1;
  share(n0 * n1 * n2, 1, tid, nt, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    int a = r / (n1 * n2), b = (r / n2) % n1, c = r % n2;
    uint32_t *d = dst + (intptr_t)a * s0 + (intptr_t)b * s1 + (intptr_t)c * s2;
    const uint32_t *s = src + (intptr_t)r * n3;
    if (s3 == 1) {
      int j = 0;
      for (; j + 4 <= n3; j += 4) wasm_v128_store(d + j, wasm_v128_load(s + j));
      for (; j < n3; j++) d[j] = s[j];
    } else {
      for (int j = 0; j < n3; j++) d[(intptr_t)j * s3] = s[j];
    }
  }
}
