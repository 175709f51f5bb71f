// Vector exp and log for f32x4 (Cephes single-precision polynomials with range reduction; about
// 1-2 ulp, i.e. ~1e-7 relative), tanh (a rational function, < 4e-7 relative), scalar wrappers.
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

/**
 * tanh as a rational function: x·P(x²)/Q(x²) with P of degree 6 and Q of degree 3 in x², x clamped
 * to ±7.9053 (beyond it tanh is ±1 to float32 precision): relative error under 4e-7, and one
 * division instead of an exp (the coefficients are those of Eigen's fast float tanh).
 */
INLINE f4 vtanh(f4 x0) {
  f4 x = wasm_f32x4_min(wasm_f32x4_max(x0, SPLAT(-7.90531110763549805f)), SPLAT(7.90531110763549805f));
  f4 z = wasm_f32x4_mul(x, x);
  f4 p = SPLAT(-2.76076847742355e-16f);
  p = FMA(p, z, SPLAT(2.00018790482477e-13f));
  p = FMA(p, z, SPLAT(-8.60467152213735e-11f));
  p = FMA(p, z, SPLAT(5.12229709037114e-08f));
  p = FMA(p, z, SPLAT(1.48572235717979e-05f));
  p = FMA(p, z, SPLAT(6.37261928875436e-04f));
  p = FMA(p, z, SPLAT(4.89352455891786e-03f));
  f4 q = SPLAT(1.19825839466702e-06f);
  q = FMA(q, z, SPLAT(1.18534705686654e-04f));
  q = FMA(q, z, SPLAT(2.26843463243900e-03f));
  q = FMA(q, z, SPLAT(4.89352518554385e-03f));
  f4 r = wasm_f32x4_div(wasm_f32x4_mul(x, p), q);
  // exactly ±1 from the clamp on (so that 1 + tanh is 0, as in GELU's far left tail); NaN stays NaN
  f4 one = wasm_v128_or(SPLAT(1.0f), wasm_v128_and(x0, wasm_i32x4_splat(0x80000000)));
  r = wasm_v128_bitselect(one, r, wasm_f32x4_ge(wasm_f32x4_abs(x0), SPLAT(7.90531110763549805f)));
  return wasm_v128_bitselect(x0, r, wasm_f32x4_ne(x0, x0));
}

INLINE float sexp(float x) { return wasm_f32x4_extract_lane(vexp(SPLAT(x)), 0); }
INLINE float slog(float x) { return wasm_f32x4_extract_lane(vlog(SPLAT(x)), 0); }
