// Weight-only int8 (Q8_0): the kernel against dequantized float weights, and whole models against
// their float logits within a stated bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantizeQ8_0, quantizeQ8_0 } from '../src/io/gguf/quants.js';
import { dequantizeQ8Row, packQ8Rows, q8RowBytes, quantizeQ8Rows } from '../src/backend/q8-rows.js';
import * as op from '../src/ops/index.js';
import { noGrad } from '../src/tensor/engine.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadHfModel } from '../src/node.js';

test('matmulQ8 equals a float matmul with the dequantized weights', () => {
  const rng = new op.Rng(3);
  const [m, n, k] = [5, 7, 96];
  const w = Float32Array.from({ length: n * k }, () => rng.normal());
  const x = Float32Array.from({ length: m * k }, () => rng.normal());
  const rows = new Uint8Array(n * q8RowBytes(k));
  quantizeQ8Rows(w, n, k, rows);
  const deq = new Float32Array(n * k);
  dequantizeQ8_0(quantizeQ8_0(w), 0, deq); // GGUF's definition of the same quantization
  const out = new Float32Array(m * n);
  op.zeros([1]).backend.matmulQ8(x, rows, out, m, n, k);
  let worst = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += x[i * k + t] * deq[j * k + t];
    worst = Math.max(worst, Math.abs(s - out[i * n + j]));
  }
  assert.ok(worst < 1e-4, `differs by ${worst}`);
  // and the quantization error itself is within half a step of each block's scale
  const maxErr = Math.max(...w.map((v, i) => Math.abs(v - deq[i])));
  assert.ok(maxErr < (Math.max(...w.map(Math.abs)) / 127) * 0.51, `quantization error ${maxErr}`);
});

for (const name of ['gpt2-tiny', 'llama-tiny']) {
  test(`${name}: Q8_0 weights keep the logits close to float`, { skip: skipUnlessShared('reference', name) }, () => {
    const model = loadHfModel(sharedPath('reference', name)!);
    const ids = op.tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 37) % 512), [1, 16]);
    const exact = noGrad(() => model.forward(ids).logits.toArray());
    model.quantize('q8_0');
    assert.ok(model.quantized.size > 0);
    const q = noGrad(() => model.forward(ids).logits.toArray());
    const worst = Math.max(...q.map((v, i) => Math.abs(v - exact[i])));
    const scale = Math.max(...exact.map(Math.abs));
    console.log(`${name}: Q8_0 logits differ from float by at most ${worst.toExponential(2)} (largest logit ${scale.toFixed(2)})`);
    assert.ok(worst > 0, 'quantization must change something');
    assert.ok(worst < 0.02 * scale, `Q8_0 logits differ by ${worst}`);
  });
}

test('the WebAssembly Q8_0 kernel equals the reference one (decode and prefill shapes, 1 and 2 threads, int16 and int8 activations)', async () => {
  const { createWasmBackend, relaxedSimdSupported } = await import('../src/backend/wasm/index.js');
  const { createCpuBackend } = await import('../src/backend/cpu/index.js');
  const cpu = createCpuBackend();
  const rng = new op.Rng(8);
  const int8 = await relaxedSimdSupported(); // int8 × int8 needs the relaxed build
  for (const [threads, int8Activations] of [[1, false], [2, false], ...(int8 ? [[1, true], [2, true]] as const : [])] as const) {
    const wasm = await createWasmBackend({ threads, int8Activations });
    assert.equal(wasm.int8Activations, int8Activations);
    const steps = int8Activations ? 254 : 65534; // x is rounded to int8 (int16) per block: half a step is 1/254 (1/65534) of the block's largest |x|
    // two cases have weights so small that their float16 scales are subnormal halves
    for (const [m, n, k, scale = 1] of [[1, 7, 32], [1, 333, 768], [1, 1001, 1024], [5, 33, 96], [8, 13, 3072], [17, 64, 256], [1, 99, 256, 1e-5], [9, 20, 64, 1e-6], [2, 3, 32800]]) { // the last: rows too long for the scratch
      const blocks = quantizeQ8_0(Float32Array.from({ length: n * k }, () => rng.normal() * scale));
      const w = new Uint8Array(n * q8RowBytes(k));
      packQ8Rows(blocks, 0, n, k, w);
      const x = Float32Array.from({ length: m * k }, () => rng.normal());
      const bias = n % 2 ? Float32Array.from({ length: n }, () => rng.normal()) : null; // odd n: with a bias
      const expected = new Float32Array(m * n);
      cpu.matmulQ8(x, w, expected, m, n, k, bias);
      // inputs in wasm memory, as tensors have them
      const wx = wasm.alloc('float32', m * k) as Float32Array, ww = wasm.alloc('uint8', w.length) as Uint8Array, wo = wasm.alloc('float32', m * n) as Float32Array;
      wx.set(x);
      ww.set(w);
      wasm.matmulQ8(wx, ww, wo, m, n, k, bias);
      // decode (m = 1) rounds x to int16 or int8 per block of 32: allow half a step of the block's
      // largest |x| times Σ|w| per output, beyond float rounding
      const deq = new Float32Array(n * k);
      dequantizeQ8_0(blocks, 0, deq);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let magnitude = 0, terms = 0;
        for (let t = 0; t < k; t++) {
          magnitude += Math.abs(deq[j * k + t]) * Math.max(...Array.from(x.subarray(i * k + Math.floor(t / 32) * 32, i * k + Math.floor(t / 32) * 32 + 32), Math.abs));
          terms += Math.abs(deq[j * k + t] * x[i * k + t]);
        }
        // float rounding: the sums are taken in different orders, so allow 1e-7 of Σ|x·w| (k = 3072: ~2e-4)
        const bound = (m === 1 && k <= 32768 ? magnitude / steps : 0) + 1e-5 * (scale + Math.abs(expected[i * n + j])) + 1e-7 * terms;
        const diff = Math.abs(wo[i * n + j] - expected[i * n + j]);
        assert.ok(diff <= bound, `(${m}, ${n}, ${k}) on ${threads} threads, ${int8Activations ? 'int8' : 'int16'} activations, output (${i}, ${j}): difference ${diff} > ${bound}`);
      }
      for (const a of [wx, ww, wo]) wasm.free(a);
    }
    wasm.dispose();
  }
});

test('dequantizeQ8 expands Q8 rows as GGUF defines the blocks, on both backends; prefill-sized products agree', async () => {
  const { createWasmBackend } = await import('../src/backend/wasm/index.js');
  const rng = new op.Rng(4);
  const x32 = Float32Array.from({ length: 40 * 64 }, () => rng.normal());
  x32.fill(0, 64, 96); // an all-zero block (scale 0)
  const w = quantizeQ8_0(x32);
  const expected = new Float32Array(40 * 64);
  dequantizeQ8_0(w, 0, expected);
  // the same quantization: GGUF blocks rearranged, or quantized straight into rows
  const packed = new Uint8Array(40 * q8RowBytes(64)), direct = new Uint8Array(packed.length);
  packQ8Rows(w, 0, 40, 64, packed);
  quantizeQ8Rows(x32, 40, 64, direct);
  assert.deepEqual(direct, packed);
  const row = new Float32Array(64);
  dequantizeQ8Row(packed, 7, 64, row);
  assert.deepEqual(Array.from(row), Array.from(expected.subarray(7 * 64, 8 * 64)));
  const wasm = await createWasmBackend({ threads: 2 });
  for (const backend of [op.zeros([1]).backend, wasm]) {
    const out = new Float32Array(40 * 64);
    backend.dequantizeQ8(packed, out, 40, 64);
    assert.deepEqual(Array.from(out), Array.from(expected), backend.name);
  }
  wasm.dispose();
  assert.throws(() => packQ8Rows(w, 0, 40, 64, new Uint8Array(10)), /take 2880 bytes/);
  assert.throws(() => q8RowBytes(48), /multiple of 32/);
  // linearQ8 on 12 rows (the weight-only product) and on 20 (W expanded, then the float matmul)
  // equals a float product with the dequantized matrix
  const qm = op.QuantizedMatrix.fromBlocks(40, 64, w);
  for (const rows of [12, 20]) {
    const x = op.randn([rows, 64], rng);
    const y = op.linearQ8(x, qm).toArray();
    const ref = op.matmul(x, op.transpose(op.tensor(expected, [40, 64]))).toArray();
    assert.ok(Math.max(...y.map((v, i) => Math.abs(v - ref[i]))) < 1e-5, `${rows} rows`);
  }
});
