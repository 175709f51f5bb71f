// Matrix products: C (=|+=) A · B for a batch of matrices.
//
// The GotoBLAS loop nest: B is packed into panels of 8 columns (kc × 8, contiguous), A into
// micro-panels of 4 rows (kc × 4), and a 4×8 micro-kernel keeps its 8 f32x4 accumulators in
// registers (larger tiles spill in V8). Strides describe any layout: element (i, p) of A is
// A[i*ars + p*acs] and element (p, j) of B is B[p*brs + j*bcs], so transposed operands are only
// other strides, resolved while packing. Edge tiles are zero-padded in the packs.
// A single row (m = 1, decode) skips packing and streams B once (matvec below).
#include "few-rows.h"
#include "touch.h"

#define MR 4
#define NR 8
#define KC 256
#define MC 128
#define NC 512

uint8_t *gl_scratch_base;
int gl_scratch_region;

/** Sets the per-thread scratch regions (each at least gl_matmul_scratch_bytes()). */
EXPORT void gl_set_scratch(uint8_t *base, int region) {
  gl_scratch_base = base;
  gl_scratch_region = region;
}

EXPORT int gl_matmul_scratch_bytes(void) { return (MC * KC + KC * NC) * 4; }

/** Rows [i0, i0+mc) × columns [p0, p0+kc) of A into micro-panels: pa[ir*kc + p*MR + r]. */
static void pack_a(const float *A, int ars, int acs, int i0, int mc, int p0, int kc, float *pa) {
  for (int ir = 0; ir < mc; ir += MR) {
    int mr = mc - ir < MR ? mc - ir : MR;
    float *dst = pa + ir * kc;
    const float *a = A + (intptr_t)(i0 + ir) * ars + (intptr_t)p0 * acs;
    if (mr == MR && acs == 1) {
      const float *a0 = a, *a1 = a0 + ars, *a2 = a1 + ars, *a3 = a2 + ars;
      int p = 0;
      for (; p + 4 <= kc; p += 4) { // 4×4 transpose
        f4 r0 = LOAD(a0 + p), r1 = LOAD(a1 + p), r2 = LOAD(a2 + p), r3 = LOAD(a3 + p);
        f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        STORE(dst + p * 4, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
        STORE(dst + p * 4 + 4, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
        STORE(dst + p * 4 + 8, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
        STORE(dst + p * 4 + 12, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
      }
      for (; p < kc; p++) {
        dst[p * 4] = a0[p]; dst[p * 4 + 1] = a1[p]; dst[p * 4 + 2] = a2[p]; dst[p * 4 + 3] = a3[p];
      }
    } else if (mr == MR && ars == 1) { // A stored transposed: the 4 rows are adjacent
      for (int p = 0; p < kc; p++) STORE(dst + p * 4, wasm_v128_load(a + (intptr_t)p * acs));
    } else {
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) dst[p * MR + r] = r < mr ? a[(intptr_t)r * ars + (intptr_t)p * acs] : 0.0f;
    }
  }
}

/** Rows [p0, p0+kc) × columns [j0, j0+nc) of B into panels of 8 columns: pb[jr*kc + p*NR + c]. */
static void pack_b(const float *B, int brs, int bcs, int p0, int kc, int j0, int nc, float *pb) {
  for (int jr = 0; jr < nc; jr += NR) {
    int nr = nc - jr < NR ? nc - jr : NR;
    float *dst = pb + jr * kc;
    const float *b = B + (intptr_t)p0 * brs + (intptr_t)(j0 + jr) * bcs;
    if (nr == NR && bcs == 1) {
      for (int p = 0; p < kc; p++) {
        const float *row = b + (intptr_t)p * brs;
        STORE(dst + p * 8, LOAD(row));
        STORE(dst + p * 8 + 4, LOAD(row + 4));
      }
    } else if (nr == NR && brs == 1) { // B stored transposed (nn.Linear weights): columns are rows
      int p = 0;
      for (; p + 4 <= kc; p += 4) {
        for (int h = 0; h < 2; h++) {
          const float *c0 = b + (intptr_t)(4 * h) * bcs + p, *c1 = c0 + bcs, *c2 = c1 + bcs, *c3 = c2 + bcs;
          f4 r0 = LOAD(c0), r1 = LOAD(c1), r2 = LOAD(c2), r3 = LOAD(c3);
          f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
          f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          STORE(dst + p * 8 + 4 * h, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
          STORE(dst + p * 8 + 8 + 4 * h, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
          STORE(dst + p * 8 + 16 + 4 * h, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
          STORE(dst + p * 8 + 24 + 4 * h, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
        }
      }
      for (; p < kc; p++)
        for (int c = 0; c < NR; c++) dst[p * NR + c] = b[(intptr_t)c * bcs + p];
    } else {
      for (int p = 0; p < kc; p++)
        for (int c = 0; c < NR; c++) dst[p * NR + c] = c < nr ? b[(intptr_t)p * brs + (intptr_t)c * bcs] : 0.0f;
    }
  }
}

/** C[0..mr, 0..nr) (+)= pa (kc × 4) · pb (kc × 8): the hot loop, 8 accumulators in registers. */
static void micro_4x8(int kc, const float *pa, const float *pb, float *c, int ldc, int mr, int nr, int add) {
  f4 c00 = SPLAT(0), c01 = SPLAT(0), c10 = SPLAT(0), c11 = SPLAT(0);
  f4 c20 = SPLAT(0), c21 = SPLAT(0), c30 = SPLAT(0), c31 = SPLAT(0);
  for (int p = 0; p < kc; p++) {
    f4 b0 = LOAD(pb), b1 = LOAD(pb + 4);
    f4 a0 = wasm_v128_load32_splat(pa), a1 = wasm_v128_load32_splat(pa + 1);
    c00 = FMA(a0, b0, c00); c01 = FMA(a0, b1, c01);
    c10 = FMA(a1, b0, c10); c11 = FMA(a1, b1, c11);
    f4 a2 = wasm_v128_load32_splat(pa + 2), a3 = wasm_v128_load32_splat(pa + 3);
    c20 = FMA(a2, b0, c20); c21 = FMA(a2, b1, c21);
    c30 = FMA(a3, b0, c30); c31 = FMA(a3, b1, c31);
    pa += 4; pb += 8;
  }
  if (mr == MR && nr == NR) {
    float *r0 = c, *r1 = c + ldc, *r2 = r1 + ldc, *r3 = r2 + ldc;
    if (add) {
      c00 = wasm_f32x4_add(c00, LOAD(r0)); c01 = wasm_f32x4_add(c01, LOAD(r0 + 4));
      c10 = wasm_f32x4_add(c10, LOAD(r1)); c11 = wasm_f32x4_add(c11, LOAD(r1 + 4));
      c20 = wasm_f32x4_add(c20, LOAD(r2)); c21 = wasm_f32x4_add(c21, LOAD(r2 + 4));
      c30 = wasm_f32x4_add(c30, LOAD(r3)); c31 = wasm_f32x4_add(c31, LOAD(r3 + 4));
    }
    STORE(r0, c00); STORE(r0 + 4, c01); STORE(r1, c10); STORE(r1 + 4, c11);
    STORE(r2, c20); STORE(r2 + 4, c21); STORE(r3, c30); STORE(r3 + 4, c31);
    return;
  }
  float t[MR * NR];
  STORE(t, c00); STORE(t + 4, c01); STORE(t + 8, c10); STORE(t + 12, c11);
  STORE(t + 16, c20); STORE(t + 20, c21); STORE(t + 24, c30); STORE(t + 28, c31);
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) c[r * ldc + j] = add ? c[r * ldc + j] + t[r * NR + j] : t[r * NR + j];
}

/** Rows [i0, i1) × columns [j0, j1) of one product C (m × n, leading dimension ldc). */
static void gemm_part(const float *A, const float *B, float *C, int ldc, int K, int ars, int acs, int brs, int bcs,
                      int accumulate, int i0, int i1, int j0, int j1, float *pa, float *pb) {
  if (K == 0) {
    if (!accumulate)
      for (int i = i0; i < i1; i++)
        for (int j = j0; j < j1; j++) C[(intptr_t)i * ldc + j] = 0.0f;
    return;
  }
  for (int jc = j0; jc < j1; jc += NC) {
    int nc = j1 - jc < NC ? j1 - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      int kc = K - pc < KC ? K - pc : KC;
      int add = accumulate || pc > 0;
      pack_b(B, brs, bcs, pc, kc, jc, nc, pb);
      for (int ic = i0; ic < i1; ic += MC) {
        int mc = i1 - ic < MC ? i1 - ic : MC;
        pack_a(A, ars, acs, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? mc - ir : MR;
            micro_4x8(kc, pa + ir * kc, pb + jr * kc, C + (intptr_t)(ic + ir) * ldc + jc + jr, ldc, mr, nr, add);
          }
        }
      }
    }
  }
}

/** x · w over K values (four accumulators). */
INLINE float dot_row(const float *x, const float *w, int K) {
  f4 s0 = SPLAT(0), s1 = SPLAT(0), s2 = SPLAT(0), s3 = SPLAT(0);
  int p = 0;
  for (; p + 16 <= K; p += 16) {
    s0 = FMA(LOAD(x + p), LOAD(w + p), s0);
    s1 = FMA(LOAD(x + p + 4), LOAD(w + p + 4), s1);
    s2 = FMA(LOAD(x + p + 8), LOAD(w + p + 8), s2);
    s3 = FMA(LOAD(x + p + 12), LOAD(w + p + 12), s3);
  }
  for (; p + 4 <= K; p += 4) s0 = FMA(LOAD(x + p), LOAD(w + p), s0);
  float s = hsum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
  for (; p < K; p++) s += x[p] * w[p];
  return s;
}

/**
 * out[j] = (bias[j] | out[j] | 0) + Σ_p x[p] W[j*ldw + p] for j in [j0, j1) (bias when given, else
 * out[j] when accumulating): one contiguous weight row per output, one row at a time. bias[j] + s
 * is the sum matmulBias makes (out starts as the bias, then the product is added). (Two rows per
 * pass, each load of x serving both, streams at half the rate from memory: two read streams 3 KB
 * apart defeat the prefetchers. bench/matmul.ts, "matvec".)
 */
static void matvec_rows(const float *x, const float *W, int ldw, const float *bias, float *out, int K, int j0, int j1, int accumulate) {
  for (int j = j0; j < j1; j++) {
    float s = dot_row(x, W + (intptr_t)j * ldw, K);
    out[j] = bias ? bias[j] + s : accumulate ? out[j] + s : s;
  }
}

/** o[0 … n) += xp · b[0 … n): one weight row streamed once, o stays in L1. */
INLINE void axpy_row(float xp, const float *b, float *o, int n) {
  f4 xv = SPLAT(xp);
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    STORE(o + j, FMA(xv, LOAD(b + j), LOAD(o + j)));
    STORE(o + j + 4, FMA(xv, LOAD(b + j + 4), LOAD(o + j + 4)));
    STORE(o + j + 8, FMA(xv, LOAD(b + j + 8), LOAD(o + j + 8)));
    STORE(o + j + 12, FMA(xv, LOAD(b + j + 12), LOAD(o + j + 12)));
  }
  for (; j + 4 <= n; j += 4) STORE(o + j, FMA(xv, LOAD(b + j), LOAD(o + j)));
  for (; j < n; j++) o[j] += xp * b[j];
}

/**
 * o[0 … n) += Σ_p x[p] · B[p*ldb … +n) for p in [p0, p1): one row of B per pass over o (in L1), so
 * that B is read as one stream. (Four rows per pass, o loaded and stored once per four, reads four
 * streams 4 KB-multiples apart and gets about 0.7 of the bandwidth on this machine.)
 */
INLINE void axpy_rows(const float *x, const float *B, int ldb, int p0, int p1, float *o, int n) {
  for (int p = p0; p < p1; p++) axpy_row(x[p], B + (intptr_t)p * ldb, o, n);
}

/** out[j] (+)= Σ_p x[p] B[p*ldb + j] for j in [j0, j1): rows of B streamed in column chunks. */
static void matvec_cols(const float *x, const float *B, int ldb, float *out, int K, int j0, int j1, int accumulate) {
  enum { CHUNK = 512 };
  for (int jc = j0; jc < j1; jc += CHUNK) {
    int n = j1 - jc < CHUNK ? j1 - jc : CHUNK;
    float *o = out + jc;
    if (!accumulate) for (int j = 0; j < n; j++) o[j] = 0.0f;
    axpy_rows(x, B + jc, ldb, 0, K, o, n);
  }
}

/**
 * Decode with B stored (K, N) row-major (Hugging Face Conv1D weights): each thread sums the blocks
 * of rows it claims into its own partial row, partials[tid*N … +N) = Σ_p x[p] B[p, :]. A block of
 * rows is one contiguous stretch of memory, so weights stream strictly in order (a split by
 * columns reads short strided pieces of every row and gets less bandwidth). Blocks of `chunk`
 * rows (a multiple of 4) are claimed from *next, which the caller zeroes. gl_matvec_reduce then
 * adds the threads' partial rows.
 */
EXPORT void gl_matvec_rows_split(const float *x, const float *B, float *partials, int K, int N, int chunk, int *next, int tid, int nt) {
  float *o = partials + (intptr_t)tid * N;
  for (int j = 0; j < N; j++) o[j] = 0.0f;
  for (int c = claim(next); c * chunk < K; c = claim(next)) axpy_rows(x, B, N, c * chunk, c * chunk + chunk < K ? c * chunk + chunk : K, o, N);
}

/**
 * Decode with B stored (N, K) row-major (nn.Linear weights, the tied GPT-2 head): out[j] =
 * (bias[j] | out[j] | 0) + x · B[j, :] (see matvec_rows; bias may be 0), over blocks of `chunk`
 * rows claimed from *next (zeroed by the caller). The decode step passes its bias here rather
 * than copying it into out first behind a barrier.
 */
EXPORT void gl_matvec_dot(const float *x, const float *B, const float *bias, float *out, int K, int N, int accumulate, int chunk, int *next, int tid, int nt) {
  for (int c = claim(next); c * chunk < N; c = claim(next)) {
    int j0 = c * chunk, j1 = j0 + chunk < N ? j0 + chunk : N;
    matvec_rows(x, B, K, bias, out, K, j0, j1, accumulate);
  }
}

/** out[j] (=|+=) Σ_t partials[t*N + j]; threads take shares of the columns. */
EXPORT void gl_matvec_reduce(const float *partials, int parts, float *out, int N, int accumulate, int tid, int nt) {
  int j0, j1;
  share(N, 4, tid, nt, &j0, &j1);
  for (int j = j0; j < j1; j++) {
    float s = accumulate ? out[j] : 0.0f;
    for (int t = 0; t < parts; t++) s += partials[(intptr_t)t * N + j];
    out[j] = s;
  }
}

// ---- A few rows (2 ≤ m ≤ FEW_ROWS: batched decode). The GEMM above packs B in panels for A's
// 128-row blocks; with a few rows, that packing costs as much as the product itself. Here each
// weight is read from memory once and used by every row of A (the second group of 4 rows finds
// it in L1/L2). `node dist/bench/matmul.js` prints their rates ("few rows").

#define FEW_ROWS 16
#define FEW_KC 16   // rows of B per block …
#define FEW_NC 4096 // … by columns: up to 288 KB (in L2), whole rows of B up to 4096 columns (few_rows_kn)
_Static_assert(FEW_ROWS * FEW_KC + (FEW_NC / 8) * (8 * FEW_KC + 16) <= MC * KC + KC * NC, "a few-rows block fits a thread's scratch");

/** Rows of a group of up to 4 (a missing row repeats row 0; its results are not stored). */
INLINE void row_group(const float *A, int lda, int rows, const float **a) {
  for (int r = 0; r < 4; r++) a[r] = A + (intptr_t)(r < rows ? r : 0) * lda;
}

/**
 * C (m × n) (=|+=) A (m × K, rows lda apart) · B (K × N row-major, rows ldb apart), columns [j0, j1).
 * B is taken a block at a time (FEW_KC rows × FEW_NC columns): the block is copied row by row
 * (long contiguous reads, which the prefetchers stream) into 8-column strips in scratch `pk`,
 * then each strip meets every group of 4 rows of A in the GEMM's 4×8 micro-kernel. Reading B in place instead,
 * one strip down its rows, touches a new page per row, and rows whose stride is a multiple of
 * 4 KB (N = 768, 3072) share L1 sets and evict each other.
 */
static void few_rows_kn(const float *A, int lda, const float *B, int ldb, float *C, int ldc, int M, int K, int j0, int j1, int accumulate, float *scratch) {
  float *pa = scratch, *pk = scratch + FEW_ROWS * FEW_KC; // A's rows as micro-panels (pack_a), the block of B
  int j8 = j0 + ((j1 - j0) & ~7); // end of the whole 8-column strips
  for (int jc = j0; jc < j8; jc += FEW_NC) {
    int nc = j8 - jc < FEW_NC ? j8 - jc : FEW_NC;
    for (int pc = 0; pc < K; pc += FEW_KC) {
      int kc = K - pc < FEW_KC ? K - pc : FEW_KC, add = accumulate || pc > 0;
      int gap = 8 * kc + 16; // floats from strip to strip (the 16 keep the strips' rows apart in L1 sets)
      for (int p = 0; p < kc; p++) { // pk[(s/8)*gap + p*8 + c] = B[pc + p, jc + s + c] for strips s = 0, 8, …
        const float *row = B + (intptr_t)(pc + p) * ldb + jc;
        float *dst = pk + p * 8;
        for (int s = 0; s < nc; s += 8, dst += gap) {
          STORE(dst, LOAD(row + s));
          STORE(dst + 4, LOAD(row + s + 4));
        }
      }
      pack_a(A, lda, 1, 0, M, pc, kc, pa);
      for (int s = 0; s < nc; s += 8)
        for (int i = 0; i < M; i += MR)
          micro_4x8(kc, pa + i * kc, pk + (s / 8) * gap, C + (intptr_t)i * ldc + jc + s, ldc, M - i < MR ? M - i : MR, NR, add);
    }
  }
  for (int j = j8; j < j1; j++) // the last < 8 columns
    for (int i = 0; i < M; i++) {
      float s = 0.0f;
      for (int p = 0; p < K; p++) s += A[(intptr_t)i * lda + p] * B[(intptr_t)p * ldb + j];
      C[(intptr_t)i * ldc + j] = accumulate ? C[(intptr_t)i * ldc + j] + s : s;
    }
}

/**
 * C (m × n) (=|+=) A (m × K) · Wᵀ with W (N × K row-major, rows ldw apart: nn.Linear weights),
 * columns [j0, j1): two weight rows against four rows of A, 8 accumulators along K, summed at the end.
 * (Also the weight-only int8 product's, over weight rows it has expanded: quantized.c.)
 */
void few_rows_nk(const float *A, int lda, const float *W, int ldw, float *C, int ldc, int M, int K, int j0, int j1, int accumulate) {
  int K4 = K & ~3;
  for (int j = j0; j < j1; j += 2) {
    int cols = j1 - j < 2 ? 1 : 2;
    const float *w0 = W + (intptr_t)j * ldw, *w1 = cols == 2 ? w0 + ldw : w0;
    for (int i = 0; i < M; i += 4) {
      int rows = M - i < 4 ? M - i : 4;
      const float *a[4];
      row_group(A + (intptr_t)i * lda, lda, rows, a);
      f4 s00 = SPLAT(0), s01 = SPLAT(0), s10 = SPLAT(0), s11 = SPLAT(0);
      f4 s20 = SPLAT(0), s21 = SPLAT(0), s30 = SPLAT(0), s31 = SPLAT(0);
      for (int p = 0; p < K4; p += 4) {
        f4 u = LOAD(w0 + p), v = LOAD(w1 + p);
        f4 x0 = LOAD(a[0] + p), x1 = LOAD(a[1] + p);
        s00 = FMA(x0, u, s00); s01 = FMA(x0, v, s01);
        s10 = FMA(x1, u, s10); s11 = FMA(x1, v, s11);
        f4 x2 = LOAD(a[2] + p), x3 = LOAD(a[3] + p);
        s20 = FMA(x2, u, s20); s21 = FMA(x2, v, s21);
        s30 = FMA(x3, u, s30); s31 = FMA(x3, v, s31);
      }
      f4 sums[8] = {s00, s01, s10, s11, s20, s21, s30, s31};
      for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
          float s = hsum(sums[2 * r + c]);
          const float *x = a[r], *w = c ? w1 : w0;
          for (int p = K4; p < K; p++) s += x[p] * w[p];
          float *o = C + (intptr_t)(i + r) * ldc + j + c;
          *o = accumulate ? *o + s : s;
        }
    }
  }
}

/**
 * out[b] (m × n) (=|+=) A[b] · B[b] for b < batch, with A[b] at A + b*strideA and B[b] at B + b*strideB.
 * Each thread takes a slice of every product: columns (multiples of 8) when n ≥ m, else rows.
 */
EXPORT void gl_matmul(const float *A, const float *B, float *C, int batch, int M, int N, int K, int ars, int acs,
                      int brs, int bcs, int strideA, int strideB, int accumulate, int *next, int tid, int nt) {
  if (next && batch == 1 && M > 1 && M <= FEW_ROWS && K > 0 && acs == 1 && brs == 1) {
    // a few rows over nn.Linear weights (batched decode): threads claim stretches of TOUCH_BYTES
    // of weight rows from *next (zeroed by the caller), read each ahead (touch.h: two rows at a
    // time are two streams the prefetcher follows badly; 8 batched GPT-2-small F32 rows 56-70 ->
    // 45-50 ms a step), and a thread held up by other work on the machine does fewer stretches
    // instead of holding the other up at the barrier
    int piece = touch_rows((intptr_t)bcs * 4, 2); // whole pairs of rows (few_rows_nk takes two at a time)
    for (int c = claim(next); c * piece < N; c = claim(next)) {
      int jp = c * piece, jEnd = jp + piece < N ? jp + piece : N;
      touch_lines((const uint8_t *)(B + (intptr_t)jp * bcs), ((intptr_t)(jEnd - jp - 1) * bcs + K) * 4);
      few_rows_nk(A, ars, B, bcs, C, N, M, K, jp, jEnd, accumulate);
    }
    return;
  }
  float *pa = thread_scratch(tid), *pb = pa + MC * KC;
  int i0 = 0, i1 = M, j0 = 0, j1 = N;
  if (M == 1) share(N, 16, tid, nt, &j0, &j1);
  else if (N >= M) share(N, NR, tid, nt, &j0, &j1);
  else share(M, MR, tid, nt, &i0, &i1);
  if (i0 >= i1 || j0 >= j1) return;
  for (int b = 0; b < batch; b++) {
    const float *a = A + (intptr_t)b * strideA, *bb = B + (intptr_t)b * strideB;
    float *c = C + (intptr_t)b * M * N;
    if (M == 1 && acs == 1 && brs == 1) matvec_rows(a, bb, bcs, 0, c, K, j0, j1, accumulate);
    else if (M == 1 && acs == 1 && bcs == 1) matvec_cols(a, bb, brs, c, K, j0, j1, accumulate);
    else if (M <= FEW_ROWS && K > 0 && acs == 1 && bcs == 1)
      few_rows_kn(a + (intptr_t)i0 * ars, ars, bb, brs, c + (intptr_t)i0 * N, N, i1 - i0, K, j0, j1, accumulate, pa);
    else if (M <= FEW_ROWS && K > 0 && acs == 1 && brs == 1)
      few_rows_nk(a + (intptr_t)i0 * ars, ars, bb, bcs, c + (intptr_t)i0 * N, N, i1 - i0, K, j0, j1, accumulate);
    else gemm_part(a, bb, c, N, K, ars, acs, brs, bcs, accumulate, i0, i1, j0, j1, pa, pb);
  }
}
