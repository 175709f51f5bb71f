// Activations rounded to int8 per block of 32, as llama.cpp's Q8_0 × Q8_0 path does: one scale
// per block (max |x| / 127) and q = round(x / scale), |q| ≤ 127. Shared by the decode products
// (quantized.c) and the prefill product (q8gemm.c), which store q in their own forms.
#pragma once
#include "common.h"

/** Sets *scale = max|x| / 127 over x[0 … 32) and returns 127 / max|x| in every lane (0 for a block of zeros). */
INLINE f4 q8_block_scale(const float *x, float *scale) {
  f4 m = SPLAT(0);
  for (int k = 0; k < 8; k++) m = wasm_f32x4_max(m, wasm_f32x4_abs(LOAD(x + 4 * k)));
  float amax = hmax(m);
  *scale = amax / 127.0f;
  return SPLAT(amax > 0 ? 127.0f / amax : 0.0f);
}

/** x[0 … 16) · inv rounded to the nearest (ties to even), as 16 int8 lanes. */
INLINE v128_t q8_round16(const float *x, f4 inv) {
  v128_t i0 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(LOAD(x), inv)));
  v128_t i1 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(LOAD(x + 4), inv)));
  v128_t i2 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(LOAD(x + 8), inv)));
  v128_t i3 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(LOAD(x + 12), inv)));
  return wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(i0, i1), wasm_i16x8_narrow_i32x4(i2, i3));
}

/** Σ of 16 int8 lanes, in each of 4 int32 lanes' share (add the lanes for the total). */
INLINE v128_t q8_sum16(v128_t q) { return wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extadd_pairwise_i8x16(q)); }

/**
 * -128 · Σ of a block's 32 int8 values (q0, q1: its two halves): the correction of a product whose
 * other operand is read as w + 128 (Σ q·w = Σ q·(w + 128) - 128 · Σ q).
 */
INLINE int32_t q8_block_correction(v128_t q0, v128_t q1) {
  v128_t sum = wasm_i32x4_add(q8_sum16(q0), q8_sum16(q1));
  sum = wasm_i32x4_add(sum, wasm_i32x4_shuffle(sum, sum, 2, 3, 0, 1));
  sum = wasm_i32x4_add(sum, wasm_i32x4_shuffle(sum, sum, 1, 0, 3, 2));
  return -128 * wasm_i32x4_extract_lane(sum, 0);
}
