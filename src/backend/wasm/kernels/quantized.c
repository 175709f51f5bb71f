// Weight-only int8 matmul over GGUF Q8_0 blocks: each weight row is K/32 blocks of 34 bytes
// (a float16 scale d, then 32 int8 q), weight = d * q. out (M x N) = X (M x K) · Wᵀ.
// One row (decode) dots the int8 blocks with x directly, so each weight byte is read once;
// several rows (prefill) dequantize a weight row once into scratch and reuse it for every x row.
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

/** Each thread computes a share of the output columns (weight rows). K must be a multiple of 32. */
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
