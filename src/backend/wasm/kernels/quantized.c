// Weight-only int8 matmul over GGUF Q8_0 blocks: each weight row is K/32 blocks of 34 bytes
// (a float16 scale d, then 32 int8 q), weight = d * q. out (M x N) = X (M x K) · Wᵀ.
// One row (decode): x is quantized per block of 32 to int16 with its own scale (relative error
// ~1.5e-5), and each weight block is a 32-term integer dot product (i32x4.dot_i16x8_s), so each
// weight byte is read once and costs few instructions. Several rows (prefill) dequantize a weight
// row once into scratch and reuse it for every x row.
#include "common.h"

#define QK 32
#define BLOCK_BYTES 34

/** IEEE half -> float, subnormals included. */
INLINE float f16_to_f32(uint32_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) {
    float f = (float)mant * 5.9604644775390625e-8f; // mant · 2^-24
    return sign ? -f : f;
  }
  uint32_t bits = exp == 31 ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112) << 23) | (mant << 13));
  union { uint32_t u; float f; } v = { bits };
  return v.f;
}

/** The 32 int8 of a block, widened to 8 float vectors. */
INLINE void widen32(const int8_t *q, f4 out[8]) {
  v128_t lo = wasm_v128_load(q), hi = wasm_v128_load(q + 16);
  v128_t h[4] = { wasm_i16x8_extend_low_i8x16(lo), wasm_i16x8_extend_high_i8x16(lo), wasm_i16x8_extend_low_i8x16(hi), wasm_i16x8_extend_high_i8x16(hi) };
  for (int k = 0; k < 4; k++) {
    out[2 * k] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(h[k]));
    out[2 * k + 1] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(h[k]));
  }
}

/** Σ_p x[p] · w[p] for one Q8_0 row. */
INLINE float dot_q8(const float *x, const uint8_t *row, int blocks) {
  f4 acc = SPLAT(0);
  for (int b = 0; b < blocks; b++) {
    const uint8_t *blk = row + b * BLOCK_BYTES;
    f4 q[8];
    widen32((const int8_t *)(blk + 2), q);
    const float *xb = x + b * QK;
    f4 s0 = wasm_f32x4_mul(LOAD(xb), q[0]), s1 = wasm_f32x4_mul(LOAD(xb + 4), q[1]);
    s0 = FMA(LOAD(xb + 8), q[2], s0);
    s1 = FMA(LOAD(xb + 12), q[3], s1);
    s0 = FMA(LOAD(xb + 16), q[4], s0);
    s1 = FMA(LOAD(xb + 20), q[5], s1);
    s0 = FMA(LOAD(xb + 24), q[6], s0);
    s1 = FMA(LOAD(xb + 28), q[7], s1);
    acc = FMA(SPLAT(f16_to_f32(blk[0] | ((uint32_t)blk[1] << 8))), wasm_f32x4_add(s0, s1), acc);
  }
  return hsum(acc);
}

/** w[0 … K) = the dequantized row. */
INLINE void dequant_row(const uint8_t *row, int blocks, float *w) {
  for (int b = 0; b < blocks; b++) {
    const uint8_t *blk = row + b * BLOCK_BYTES;
    f4 q[8];
    widen32((const int8_t *)(blk + 2), q);
    f4 d = SPLAT(f16_to_f32(blk[0] | ((uint32_t)blk[1] << 8)));
    for (int k = 0; k < 8; k++) STORE(w + b * QK + 4 * k, wasm_f32x4_mul(d, q[k]));
  }
}

/** Σ_p x[p] · w[p], both float. */
INLINE float dot_f32(const float *x, const float *w, int K) {
  f4 s0 = SPLAT(0), s1 = SPLAT(0);
  int p = 0;
  for (; p + 8 <= K; p += 8) {
    s0 = FMA(LOAD(x + p), LOAD(w + p), s0);
    s1 = FMA(LOAD(x + p + 4), LOAD(w + p + 4), s1);
  }
  return hsum(wasm_f32x4_add(s0, s1));
}

/**
 * The float16 scale stored at p (little-endian) as float32, without branches, tables or subnormal
 * arithmetic: a normal half is re-biased in the integer bits; a subnormal one (small weights have
 * scales below 2^-14) is its mantissa converted and times 2^-24, both exact. (A 256 KB lookup
 * table missed the cache on every block; multiplying a subnormal float costs a microcode assist.)
 * No Q8_0 scale is infinite or NaN.
 */
INLINE float scale_f16(const uint8_t *p) {
  uint32_t h = p[0] | ((uint32_t)p[1] << 8), mag = h & 0x7fffu;
  union { uint32_t u; float f; } normal = { (mag << 13) + (112u << 23) };
  float value = mag < 0x400u ? (float)mag * 5.9604644775390625e-8f : normal.f;
  return (h & 0x8000u) ? -value : value;
}

/** x (K floats) -> int16 per block of 32 with scales: x ≈ xs[b] · xq[b*32 + t]. */
INLINE void quantize_x16(const float *x, int blocks, int16_t *xq, float *xs) {
  for (int b = 0; b < blocks; b++) {
    const float *xb = x + b * QK;
    f4 m = SPLAT(0);
    for (int k = 0; k < 8; k++) m = wasm_f32x4_max(m, wasm_f32x4_abs(LOAD(xb + 4 * k)));
    float amax = hmax(m);
    float d = amax / 32767.0f, id = amax > 0 ? 32767.0f / amax : 0.0f;
    xs[b] = d;
    f4 vid = SPLAT(id);
    for (int k = 0; k < 4; k++) {
      v128_t lo = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(LOAD(xb + 8 * k), vid)));
      v128_t hi = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(LOAD(xb + 8 * k + 4), vid)));
      wasm_v128_store(xq + b * QK + 8 * k, wasm_i16x8_narrow_i32x4(lo, hi));
    }
  }
}

/** Σ_t w[t] · x[t] over one block of 32: w the block's int8 (lo, hi halves), x its int16 (4 vectors). */
INLINE v128_t dot_block_x16(v128_t lo, v128_t hi, v128_t x0, v128_t x1, v128_t x2, v128_t x3) {
  v128_t s = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(lo), x0), wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(lo), x1));
  return wasm_i32x4_add(s, wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(hi), x2), wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(hi), x3)));
}

/** out[0], out[1] = two adjacent Q8_0 rows · x (quantized by quantize_x16): x's loads are shared. */
INLINE void dot2_q8_x16(const int16_t *xq, const float *xs, const uint8_t *row0, intptr_t rowBytes, int blocks, float *out) {
  const uint8_t *row1 = row0 + rowBytes;
  f4 a0 = SPLAT(0), a1 = SPLAT(0);
  for (int b = 0; b < blocks; b++) {
    const int16_t *xb = xq + b * QK;
    v128_t x0 = wasm_v128_load(xb), x1 = wasm_v128_load(xb + 8), x2 = wasm_v128_load(xb + 16), x3 = wasm_v128_load(xb + 24);
    const uint8_t *k0 = row0 + b * BLOCK_BYTES, *k1 = row1 + b * BLOCK_BYTES;
    v128_t s0 = dot_block_x16(wasm_v128_load(k0 + 2), wasm_v128_load(k0 + 18), x0, x1, x2, x3);
    v128_t s1 = dot_block_x16(wasm_v128_load(k1 + 2), wasm_v128_load(k1 + 18), x0, x1, x2, x3);
    float d0 = scale_f16(k0) * xs[b], d1 = scale_f16(k1) * xs[b];
    a0 = FMA(SPLAT(d0), wasm_f32x4_convert_i32x4(s0), a0);
    a1 = FMA(SPLAT(d1), wasm_f32x4_convert_i32x4(s1), a1);
  }
  out[0] = hsum(a0);
  out[1] = hsum(a1);
}

/** Σ_p x[p] · w[p] for one Q8_0 row against x quantized by quantize_x16. */
INLINE float dot_q8_x16(const int16_t *xq, const float *xs, const uint8_t *row, int blocks) {
  f4 acc = SPLAT(0);
  for (int b = 0; b < blocks; b++) {
    const uint8_t *blk = row + b * BLOCK_BYTES;
    v128_t lo = wasm_v128_load(blk + 2), hi = wasm_v128_load(blk + 18);
    const int16_t *xb = xq + b * QK;
    v128_t s = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(lo), wasm_v128_load(xb));
    s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(lo), wasm_v128_load(xb + 8)));
    s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(hi), wasm_v128_load(xb + 16)));
    s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(hi), wasm_v128_load(xb + 24)));
    float d = scale_f16(blk) * xs[b];
    acc = FMA(SPLAT(d), wasm_f32x4_convert_i32x4(s), acc);
  }
  return hsum(acc);
}

/**
 * Decode (one row x, K ≤ 32768): each thread quantizes x into its scratch, then computes the blocks
 * of `chunk` weight rows it claims from *next (zeroed by the caller), so a thread that starts late
 * does less of the work instead of holding the others up.
 */
EXPORT void gl_matvec_q8(const float *x, const uint8_t *W, float *out, int N, int K, int chunk, int *next, int tid, int nt) {
  int blocks = K / QK;
  intptr_t rowBytes = (intptr_t)blocks * BLOCK_BYTES;
  int16_t *xq = (int16_t *)thread_scratch(tid);
  float *xs = (float *)(xq + K);
  quantize_x16(x, blocks, xq, xs);
  for (int c = claim(next); c * chunk < N; c = claim(next)) {
    int j0 = c * chunk, j1 = j0 + chunk < N ? j0 + chunk : N;
    int j = j0;
    for (; j + 2 <= j1; j += 2) dot2_q8_x16(xq, xs, W + j * rowBytes, rowBytes, blocks, out + j);
    if (j < j1) out[j] = dot_q8_x16(xq, xs, W + j * rowBytes, blocks);
  }
}

/** A few rows of X (or rows longer than 32768): each thread computes a share of the output columns (weight rows). K must be a multiple of 32. */
EXPORT void gl_matmul_q8(const float *X, const uint8_t *W, float *out, int M, int N, int K, int tid, int nt) {
  int j0, j1;
  share(N, 4, tid, nt, &j0, &j1);
  int blocks = K / QK;
  intptr_t rowBytes = (intptr_t)blocks * BLOCK_BYTES;
  float *w = thread_scratch(tid);
  int reuse = M > 1 && K <= 32768;
  for (int j = j0; j < j1; j++) {
    const uint8_t *row = W + j * rowBytes;
    if (reuse) {
      dequant_row(row, blocks, w);
      for (int i = 0; i < M; i++) out[(intptr_t)i * N + j] = dot_f32(X + (intptr_t)i * K, w, K);
    } else {
      for (int i = 0; i < M; i++) out[(intptr_t)i * N + j] = dot_q8(X + (intptr_t)i * K, row, blocks);
    }
  }
}

/** out (N·K floats) = the Q8_0 rows of W expanded; threads take shares of the rows. */
EXPORT void gl_dequantize_q8(const uint8_t *W, float *out, int N, int K, int tid, int nt) {
  int j0, j1;
  share(N, 1, tid, nt, &j0, &j1);
  int blocks = K / QK;
  intptr_t rowBytes = (intptr_t)blocks * BLOCK_BYTES;
  for (int j = j0; j < j1; j++) dequant_row(W + j * rowBytes, blocks, out + (intptr_t)j * K);
}
