// Reading weights ahead of their use. WebAssembly has no prefetch instruction, and the processor's
// own prefetcher does not keep up with weight rows read several at a time (the Q8 products, the
// few-row float product): a weight row of GPT-2-small is 13-54 cache lines (Q8) or 48-192 (F32),
// read as 2-4 interleaved streams that end before the prefetcher has learnt them, while the
// arithmetic between two lines is long enough that out-of-order execution has only a few misses in
// flight. So those products read a stretch of rows as one burst of independent loads (one word of
// every 64-byte line, many misses at once), then compute on the stretch from cache. Measured on GPT-2-small's shapes (Node 26, 2 threads): the int8 × int8
// product of 8 rows over weights from memory ran at 35-58 G multiply-adds/s, 51-84 reading ahead
// (95-104 from cache). Where rows are read one at a time as one stream (the float decode product,
// the int16 one), the prefetcher does keep up and reading ahead only made them slower
// (F32 12.7-14.1 -> 14.2-14.7 ms a step). One-query attention reads each head's keys and values
// ahead the same way.
#pragma once
#include "common.h"

/** Bytes of weights read ahead at a time: well inside L2 (1 MB a core on the machine measured; 16-64 KB measured alike). */
#define TOUCH_BYTES (32 * 1024)

/** Rows of `rowBytes` each to read ahead at a time: TOUCH_BYTES' worth, a multiple of `multiple` (at least one). */
INLINE int touch_rows(intptr_t rowBytes, int multiple) {
  int rows = (int)(TOUCH_BYTES / rowBytes) / multiple * multiple;
  return rows < multiple ? multiple : rows;
}

/** Sink for the loaded words, so that the compiler keeps the loads. */
extern volatile uint32_t gl_touch_sink;

/** Reads one word of every 64-byte line of p[0 … bytes) (p 4-byte aligned): loads that do not wait on each other. */
INLINE void touch_lines(const uint8_t *p, intptr_t bytes) {
  uint32_t sum = 0;
  for (intptr_t o = 0; o < bytes; o += 64) sum += *(const uint32_t *)(p + o);
  gl_touch_sink = sum;
}
