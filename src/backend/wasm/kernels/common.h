// Shared definitions for the glasslm WebAssembly kernels.
//
// Every exported kernel works on flat row-major float32 arrays inside the one shared linear
// memory and takes (tid, nt) last: thread tid of nt computes its own share, so the same call
// runs on one thread (0, 1) or on all of them. No kernel calls libc (built with -nostdlib).
#pragma once
#include <wasm_simd128.h>
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))
#define INLINE static inline __attribute__((always_inline))

typedef v128_t f4;

// a * b + c: fused (relaxed SIMD build) or mul then add (plain SIMD128 build)
#ifdef GL_RELAXED
#define FMA(a, b, c) wasm_f32x4_relaxed_madd((a), (b), (c))
#else
#define FMA(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

#define SPLAT(x) wasm_f32x4_splat(x)
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store((p), (v))

INLINE float hsum(f4 v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

INLINE float hmax(f4 v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

/** Adds the four lanes of v to two float64x2 accumulators (sums of long rows stay accurate). */
INLINE void acc64(v128_t *lo, v128_t *hi, f4 v) {
  *lo = wasm_f64x2_add(*lo, wasm_f64x2_promote_low_f32x4(v));
  *hi = wasm_f64x2_add(*hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
}

INLINE double hsum64(v128_t lo, v128_t hi) {
  v128_t s = wasm_f64x2_add(lo, hi);
  return wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
}

/** Σ a[0 … n) accumulated in float64 (long rows stay accurate). */
INLINE double sum64(const float *a, int n) {
  v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
  int j = 0;
  for (; j + 4 <= n; j += 4) acc64(&lo, &hi, LOAD(a + j));
  double s = hsum64(lo, hi);
  for (; j < n; j++) s += a[j];
  return s;
}

/** [start, end) of thread tid's share of n items, in chunks of `align` items. */
INLINE void share(int n, int align, int tid, int nt, int *start, int *end) {
  int chunks = (n + align - 1) / align;
  int c0 = (int)((int64_t)chunks * tid / nt), c1 = (int)((int64_t)chunks * (tid + 1) / nt);
  *start = c0 * align < n ? c0 * align : n;
  *end = c1 * align < n ? c1 * align : n;
}

// Scratch set up by the loader: per-thread regions (packing buffers) of `region` bytes each.
extern uint8_t *gl_scratch_base;
extern int gl_scratch_region;
INLINE float *thread_scratch(int tid) { return (float *)(gl_scratch_base + (intptr_t)tid * gl_scratch_region); }

/**
 * Dynamic scheduling: the next unclaimed chunk of a job, from a counter in shared memory that the
 * caller zeroes before the job. Threads that start late (or run slower) simply claim fewer chunks.
 */
INLINE int claim(int *next) { return __atomic_fetch_add(next, 1, __ATOMIC_RELAXED); }
