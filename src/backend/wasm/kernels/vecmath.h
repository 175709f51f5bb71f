// Vector exp, log and tanh for f32x4 (Cephes single-precision polynomials with range
// reduction; about 1-2 ulp, i.e. ~1e-7 relative), plus scalar wrappers.
#pragma once
#include "common.h"

/** e^x: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n built in the exponent bits. */
INLINE f4 vexp(f4 x0) {
  f4 x = wasm_f32x4_min(x0, SPLAT(88.3762626647949f));
  x = wasm_f32x4_max(x, SPLAT(-88.3762626647949f));
  f4 fx = wasm_f32x4_floor(FMA(x, SPLAT(1.44269504088896341f), SPLAT(0.5f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, SPLAT(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, SPLAT(-2.12194440e-4f)));
  f4 z = wasm_f32x4_mul(x, x);
  f4 y = SPLAT(1.9875691500E-4f);
  y = FMA(y, x, SPLAT(1.3981999507E-3f));
  y = FMA(y, x, SPLAT(8.3334519073E-3f));
  y = FMA(y, x, SPLAT(4.1665795894E-2f));
  y = FMA(y, x, SPLAT(1.6666665459E-1f));
  y = FMA(y, x, SPLAT(5.0000001201E-1f));
  y = FMA(y, z, wasm_f32x4_add(x, SPLAT(1.0f)));
  v128_t n = wasm_i32x4_trunc_sat_f32x4(fx);
  v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(127)), 23);
  f4 r = wasm_f32x4_mul(y, pow2n);
  return wasm_v128_bitselect(SPLAT(__builtin_inff()), r, wasm_f32x4_gt(x0, SPLAT(88.72283905206835f)));
}

/** Natural log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by a polynomial in m - 1. */
INLINE f4 vlog(f4 x0) {
  // subnormal inputs are scaled by 2^23 first (and 23 is taken off the exponent)
  v128_t sub = wasm_v128_and(wasm_f32x4_lt(x0, SPLAT(1.17549435e-38f)), wasm_f32x4_gt(x0, SPLAT(0.0f)));
  v128_t bits = wasm_v128_bitselect(wasm_f32x4_mul(x0, SPLAT(8388608.0f)), x0, sub);
  v128_t e = wasm_i32x4_sub(wasm_u32x4_shr(bits, 23), wasm_i32x4_splat(126)); // x = m * 2^e, m in [0.5, 1)
  e = wasm_i32x4_sub(e, wasm_v128_and(sub, wasm_i32x4_splat(23)));
  f4 m = wasm_v128_or(wasm_v128_and(bits, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x3f000000));
  v128_t small = wasm_f32x4_lt(m, SPLAT(0.707106781186547524f));
  e = wasm_i32x4_add(e, small); // true lanes are -1
  f4 x = wasm_f32x4_sub(wasm_f32x4_add(m, wasm_v128_and(small, m)), SPLAT(1.0f));
  f4 fe = wasm_f32x4_convert_i32x4(e);
  f4 z = wasm_f32x4_mul(x, x);
  f4 y = SPLAT(7.0376836292E-2f);
  y = FMA(y, x, SPLAT(-1.1514610310E-1f));
  y = FMA(y, x, SPLAT(1.1676998740E-1f));
  y = FMA(y, x, SPLAT(-1.2420140846E-1f));
  y = FMA(y, x, SPLAT(1.4249322787E-1f));
  y = FMA(y, x, SPLAT(-1.6668057665E-1f));
  y = FMA(y, x, SPLAT(2.0000714765E-1f));
  y = FMA(y, x, SPLAT(-2.4999993993E-1f));
  y = FMA(y, x, SPLAT(3.3333331174E-1f));
  y = wasm_f32x4_mul(wasm_f32x4_mul(y, x), z);
  y = FMA(fe, SPLAT(-2.12194440e-4f), y);
  y = FMA(z, SPLAT(-0.5f), y);
  f4 r = wasm_f32x4_add(wasm_f32x4_add(x, y), wasm_f32x4_mul(fe, SPLAT(0.693359375f)));
  // special cases: log(0) = -inf, log(x<0) = NaN, log(inf) = inf, NaN stays NaN
  r = wasm_v128_bitselect(SPLAT(-__builtin_inff()), r, wasm_f32x4_eq(x0, SPLAT(0.0f)));
  r = wasm_v128_bitselect(SPLAT(__builtin_nanf("")), r, wasm_f32x4_lt(x0, SPLAT(0.0f)));
  r = wasm_v128_bitselect(x0, r, wasm_v128_or(wasm_f32x4_ne(x0, x0), wasm_f32x4_eq(x0, SPLAT(__builtin_inff()))));
  return r;
}

/** tanh: an odd polynomial for |x| < 0.625, else 1 - 2 / (e^{2|x|} + 1), with the sign restored. */
INLINE f4 vtanh(f4 x) {
  f4 ax = wasm_f32x4_abs(x);
  f4 z = wasm_f32x4_mul(x, x);
  f4 p = SPLAT(-5.70498872745E-3f);
  p = FMA(p, z, SPLAT(2.06390887954E-2f));
  p = FMA(p, z, SPLAT(-5.37397155531E-2f));
  p = FMA(p, z, SPLAT(1.33314422036E-1f));
  p = FMA(p, z, SPLAT(-3.33332819422E-1f));
  f4 small = FMA(wasm_f32x4_mul(p, z), x, x);
  f4 e = vexp(wasm_f32x4_add(ax, ax));
  f4 big = wasm_f32x4_sub(SPLAT(1.0f), wasm_f32x4_div(SPLAT(2.0f), wasm_f32x4_add(e, SPLAT(1.0f))));
  big = wasm_v128_or(big, wasm_v128_and(x, wasm_i32x4_splat(0x80000000))); // copy the sign
  return wasm_v128_bitselect(small, big, wasm_f32x4_lt(ax, SPLAT(0.625f)));
}

INLINE float sexp(float x) { return wasm_f32x4_extract_lane(vexp(SPLAT(x)), 0); }
INLINE float slog(float x) { return wasm_f32x4_extract_lane(vlog(SPLAT(x)), 0); }
