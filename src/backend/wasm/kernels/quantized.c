// Weight-only int8 products over Q8 rows (src/backend/q8-rows.ts): GGUF's Q8_0 quantization with
// row j of W (N × K) stored as its K int8 values q, then its K/32 float32 scales d (weight = d·q).
// out (M × N) = X (M × K) · Wᵀ (+ bias).
// One row (decode): x is quantized per block of 32 to int16 with its own scale (relative error
// ~1.5e-5), and each weight block is a 32-term integer dot product (i32x4.dot_i16x8_s) over int8
// values widened as they are loaded, so each weight byte is read once and costs few instructions.
// Where the engine runs relaxed SIMD's int8 dot product fast (a probe at start-up decides:
// gl_set_q8_activations), x is quantized to int8 instead, as llama.cpp's Q8_0 × Q8_0 product does,
// and each block is two i32x4.relaxed_dot_i8x16_i7x16_add_s.
// Several rows expand a few weight rows at a time into scratch and reuse them for every x row.
#include "q8-block.h"
#include "few-rows.h"
#include "touch.h"

#define QK 32

/** Bytes of a row of K values: K int8, then K/32 float32 scales. */
INLINE intptr_t row_bytes(int K) { return (intptr_t)K + K / QK * 4; }

/** The scales of a row of K values: after its K int8 values. */
INLINE const float *row_scales(const uint8_t *row, int K) { return (const float *)(row + K); }

/** w[0 … K) = the row expanded to float. */
INLINE void dequant_row(const uint8_t *row, int K, float *w) {
  const float *d = row_scales(row, K);
  for (int b = 0; b < K / QK; b++) {
    f4 s = SPLAT(d[b]);
    for (int k = 0; k < 4; k++) {
      v128_t h = wasm_i16x8_load8x8(row + b * QK + 8 * k);
      STORE(w + b * QK + 8 * k, wasm_f32x4_mul(s, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(h))));
      STORE(w + b * QK + 8 * k + 4, wasm_f32x4_mul(s, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(h))));
    }
  }
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

/** Σ_t q[t] · x[t] over one block: q its 32 int8 (widened 8 at a time as they are loaded), x its int16 (4 vectors). */
INLINE v128_t dot_block_x16(const uint8_t *q, v128_t x0, v128_t x1, v128_t x2, v128_t x3) {
  v128_t s = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(q), x0), wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(q + 8), x1));
  return wasm_i32x4_add(s, wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(q + 16), x2), wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(q + 24), x3)));
}


/** One row · x (quantized by quantize_x16). */
INLINE float dot_q8_x16(const int16_t *xq, const float *xs, const uint8_t *row, int K) {
  const float *d = row_scales(row, K);
  f4 acc = SPLAT(0);
  for (int b = 0; b < K / QK; b++) {
    const int16_t *xb = xq + b * QK;
    v128_t s = dot_block_x16(row + b * QK, wasm_v128_load(xb), wasm_v128_load(xb + 8), wasm_v128_load(xb + 16), wasm_v128_load(xb + 24));
    acc = FMA(SPLAT(d[b] * xs[b]), wasm_f32x4_convert_i32x4(s), acc);
  }
  return hsum(acc);
}

#ifdef GL_RELAXED
/**
 * x (K floats) -> int8 per block of 32, as llama.cpp's Q8_0 activations: x ≈ xs[b] · q with
 * |q| ≤ 127, stored as |q| (0 … 127: the 7-bit operand that relaxed_dot_i8x16_i7x16_add takes
 * exactly on every engine) and a sign mask (0xff where q < 0), so that each weight block only
 * takes the sign of x before the dot product.
 */
INLINE void quantize_x8(const float *x, int blocks, uint8_t *xa, uint8_t *xneg, float *xs) {
  for (int b = 0; b < blocks; b++) {
    const float *xb = x + b * QK;
    f4 inv = q8_block_scale(xb, xs + b);
    for (int k = 0; k < 2; k++) {
      v128_t q = q8_round16(xb + 16 * k, inv);
      wasm_v128_store(xa + b * QK + 16 * k, wasm_i8x16_abs(q));
      wasm_v128_store(xneg + b * QK + 16 * k, wasm_i8x16_lt(q, wasm_i8x16_splat(0)));
    }
  }
}

/** Σ_t w[t] · sign(x[t]) |x[t]| over 16 values: the weights take x's sign (saturating: -128 becomes 127). */
INLINE v128_t dot16_i8(const uint8_t *w, v128_t xa, v128_t xneg, v128_t acc) {
  v128_t wv = wasm_v128_load(w);
  v128_t ws = wasm_v128_bitselect(wasm_i8x16_sub_sat(wasm_i8x16_splat(0), wv), wv, xneg);
  return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(ws, xa, acc);
}


/**
 * x (K floats) -> int8 per block of 32 (signed q, |q| ≤ 127, x ≈ xs[b] · q) and xc[b] = -128 · Σ_t q[t]:
 * for engines that take relaxed_dot_i8x16_i7x16_add's second operand as unsigned bytes (VNNI;
 * gl_q8_unsigned_dot in q8gemm.c), where the weights are read as w + 128 (a xor) and
 *   Σ_t q[t] · w[t] = Σ_t q[t] · (w[t] + 128) - 128 · Σ_t q[t].
 */
INLINE void quantize_x8u(const float *x, int blocks, int8_t *xq, float *xs, int32_t *xc) {
  for (int b = 0; b < blocks; b++) {
    const float *xb = x + b * QK;
    f4 inv = q8_block_scale(xb, xs + b);
    v128_t q0 = q8_round16(xb, inv), q1 = q8_round16(xb + 16, inv);
    wasm_v128_store(xq + b * QK, q0);
    wasm_v128_store(xq + b * QK + 16, q1);
    xc[b] = q8_block_correction(q0, q1);
  }
}

/** acc + Σ over 16 values of q · (w + 128), 4 to a lane. */
INLINE v128_t dot16_u8(const uint8_t *w, v128_t q, v128_t acc) {
  return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(q, wasm_v128_xor(wasm_v128_load(w), wasm_i8x16_splat((int8_t)0x80)), acc);
}

/** out[0], out[1] = two adjacent rows · x (quantized by quantize_x8u): each block's sum starts from its correction. */
INLINE void dot2_q8_x8u(const int8_t *xq, const float *xs, const int32_t *xc, const uint8_t *row0, intptr_t rowBytes, int K, float *out) {
  const uint8_t *row1 = row0 + rowBytes;
  const float *d0 = row_scales(row0, K), *d1 = row_scales(row1, K);
  f4 a0 = SPLAT(0), a1 = SPLAT(0);
  for (int b = 0; b < K / QK; b++) {
    int o = b * QK;
    v128_t q0 = wasm_v128_load(xq + o), q1 = wasm_v128_load(xq + o + 16), c = wasm_v128_load32_zero(xc + b);
    v128_t s0 = dot16_u8(row0 + o + 16, q1, dot16_u8(row0 + o, q0, c));
    v128_t s1 = dot16_u8(row1 + o + 16, q1, dot16_u8(row1 + o, q0, c));
    f4 xd = wasm_v128_load32_splat(xs + b);
    a0 = FMA(wasm_f32x4_mul(wasm_v128_load32_splat(d0 + b), xd), wasm_f32x4_convert_i32x4(s0), a0);
    a1 = FMA(wasm_f32x4_mul(wasm_v128_load32_splat(d1 + b), xd), wasm_f32x4_convert_i32x4(s1), a1);
  }
  out[0] = hsum(a0);
  out[1] = hsum(a1);
}

/** out[0 … 4) = four adjacent rows · x (quantized by quantize_x8u): x's loads shared by four rows. */
INLINE void dot4_q8_x8u(const int8_t *xq, const float *xs, const int32_t *xc, const uint8_t *row0, intptr_t rowBytes, int K, float *out) {
  const uint8_t *r[4] = {row0, row0 + rowBytes, row0 + 2 * rowBytes, row0 + 3 * rowBytes};
  f4 a[4] = {SPLAT(0), SPLAT(0), SPLAT(0), SPLAT(0)};
  for (int b = 0; b < K / QK; b++) {
    int o = b * QK;
    v128_t q0 = wasm_v128_load(xq + o), q1 = wasm_v128_load(xq + o + 16), c = wasm_v128_load32_zero(xc + b);
    f4 xd = wasm_v128_load32_splat(xs + b);
    for (int t = 0; t < 4; t++) {
      v128_t s = dot16_u8(r[t] + o + 16, q1, dot16_u8(r[t] + o, q0, c));
      a[t] = FMA(wasm_f32x4_mul(wasm_v128_load32_splat((const float *)(r[t] + K) + b), xd), wasm_f32x4_convert_i32x4(s), a[t]);
    }
  }
  for (int t = 0; t < 4; t++) out[t] = hsum(a[t]);
}

INLINE float dot_q8_x8u(const int8_t *xq, const float *xs, const int32_t *xc, const uint8_t *row, int K) {
  const float *d = row_scales(row, K);
  f4 acc = SPLAT(0);
  for (int b = 0; b < K / QK; b++) {
    int o = b * QK;
    v128_t s = dot16_u8(row + o + 16, wasm_v128_load(xq + o + 16), dot16_u8(row + o, wasm_v128_load(xq + o), wasm_v128_load32_zero(xc + b)));
    acc = FMA(SPLAT(d[b] * xs[b]), wasm_f32x4_convert_i32x4(s), acc);
  }
  return hsum(acc);
}

INLINE float dot_q8_x8(const uint8_t *xa, const uint8_t *xneg, const float *xs, const uint8_t *row, int K) {
  const float *d = row_scales(row, K);
  f4 acc = SPLAT(0);
  v128_t zero = wasm_i32x4_splat(0);
  for (int b = 0; b < K / QK; b++) {
    int o = b * QK;
    v128_t s = dot16_i8(row + o + 16, wasm_v128_load(xa + o + 16), wasm_v128_load(xneg + o + 16),
                        dot16_i8(row + o, wasm_v128_load(xa + o), wasm_v128_load(xneg + o), zero));
    acc = FMA(SPLAT(d[b] * xs[b]), wasm_f32x4_convert_i32x4(s), acc);
  }
  return hsum(acc);
}
#endif

/**
 * Which activations the decode product quantizes x to: 0, int16 (dot_i16x8, every build); 1, int8
 * (relaxed_dot_i8x16_i7x16_add with x's sign moved onto the weights: the relaxed build only);
 * 2, int8 with the weights read as unsigned bytes w + 128 (the relaxed build, on engines whose
 * int8 dot product takes unsigned bytes: gl_q8_unsigned_dot). Set by the backend from a measured
 * probe (gl_set_q8_activations), since the int8 instruction is fast only where the engine lowers
 * it to the processor's own int8 dot product.
 */
static int q8_int8_activations = 0;

int gl_q8_unsigned_dot(void);

/** Asks for int16 (0), int8 (1) or int8 with unsigned weights (2); returns the mode now in force (int8 needs the relaxed build, 2 unsigned bytes). */
EXPORT int gl_set_q8_activations(int mode) {
#ifdef GL_RELAXED
  q8_int8_activations = mode == 2 ? (gl_q8_unsigned_dot() ? 2 : 0) : mode ? 1 : 0;
#endif
  return q8_int8_activations;
}

/**
 * Decode (one row x, K ≤ 32768): each thread quantizes x into its scratch, then computes the blocks
 * of `chunk` weight rows it claims from *next (zeroed by the caller), so a thread that starts late
 * does less of the work instead of holding the others up. bias (N floats) is added when not null.
 * The int16 and signed-int8 paths take one weight row at a time: two rows per pass read two
 * streams at once and got about 0.6 of the memory rate (GPT-2-small Q8_0 decode on one thread,
 * Node 20: 52-60 -> 90-101 tokens/s; reading ahead, touch.h, made them slower still: 6.5-6.9 ->
 * 7.7-8.1 ms a step). The unsigned-int8 path (VNNI, more arithmetic per byte saved) keeps four rows
 * sharing x's loads, and reads each 32 KB of rows ahead (touch.h) before computing on them:
 * GPT-2-small Q8_0, Node 26, one row a step, alternating in one process: 9.5-10.4 ms without
 * reading ahead, 7.1-7.9 with it; one row at a time, 7.4-12.6 ms with or without.
 */
EXPORT void gl_matvec_q8(const float *x, const uint8_t *W, const float *bias, float *out, int N, int K, int chunk, int *next, int tid, int nt) {
  intptr_t rowBytes = row_bytes(K);
#ifdef GL_RELAXED
  if (q8_int8_activations == 2) {
    int8_t *xq = (int8_t *)thread_scratch(tid);
    float *xs = (float *)(xq + K);
    int32_t *xc = (int32_t *)(xs + K / QK);
    quantize_x8u(x, K / QK, xq, xs, xc);
    int piece = touch_rows(rowBytes, 4); // rows read ahead at a time, whole groups of 4
    for (int c = claim(next); c * chunk < N; c = claim(next)) {
      int j0 = c * chunk, j1 = j0 + chunk < N ? j0 + chunk : N;
      int j = j0;
      for (int p = j0; p < j1; p += piece) {
        int pEnd = p + piece < j1 ? p + piece : j1;
        touch_lines(W + p * rowBytes, (pEnd - p) * rowBytes);
        for (; j + 4 <= pEnd; j += 4) dot4_q8_x8u(xq, xs, xc, W + j * rowBytes, rowBytes, K, out + j);
      }
      for (; j + 2 <= j1; j += 2) dot2_q8_x8u(xq, xs, xc, W + j * rowBytes, rowBytes, K, out + j);
      if (j < j1) out[j] = dot_q8_x8u(xq, xs, xc, W + j * rowBytes, K);
      if (bias) for (j = j0; j < j1; j++) out[j] += bias[j];
    }
    return;
  }
  if (q8_int8_activations) {
    uint8_t *xa = (uint8_t *)thread_scratch(tid), *xneg = xa + K;
    float *xs = (float *)(xneg + K);
    quantize_x8(x, K / QK, xa, xneg, xs);
    for (int c = claim(next); c * chunk < N; c = claim(next)) {
      int j0 = c * chunk, j1 = j0 + chunk < N ? j0 + chunk : N;
      for (int j = j0; j < j1; j++) out[j] = dot_q8_x8(xa, xneg, xs, W + j * rowBytes, K);
      if (bias) for (int j = j0; j < j1; j++) out[j] += bias[j];
    }
    return;
  }
#endif
  int16_t *xq = (int16_t *)thread_scratch(tid);
  float *xs = (float *)(xq + K);
  quantize_x16(x, K / QK, xq, xs);
  for (int c = claim(next); c * chunk < N; c = claim(next)) {
    int j0 = c * chunk, j1 = j0 + chunk < N ? j0 + chunk : N;
    for (int j = j0; j < j1; j++) out[j] = dot_q8_x16(xq, xs, W + j * rowBytes, K);
    if (bias) for (int j = j0; j < j1; j++) out[j] += bias[j];
  }
}

/** Weight rows expanded at a time by gl_matmul_q8: 4 rows of up to 3072 values stay in L1 while every row of X meets them. */
#define EXPANDED_ROWS 4

/**
 * A few rows of X (batched decode, or any rows where there is no int8 × int8 product): each thread
 * takes a share of the output columns (weight rows), expands EXPANDED_ROWS weight rows at a time
 * into its scratch and multiplies them with every row of X in the few-rows float kernel
 * (few_rows_nk: two weight rows against four rows of X), so each int8 weight is read from
 * memory once per call whatever M is. (One dot product per (row, weight row), as before,
 * ran at about a quarter of that kernel's rate: two accumulators wait on the FMA's latency.)
 * Rows longer than 32768 values do not fit the scratch: their int8 values are read directly.
 */
EXPORT void gl_matmul_q8(const float *X, const uint8_t *W, const float *bias, float *out, int M, int N, int K, int tid, int nt) {
  int j0, j1;
  share(N, 4, tid, nt, &j0, &j1);
  intptr_t rowBytes = row_bytes(K);
  float *w = thread_scratch(tid);
  for (int jb = j0; jb < j1; jb += EXPANDED_ROWS) {
    int rows = j1 - jb < EXPANDED_ROWS ? j1 - jb : EXPANDED_ROWS;
    if (K <= 32768) {
      for (int r = 0; r < rows; r++) dequant_row(W + (jb + r) * rowBytes, K, w + (intptr_t)r * K);
      // columns jb … jb+rows of out are rows 0 … rows of the expanded block
      few_rows_nk(X, K, w, K, out + jb, N, M, K, 0, rows, 0);
    } else {
      for (int j = jb; j < jb + rows; j++) {
        const uint8_t *row = W + j * rowBytes;
        const float *d = row_scales(row, K);
        for (int i = 0; i < M; i++) {
          const float *xi = X + (intptr_t)i * K;
          float s = 0.0f;
          for (int blk = 0; blk < K / QK; blk++) {
            float t = 0.0f;
            for (int k = 0; k < QK; k++) t += xi[blk * QK + k] * (float)(int8_t)row[blk * QK + k];
            s += d[blk] * t;
          }
          out[(intptr_t)i * N + j] = s;
        }
      }
    }
    if (bias)
      for (int i = 0; i < M; i++)
        for (int j = jb; j < jb + rows; j++) out[(intptr_t)i * N + j] += bias[j];
  }
}

/** out (N·K floats) = the Q8 rows of W expanded; threads take shares of the rows. */
EXPORT void gl_dequantize_q8(const uint8_t *W, float *out, int N, int K, int tid, int nt) {
  int j0, j1;
  share(N, 1, tid, nt, &j0, &j1);
  intptr_t rowBytes = row_bytes(K);
  for (int j = j0; j < j1; j++) dequant_row(W + j * rowBytes, K, out + (intptr_t)j * K);
}
