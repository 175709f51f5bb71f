// Threads chosen by work size: with the default (no thread count given) a kernel runs on the
// workers only when its work passes the kernel's threshold; a forced count (threads: N) puts every
// splittable kernel on all N threads. Either way the results equal the one-thread backend's.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type WasmBackend, createWasmBackend } from '../src/backend/wasm/index.js';
import { PARALLEL_ELEMENTS, PARALLEL_MATVEC } from '../src/backend/wasm/kernels.js';

let one: WasmBackend, auto: WasmBackend, forced: WasmBackend;
before(async () => {
  one = await createWasmBackend({ threads: 1 });
  auto = await createWasmBackend({ threads: 2, byWorkSize: true });
  forced = await createWasmBackend({ threads: 2 });
});
after(() => {
  for (const b of [one, auto, forced]) b.dispose();
});

const filled = (b: WasmBackend, n: number, seed: number) => {
  const x = b.alloc('float32', n) as Float32Array;
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37 + seed);
  return x;
};

/** Runs fn on a backend; returns its output and how many kernel calls went to the workers. */
function jobs(b: WasmBackend, fn: (b: WasmBackend) => Float32Array): { out: Float32Array; threaded: number } {
  const before = b.threadedCalls();
  const out = Float32Array.from(fn(b));
  return { out, threaded: b.threadedCalls() - before };
}

test('a backend without a thread count chooses by work size; a given count is forced', async () => {
  const b = await createWasmBackend();
  try {
    assert.equal(b.byWorkSize, true);
  } finally {
    b.dispose();
  }
  assert.equal(forced.byWorkSize, false);
  assert.match(auto.notes, /by its work size/);
});

test('elementwise: below the threshold one thread, at it all threads, same values', () => {
  for (const n of [1000, PARALLEL_ELEMENTS]) {
    const gelu = (b: WasmBackend) => {
      const x = filled(b, n, 1), y = b.alloc('float32', n) as Float32Array;
      b.unary('gelu', x, y);
      return y;
    };
    const ref = jobs(one, gelu), a = jobs(auto, gelu), f = jobs(forced, gelu);
    assert.equal(ref.threaded, 0);
    assert.equal(a.threaded, n >= PARALLEL_ELEMENTS ? 1 : 0, `auto, n = ${n}`);
    assert.equal(f.threaded, 1, `forced, n = ${n}`);
    assert.deepEqual(a.out, ref.out);
    assert.deepEqual(f.out, ref.out);
  }
});

test('decode product (1 × k · (n × k)ᵀ): threads from PARALLEL_MATVEC words of weights, same values', () => {
  const k = 256;
  for (const n of [64, PARALLEL_MATVEC / k]) {
    const product = (b: WasmBackend) => {
      const x = filled(b, k, 2), w = filled(b, n * k, 3), out = b.alloc('float32', n) as Float32Array;
      b.matmul(x, w, out, { batch: 1, m: 1, n, k, transA: false, transB: true, strideA: 0, strideB: 0, accumulate: false });
      return out;
    };
    const ref = jobs(one, product), a = jobs(auto, product), f = jobs(forced, product);
    assert.equal(a.threaded, n * k >= PARALLEL_MATVEC ? 1 : 0, `auto, n = ${n}`);
    assert.equal(f.threaded, 1);
    assert.deepEqual(a.out, ref.out); // each output is one thread's dot product: identical
    assert.deepEqual(f.out, ref.out);
  }
});
