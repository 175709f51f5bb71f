// Int8 × int8 products for many rows (prefill): the reference (cpu/quantized.ts matmulQ8x8) on a
// hand-worked example and against the weight-only product, and the WebAssembly kernel
// (kernels/q8gemm.c) against the reference, where the engine runs it (VNNI: Node 26 on this machine).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeQ8_0, dequantizeQ8_0 } from '../src/io/gguf/quants.js';
import { packQ8Rows, q8RowBytes } from '../src/backend/q8-rows.js';
import { matmulQ8, matmulQ8x8 } from '../src/backend/cpu/quantized.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, getBackend } from '../src/tensor/engine.js';

/** Q8 rows of a random (n, k) matrix, and the matrix expanded. */
function randomRows(rng: op.Rng, n: number, k: number): { w: Uint8Array; deq: Float32Array } {
  const blocks = quantizeQ8_0(Float32Array.from({ length: n * k }, () => rng.normal()));
  const w = new Uint8Array(n * q8RowBytes(k));
  packQ8Rows(blocks, 0, n, k, w);
  const deq = new Float32Array(n * k);
  dequantizeQ8_0(blocks, 0, deq);
  return { w, deq };
}

test('matmulQ8x8 reference: a hand-worked block (ties round to even), and within half an int8 step of the weight-only product', () => {
  // x = (2, -1, 0.5, 0, …): scale 2/127, q = round(x · 63.5) = (127, -64 (a tie: to even), 32, 0, …)
  // w = (1, 2, 4, 0, …) with d = 0.5: Σ q·w = 127 - 128 + 128 = 127, out = 2/127 · 0.5 · 127 = 1
  const k = 32, x = new Float32Array(k), row = new Uint8Array(q8RowBytes(k));
  x.set([2, -1, 0.5]);
  row.set([1, 2, 4]);
  new DataView(row.buffer).setFloat32(k, 0.5, true);
  const out = new Float32Array(1);
  matmulQ8x8(x, row, out, 1, 1, k, null);
  assert.ok(Math.abs(out[0] - 1) < 1e-6, `got ${out[0]}`);
  matmulQ8x8(x, row, out, 1, 1, k, Float32Array.of(0.25));
  assert.ok(Math.abs(out[0] - 1.25) < 1e-6, `with bias: ${out[0]}`);
  // x[1] = -1 rounded away from zero (-63) would give 129 / 127
  // against the weight-only product: each x is off by at most half a step (max|x| of its block / 254)
  const rng = new op.Rng(3), m = 5, n = 7, k2 = 96;
  const { w, deq } = randomRows(rng, n, k2);
  const xs = Float32Array.from({ length: m * k2 }, () => rng.normal());
  const a = new Float32Array(m * n), b = new Float32Array(m * n);
  matmulQ8x8(xs, w, a, m, n, k2);
  matmulQ8(xs, w, b, m, n, k2);
  let changed = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let bound = 1e-5;
    for (let t = 0; t < k2; t++) {
      const blk = xs.subarray(i * k2 + Math.floor(t / 32) * 32, i * k2 + Math.floor(t / 32) * 32 + 32);
      bound += (Math.abs(deq[j * k2 + t]) * Math.max(...Array.from(blk, Math.abs))) / 254;
    }
    const diff = Math.abs(a[i * n + j] - b[i * n + j]);
    if (diff > 1e-6) changed++;
    assert.ok(diff <= bound, `(${i}, ${j}): ${diff} > ${bound}`);
  }
  assert.ok(changed > 0, 'rounding x to int8 must change something');
});

test('the WebAssembly int8 × int8 prefill kernel equals the reference (row blocks, padding, odd columns, bias, 1 and 2 threads)', async (t) => {
  const { createWasmBackend } = await import('../src/backend/wasm/index.js');
  // forced, it runs wherever the engine takes the int8 dot product's second operand as unsigned bytes
  const why = await createWasmBackend({ threads: 1, int8Gemm: true }).then((b) => (b.dispose(), ''), (e: Error) => e.message);
  if (why) {
    t.skip(`${process.version}: ${why}`);
    return;
  }
  const rng = new op.Rng(21);
  for (const threads of [1, 2]) {
    const wasm = await createWasmBackend({ threads, int8Gemm: true });
    assert.ok(wasm.int8Gemm && wasm.matmulQ8x8);
    for (const [m, n, k] of [[8, 4, 32], [9, 7, 64], [13, 33, 96], [64, 64, 256], [130, 50, 768], [8, 1, 64], [8, 3, 64]]) {
      const { w, deq } = randomRows(rng, n, k);
      const x = Float32Array.from({ length: m * k }, () => rng.normal() * (rng.int(4) === 0 ? 100 : 1));
      x.fill(0, 0, 32); // an all-zero block (scale 0)
      const bias = n % 2 ? Float32Array.from({ length: n }, () => rng.normal()) : null;
      const expected = new Float32Array(m * n);
      if (n >= 4) matmulQ8x8(x, w, expected, m, n, k, bias);
      else matmulQ8(x, w, expected, m, n, k, bias); // under 4 columns: the weight-only product
      const wx = wasm.alloc('float32', m * k) as Float32Array, ww = wasm.alloc('uint8', w.length) as Uint8Array, wo = wasm.alloc('float32', m * n) as Float32Array;
      wx.set(x);
      ww.set(w);
      wo.fill(NaN);
      wasm.matmulQ8x8!(wx, ww, wo, m, n, k, bias);
      // the same integers; float32 scales and sums against the reference's float64 ones: a few
      // float32 roundings of Σ|x|·|w| (outputs can cancel far below their terms)
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let magnitude = 0;
        for (let q = 0; q < k; q++) magnitude += Math.abs(x[i * k + q] * deq[j * k + q]);
        const diff = Math.abs(wo[i * n + j] - expected[i * n + j]);
        assert.ok(diff <= 1e-6 * magnitude + 1e-6, `(${m}, ${n}, ${k}) on ${threads} threads, output (${i}, ${j}): ${wo[i * n + j]} vs ${expected[i * n + j]}, magnitude ${magnitude}`);
      }
      for (const a of [wx, ww, wo]) wasm.free(a);
    }
    // linearQ8 takes it for 8 rows and more: the same numbers as the reference
    const before = getBackend();
    setBackend(wasm);
    try {
      const qm = op.QuantizedMatrix.fromBlocks(24, 64, quantizeQ8_0(Float32Array.from({ length: 24 * 64 }, () => rng.normal())));
      const x = op.randn([2, 6, 64], rng);
      const y = noGrad(() => op.linearQ8(x, qm)).toArray();
      const ref = new Float32Array(12 * 24);
      matmulQ8x8(Float32Array.from(x.toArray()), qm.data.data() as Uint8Array, ref, 12, 24, 64);
      assert.ok(Math.max(...y.map((v, i) => Math.abs(v - ref[i]))) < 1e-4);
    } finally {
      setBackend(before);
    }
    wasm.dispose();
  }
});
