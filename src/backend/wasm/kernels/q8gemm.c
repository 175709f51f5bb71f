// Int8 × int8 products for many rows (prefill): out (M × N) = X (M × K) · Wᵀ (+ bias), W in Q8
// rows (src/backend/q8-rows.ts: row j = its K int8 values, then its K/32 float32 scales), X
// quantized per block of 32 per row to int8 as llama.cpp's Q8_0 activations (x ≈ xs · q,
// |q| ≤ 127, q = round-to-nearest-even of x · 127 / max|x|). The slow readable reference is
// matmulQ8x8 in src/backend/cpu/quantized.ts.
//
// The product is i32x4.relaxed_dot_i8x16_i7x16_add_s, which current V8 lowers to the processor's
// VNNI instruction (vpdpbusd: unsigned bytes of its second operand times signed bytes of its
// first). Its second operand is specified only for 0 … 127; where the engine treats it as
// unsigned bytes 0 … 255 (gl_q8_unsigned_dot() checks), the weights are read as w + 128 (a xor)
// and
//   Σ_t q[t] · w[t] = Σ_t q[t] · (w[t] + 128) - 128 · Σ_t q[t],
// the last sum (x's block correction) taken once per row and block when x is quantized, as the
// decode product does (quantize_x8u in quantized.c). The backend uses these kernels only where
// that check passes and a measured probe finds them faster than the float path
// (src/backend/wasm/int8-probe.ts).
//
// Layout of the quantized X (gl_q8_quantize_rows): rows in groups of 4 (the last padded with
// zeros); group g holds K·4 bytes, block b at g·4K + 128b, step s (k = 32b + 4s … +3) at +16s:
// the 4 signed bytes of row 0, then rows 1, 2, 3. So one 16-byte load gives four rows' 4 values,
// and one dot product with a weight row's 4 values splat to every lane adds 16 multiply-adds to
// four rows' sums at once. Scales: xs[(g · K/32 + b) · 4 + r] (float32); corrections
// xc[(g · K/32 + b) · 4 + r] = -128 · Σ_t q[t] (int32), so a group's four are one load.
#include "q8-block.h"
#include "touch.h"

#define QK 32
// The register tile: TC weight rows (output columns) × TR row groups (4 rows each), with CH
// independent sums per pair (the dot product's latency is several cycles). 2 × 1 × 2 measured
// fastest under Node 26 on this machine for 8 rows over weights from memory (batched decode:
// 17.8-21.0 ms a GPT-2-small step against 19.2-27.9 for 4 × 1 × 2; 1 × 2 × 2 between them); for
// 512 rows (bench/q8-gemm.ts) the three were within 5%. -D overrides them for such measurements.
#ifndef TC
#define TC 2
#endif
#ifndef TR
#define TR 1
#endif
#ifndef CH
#define CH 2
#endif
#ifndef ROW_BLOCK
#define ROW_BLOCK 64 // a multiple of 4 · TR
#endif

/** 1 when relaxed_dot_i8x16_i7x16_add takes its second operand as unsigned bytes (0 … 255), exactly; else 0. */
EXPORT int gl_q8_unsigned_dot(void) {
#ifdef GL_RELAXED
  // bytes near both ends, so that an emulation that saturates 16-bit pair sums shows it too
  v128_t a = wasm_i8x16_make(-128, -128, 127, 127, -1, 2, -3, 4, 100, -100, 50, -50, 1, 1, 1, 1);
  v128_t b = wasm_u8x16_make(255, 255, 255, 255, 200, 129, 128, 7, 0, 1, 254, 253, 128, 128, 128, 128);
  int8_t av[16];
  uint8_t bv[16];
  wasm_v128_store(av, a);
  wasm_v128_store(bv, b);
  v128_t c = wasm_i32x4_make(1000, -1000, 7, 0);
  v128_t r = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, b, c);
  int32_t want[4] = {1000, -1000, 7, 0}, got[4];
  for (int t = 0; t < 16; t++) want[t / 4] += (int32_t)av[t] * (int32_t)bv[t];
  wasm_v128_store(got, r);
  for (int l = 0; l < 4; l++)
    if (got[l] != want[l]) return 0;
  return 1;
#else
  return 0;
#endif
}

/** Row groups of a quantized X of M rows: ceil(M/4), padded to whole tiles (TR groups). */
EXPORT int gl_q8_x_groups(int M) { return ((M + 3) / 4 + TR - 1) / TR * TR; }

/**
 * X (M × K floats) -> the quantized layout above (xq: G·4K bytes, xs and xc: G·K/32·4 values each,
 * G = gl_q8_x_groups(M); rows from M on are zeros); threads take shares of the row groups.
 */
EXPORT void gl_q8_quantize_rows(const float *X, int8_t *xq, float *xs, int32_t *xc, int M, int K, int tid, int nt) {
  int groups = gl_q8_x_groups(M), nb = K / QK, g0, g1;
  share(groups, 1, tid, nt, &g0, &g1);
  for (int g = g0; g < g1; g++) {
    for (int b = 0; b < nb; b++) {
      uint32_t rows[4][QK / 4]; // each row's 32 values of this block as signed q, 4 to a word
      intptr_t at = ((intptr_t)g * nb + b) * 4;
      for (int r = 0; r < 4; r++) {
        int i = 4 * g + r;
        if (i >= M) { // padding: q = 0 with scale 0
          for (int s = 0; s < QK / 4; s++) rows[r][s] = 0;
          xs[at + r] = 0.0f;
          xc[at + r] = 0;
          continue;
        }
        const float *x = X + (intptr_t)i * K + b * QK;
        f4 inv = q8_block_scale(x, xs + at + r);
        v128_t q0 = q8_round16(x, inv), q1 = q8_round16(x + 16, inv);
        wasm_v128_store(&rows[r][0], q0);
        wasm_v128_store(&rows[r][4], q1);
        xc[at + r] = q8_block_correction(q0, q1);
      }
      uint32_t *dst = (uint32_t *)(xq + (intptr_t)g * 4 * K + b * 128);
      for (int s = 0; s < QK / 4; s++)
        wasm_v128_store(dst + 4 * s, wasm_u32x4_make(rows[0][s], rows[1][s], rows[2][s], rows[3][s]));
    }
  }
}

#ifdef GL_RELAXED
/** Bytes of a Q8 row of K values. */
INLINE intptr_t q8_row_bytes(int K) { return (intptr_t)K + K / QK * 4; }

/**
 * The register tile: row groups g … g+TR-1 (rows 4g … 4g+4TR-1) × weight rows j … j+TC-1.
 * acc[r][c] lane l = Σ_b xs · d · (block dot) for row 4(g+r)+l and column j+c.
 */
INLINE void tile(const int8_t *xq, const float *xs, const int32_t *xc, const uint8_t *W, intptr_t rowBytes,
                 int g, int j, int K, float *out, int M, int N, const float *bias) {
  int nb = K / QK;
  const uint8_t *w[TC];
  const float *d[TC];
  for (int c = 0; c < TC; c++) {
    w[c] = W + (j + c) * rowBytes;
    d[c] = (const float *)(w[c] + K);
  }
  f4 acc[TR][TC];
  for (int r = 0; r < TR; r++)
    for (int c = 0; c < TC; c++) acc[r][c] = SPLAT(0);
  for (int b = 0; b < nb; b++) {
    // CH independent sums per pair (dot products have a latency of several cycles): the first
    // starts from the rows' block corrections
    v128_t s[CH][TR][TC];
    for (int r = 0; r < TR; r++) {
      v128_t corr = wasm_v128_load(xc + ((intptr_t)(g + r) * nb + b) * 4);
      for (int c = 0; c < TC; c++) {
        s[0][r][c] = corr;
        for (int h = 1; h < CH; h++) s[h][r][c] = wasm_i32x4_splat(0);
      }
    }
    const int8_t *xb = xq + (intptr_t)g * 4 * K + b * 128;
    v128_t wq[TC];
#pragma clang loop unroll(full)
    for (int k = 0; k < QK / 4; k++) {
      v128_t xv[TR], wv[TC];
      for (int r = 0; r < TR; r++) xv[r] = wasm_v128_load(xb + (intptr_t)r * 4 * K + 16 * k);
      // a weight row's 4 values for this step as w + 128, splat to every lane: 16 bytes loaded
      // (and xor-ed) every 4 steps, then a lane shuffle (cheaper than a load and its address for
      // every step)
      for (int c = 0; c < TC; c++) {
        if (k % 4 == 0) wq[c] = wasm_v128_xor(wasm_v128_load(w[c] + b * QK + 4 * k), wasm_i8x16_splat((int8_t)0x80));
        int l = k % 4;
        wv[c] = l == 0 ? wasm_i32x4_shuffle(wq[c], wq[c], 0, 0, 0, 0) : l == 1 ? wasm_i32x4_shuffle(wq[c], wq[c], 1, 1, 1, 1)
              : l == 2 ? wasm_i32x4_shuffle(wq[c], wq[c], 2, 2, 2, 2) : wasm_i32x4_shuffle(wq[c], wq[c], 3, 3, 3, 3);
      }
      for (int r = 0; r < TR; r++)
        for (int c = 0; c < TC; c++) s[k % CH][r][c] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv[r], wv[c], s[k % CH][r][c]);
    }
    for (int h = 1; h < CH; h++)
      for (int r = 0; r < TR; r++)
        for (int c = 0; c < TC; c++) s[0][r][c] = wasm_i32x4_add(s[0][r][c], s[h][r][c]);
    for (int r = 0; r < TR; r++) {
      f4 sx = wasm_v128_load(xs + ((intptr_t)(g + r) * nb + b) * 4);
      for (int c = 0; c < TC; c++)
        acc[r][c] = FMA(wasm_f32x4_convert_i32x4(s[0][r][c]), wasm_f32x4_mul(sx, wasm_v128_load32_splat(d[c] + b)), acc[r][c]);
    }
  }
  for (int r = 0; r < TR; r++)
    for (int c = 0; c < TC; c++) {
      float v[4], add = bias ? bias[j + c] : 0.0f;
      wasm_v128_store(v, acc[r][c]);
      for (int l = 0; l < 4; l++) {
        int i = 4 * (g + r) + l;
        if (i < M) out[(intptr_t)i * N + j + c] = v[l] + add;
      }
    }
}
#endif

/**
 * out (M × N) = X · Wᵀ (+ bias) from X quantized by gl_q8_quantize_rows (xq, xs, xc). Threads
 * claim chunks of `chunk` weight rows (a multiple of TC) from *next (zeroed by the caller), so a
 * thread that starts late or is held up by other work on the machine does less of the product
 * instead of holding the others up. N a multiple of TC is not needed: the last tile overlaps the
 * one before it (N ≥ TC).
 */
EXPORT void gl_q8_gemm(const int8_t *xq, const float *xs, const int32_t *xc, const uint8_t *W, const float *bias, float *out,
                       int M, int N, int K, int chunk, int *next, int tid, int nt) {
#ifdef GL_RELAXED
  int groups = gl_q8_x_groups(M);
  intptr_t rowBytes = q8_row_bytes(K);
  for (int ch = claim(next); ch * chunk < N; ch = claim(next)) {
    int j0 = ch * chunk, j1 = j0 + chunk < N ? j0 + chunk : N;
    touch_lines(W + j0 * rowBytes, (j1 - j0) * rowBytes); // read ahead (touch.h): 26-110 KB
    for (int gb = 0; gb < groups; gb += ROW_BLOCK / 4) {
      int gEnd = gb + ROW_BLOCK / 4 < groups ? gb + ROW_BLOCK / 4 : groups;
      for (int j = j0; j < j1; j += TC) {
        int jj = j + TC <= N ? j : N - TC; // the last tile overlaps the one before (same values written twice)
        // groups come in whole tiles (gl_q8_x_groups); padding rows (≥ M) are not written
        for (int g = gb; g < gEnd; g += TR) tile(xq, xs, xc, W, rowBytes, g, jj, K, out, M, N, bias);
      }
    }
  }
#endif
}
