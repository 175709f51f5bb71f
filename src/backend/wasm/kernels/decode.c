// The decode step: the whole work of one token (embedding, norms, products, RoPE, KV-cache write,
// attention, residuals, head, log-softmax) as one call. A model's plan builder
// (src/models/decode-step/) writes, once per model and KV cache, a program: a list of
// instructions, each an opcode and its arguments (byte offsets into this memory, sizes, floats
// as their bits). gl_step runs the program on every thread of the job; products, attention and
// element-wise operations are split across the threads, norms and the other small vector
// operations (whose sums must keep one order) run on thread 0, and a barrier in
// shared memory separates one instruction from the next. Every instruction calls the same
// kernel the general forward runs for that operation, in the same order, so on one thread the
// step's logits equal the general path's bit for bit.
#include "common.h"

// the kernels the instructions run (defined in the other files of this module)
void gl_layer_norm(const float *x, const float *w, const float *b, float *out, float *mean, float *rstd, int rows, int cols, float eps, int tid, int nt);
void gl_rms_norm(const float *x, const float *w, float *out, float *rstd, int rows, int cols, float eps, int tid, int nt);
void gl_matvec_rows_split(const float *x, const float *B, float *partials, int K, int N, int chunk, int *next, int tid, int nt);
void gl_matvec_reduce(const float *partials, int parts, float *out, int N, int accumulate, int tid, int nt);
void gl_matvec_dot(const float *x, const float *B, const float *bias, float *out, int K, int N, int accumulate, int chunk, int *next, int tid, int nt);
void gl_matvec_q8(const float *x, const uint8_t *W, const float *bias, float *out, int N, int K, int chunk, int *next, int tid, int nt);
void gl_unary(int op, const float *x, float *out, int n, int tid, int nt);
void gl_binary(int op, const float *a, int ra, int ca, const float *b, int rb, int cb, float *out, int rows, int cols, int tid, int nt);
void gl_rope(const float *x, float *out, const float *cs, int batch, int seq, int heads, int dim, int tid, int nt);
void gl_attention(const float *q, const float *k, const float *v, float *out, float *lse, float *probs, int batch, int heads,
                  int kvHeads, int T, int S, int D, int offset, const int *rowOffsets, float scale, int kvStride, int tid, int nt);
void gl_log_softmax(const float *x, float *out, int rows, int cols, int tid, int nt);

// Program header (int32 words): the token and its position are written by the caller before each
// step; the barrier and the chunk counters belong to the step.
enum { H_TOKEN, H_POS, H_BAR_COUNT, H_BAR_GEN, H_COUNTERS, H_NCOUNTERS, H_WORDS = 8 };

// Opcodes; the arguments of each are listed as the plan builder writes them (src/models/decode-step/program.ts).
enum {
  OP_END,
  OP_EMBED,       // table, cols, out: out = table[token]
  OP_EMBED_Q8,    // rows, cols, out: out = Q8 row `token` expanded
  OP_ADD_ROW,     // table, cols, x: x = x + table[pos] (learned positions)
  OP_LAYER_NORM,  // x, w, b, out, cols, eps, stats
  OP_RMS_NORM,    // x, w, out, cols, eps, stats
  OP_MATVEC_KN,   // x, W (K × N), bias|0, out, K, N, chunk, counter, partials: out = x · W (+ bias)
  OP_MATVEC_NK,   // x, W (N × K), bias|0, out, K, N, chunk, counter: out = x · Wᵀ (+ bias)
  OP_MATVEC_Q8,   // x, Q8 rows (N × K), bias|0, out, N, K, chunk, counter
  OP_BINARY,      // op, a, b, out, n
  OP_UNARY,       // op, x, out, n
  OP_ROPE,        // x, out, cs, heads, dim
  OP_KV_WRITE,    // src, cache, heads, dim, maxLen: cache[h, pos] = src[h]
  OP_ATTENTION,   // q, k, v, out, lse, heads, kvHeads, dim, scale, kvStride
  OP_LOG_SOFTMAX, // x, out, n
};

#define BARRIER_SPIN 20000

INLINE float as_float(int bits) {
  union { int i; float f; } u = { bits };
  return u.f;
}

/** Waits until all nt threads have arrived (sense by generation): spins a while, then sleeps. */
static void barrier(int *count, int *gen, int nt) {
  if (nt == 1) return;
  int g = __atomic_load_n(gen, __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(count, 1, __ATOMIC_ACQ_REL) == nt) {
    __atomic_store_n(count, 0, __ATOMIC_RELAXED);
    __atomic_store_n(gen, g + 1, __ATOMIC_RELEASE);
#ifdef __wasm_atomics__
    __builtin_wasm_memory_atomic_notify(gen, (unsigned)nt);
#endif
    return;
  }
#ifdef __wasm_atomics__
  for (int i = 0; __atomic_load_n(gen, __ATOMIC_ACQUIRE) == g; i++)
    if (i >= BARRIER_SPIN) __builtin_wasm_memory_atomic_wait32(gen, g, -1);
#endif
}

#define P(i) ((void *)(intptr_t)a[i])

/** Runs one token's program (see the header of this file) on thread tid of nt. */
EXPORT void gl_step(int *prog, int tid, int nt) {
  int *bc = prog + H_BAR_COUNT, *bg = prog + H_BAR_GEN;
  int token = prog[H_TOKEN], pos = prog[H_POS];
  if (tid == 0) {
    int *counters = (int *)(intptr_t)prog[H_COUNTERS];
    for (int i = 0; i < prog[H_NCOUNTERS]; i++) counters[i] = 0;
  }
  barrier(bc, bg, nt);
  const int *a = prog + H_WORDS;
  for (;;) {
    int op = *a++;
    switch (op) {
      case OP_END:
        return;
      case OP_EMBED: // 3
        if (tid == 0) {
          const float *row = (const float *)P(0) + (intptr_t)token * a[1];
          float *out = P(2);
          for (int j = 0; j < a[1]; j++) out[j] = row[j];
        }
        a += 3;
        break;
      case OP_EMBED_Q8: { // 3: the Q8 row's blocks of 32 int8 values times their float32 scale
        if (tid == 0) {
          int K = a[1];
          const uint8_t *row = (const uint8_t *)P(0) + (intptr_t)token * (K + K / 32 * 4);
          const float *d = (const float *)(row + K);
          float *out = P(2);
          for (int j = 0; j < K; j++) out[j] = d[j / 32] * (float)(int8_t)row[j];
        }
        a += 3;
        break;
      }
      case OP_ADD_ROW: // 3
        if (tid == 0) gl_binary(0, P(2), 0, 1, (const float *)P(0) + (intptr_t)pos * a[1], 0, 1, P(2), 1, a[1], 0, 1);
        a += 3;
        break;
      case OP_LAYER_NORM: // 7
        if (tid == 0) gl_layer_norm(P(0), P(1), P(2), P(3), P(6), (float *)P(6) + 1, 1, a[4], as_float(a[5]), 0, 1);
        a += 7;
        break;
      case OP_RMS_NORM: // 6
        if (tid == 0) gl_rms_norm(P(0), P(1), P(2), P(5), 1, a[3], as_float(a[4]), 0, 1);
        a += 6;
        break;
      case OP_MATVEC_KN: { // 9: bias first (thread 0), partial rows on every thread, then their sum
        float *out = P(3);
        int N = a[5];
        if (a[2] && tid == 0) for (int j = 0; j < N; j++) out[j] = ((const float *)P(2))[j];
        gl_matvec_rows_split(P(0), P(1), P(8), a[4], N, a[6], P(7), tid, nt);
        barrier(bc, bg, nt);
        gl_matvec_reduce(P(8), nt, out, N, a[2] ? 1 : 0, tid, nt);
        a += 9;
        break;
      }
      case OP_MATVEC_NK: // 8: with a bias, out = bias + x · Wᵀ (the general path's matmulBias)
        gl_matvec_dot(P(0), P(1), a[2] ? P(2) : 0, P(3), a[4], a[5], 0, a[6], P(7), tid, nt);
        a += 8;
        break;
      case OP_MATVEC_Q8: // 8
        gl_matvec_q8(P(0), P(1), a[2] ? P(2) : 0, P(3), a[4], a[5], a[6], P(7), tid, nt);
        a += 8;
        break;
      case OP_BINARY: // 5: element by element, so shared by the threads (the same values as on one)
        gl_binary(a[0], P(1), 0, 1, P(2), 0, 1, P(3), 1, a[4], tid, nt);
        a += 5;
        break;
      case OP_UNARY: // 4: as OP_BINARY
        gl_unary(a[0], P(1), P(2), a[3], tid, nt);
        a += 4;
        break;
      case OP_ROPE: // 5
        if (tid == 0) gl_rope(P(0), P(1), P(2), 1, 1, a[3], a[4], 0, 1);
        a += 5;
        break;
      case OP_KV_WRITE: // 5
        if (tid == 0) {
          const float *src = P(0);
          float *cache = P(1);
          int heads = a[2], D = a[3];
          for (int h = 0; h < heads; h++) {
            float *dst = cache + ((intptr_t)h * a[4] + pos) * D;
            for (int d = 0; d < D; d++) dst[d] = src[h * D + d];
          }
        }
        a += 5;
        break;
      case OP_ATTENTION: // 10
        gl_attention(P(0), P(1), P(2), P(3), P(4), 0, 1, a[5], a[6], 1, pos + 1, a[7], pos, 0, as_float(a[8]), a[9], tid, nt);
        a += 10;
        break;
      case OP_LOG_SOFTMAX: // 3
        if (tid == 0) gl_log_softmax(P(0), P(1), 1, a[2], 0, 1);
        a += 3;
        break;
      default:
        __builtin_trap(); // a malformed program: the caller sees the trap as an error
    }
    barrier(bc, bg, nt);
  }
}
