// Every differentiable op's gradient against central finite differences in float64.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as op from '../src/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { backward } from '../src/autograd/backward.js';
import { noGrad, tidy } from '../src/tensor/engine.js';

const rng = new op.Rng(42);

function param(shape: number[], std = 1): Tensor {
  const t = op.randn(shape, rng, std, 'float64');
  t.requiresGrad = true;
  return t;
}

/**
 * Checks d(Σ f(inputs) · w)/d(input) for every input against (L(x+h) - L(x-h)) / 2h.
 * Returns the largest absolute difference seen.
 */
function gradcheck(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol = 1e-6): void {
  const probe = noGrad(() => f(...inputs));
  const w = op.randn(probe.shape, rng, 1, 'float64');
  const loss = () => op.sum(op.mul(f(...inputs), w));
  for (const x of inputs) x.grad = null;
  tidy(() => backward(loss()));
  let worst = 0;
  const h = 1e-6;
  for (const x of inputs) {
    if (!x.requiresGrad) continue;
    const data = x.data() as Float64Array;
    const grad = x.grad!.data();
    for (let i = 0; i < data.length; i++) {
      const saved = data[i];
      data[i] = saved + h;
      const up = noGrad(() => loss().item());
      data[i] = saved - h;
      const down = noGrad(() => loss().item());
      data[i] = saved;
      const numeric = (up - down) / (2 * h);
      const diff = Math.abs(numeric - grad[i]);
      worst = Math.max(worst, diff / Math.max(1, Math.abs(numeric)));
    }
  }
  console.log(`gradcheck ${name}: max relative difference ${worst.toExponential(2)}`);
  assert.ok(worst < tol, `${name}: gradient differs from finite differences by ${worst}`);
}

test('elementwise ops with broadcasting', () => {
  gradcheck('add', op.add, [param([3, 4]), param([4])]);
  gradcheck('sub', op.sub, [param([2, 3, 4]), param([3, 1])]);
  gradcheck('mul', op.mul, [param([3, 4]), param([3, 4])]);
  const pos = op.tensor(Float64Array.from({ length: 12 }, () => 0.5 + rng.next()), [3, 4]);
  pos.requiresGrad = true;
  gradcheck('div', op.div, [param([3, 4]), pos]);
  gradcheck('log', op.log, [pos]);
  gradcheck('sqrt', op.sqrt, [pos]);
  gradcheck('exp', op.exp, [param([5])]);
  gradcheck('tanh', op.tanh, [param([5])]);
  gradcheck('gelu', op.gelu, [param([7])]);
  gradcheck('silu', op.silu, [param([7])]);
  gradcheck('neg/scale/addScalar', (x) => op.addScalar(op.scale(op.neg(x), 2.5), 1), [param([4])]);
});

test('reductions, matmul and views', () => {
  gradcheck('sum axes', (x) => op.sum(x, [0, 2], true), [param([2, 3, 4])]);
  gradcheck('mean', (x) => op.mean(x, [-1]), [param([3, 5])]);
  gradcheck('matmul', op.matmul, [param([3, 4]), param([4, 5])]);
  gradcheck('batched matmul', op.matmul, [param([2, 3, 4]), param([2, 4, 5])]);
  gradcheck('matmul shared right operand', op.matmul, [param([2, 3, 4]), param([4, 5])]);
  gradcheck('matmul transposed views', (a, b) => op.matmul(op.transpose(a), op.transpose(b)), [param([4, 3]), param([5, 4])]);
  gradcheck('linear', op.linear, [param([2, 3, 4]), param([5, 4]), param([5])]);
  gradcheck('reshape/permute', (x) => op.permute(op.reshape(x, [3, 2, 4]), [2, 0, 1]), [param([6, 4])]);
  gradcheck('slice/split', (x) => op.mul(op.split(x, 1, [2, 3])[1], op.slice(x, 1, 0, 3)), [param([2, 5])]);
  gradcheck('concat', (a, b) => op.concat([a, b], 1), [param([2, 3]), param([2, 2])]);
  gradcheck('broadcastTo', (x) => op.broadcastTo(x, [3, 2, 4]), [param([2, 1])]);
});

test('softmax, norms, embedding, rope, attention, cross-entropy', () => {
  gradcheck('softmax', op.softmax, [param([3, 6])]);
  gradcheck('logSoftmax', op.logSoftmax, [param([3, 6])]);
  gradcheck('layerNorm', (x, w, b) => op.layerNorm(x, w, b, 1e-5), [param([3, 8]), param([8]), param([8])]);
  gradcheck('rmsNorm', (x, w) => op.rmsNorm(x, w, 1e-5), [param([3, 8]), param([8])]);
  const ids = op.tensor(new Int32Array([3, 0, 3, 1]), [2, 2]);
  gradcheck('embedding', (t) => op.embedding(t, ids), [param([5, 3])]);
  const inv = op.ropeInverseFrequencies(4, 10000);
  gradcheck('rope', (x) => op.rope(x, new Int32Array([0, 5, 9]), inv), [param([2, 3, 2, 4])]);
  gradcheck('attention', (q, k, v) => op.attention(q, k, v).out, [param([2, 2, 4, 3]), param([2, 2, 4, 3]), param([2, 2, 4, 3])]);
  gradcheck('attention GQA + offset', (q, k, v) => op.attention(q, k, v).out, [param([1, 4, 2, 3]), param([1, 2, 5, 3]), param([1, 2, 5, 3])]);
  const targets = op.tensor(new Int32Array([2, -1, 0, 4]), [2, 2]);
  gradcheck('crossEntropy', (x) => op.crossEntropy(x, targets), [param([2, 2, 5])]);
});

test('attention equals softmax(q·kᵀ/√d + mask)·v written out', () => {
  const q = op.randn([1, 2, 3, 4], rng, 1, 'float64');
  const k = op.randn([1, 2, 3, 4], rng, 1, 'float64');
  const v = op.randn([1, 2, 3, 4], rng, 1, 'float64');
  const { out, probs } = op.attention(q, k, v, { returnProbs: true });
  const scores = op.scale(op.matmul(q, op.transpose(k)), 0.5);
  const mask = op.tensor(Float64Array.from([0, -1e30, -1e30, 0, 0, -1e30, 0, 0, 0]), [3, 3]);
  const p = op.softmax(op.add(scores, mask));
  const expected = op.matmul(p, v);
  const diff = Math.max(...expected.toArray().map((x, i) => Math.abs(x - out.toArray()[i])));
  const pdiff = Math.max(...p.toArray().map((x, i) => Math.abs(x - probs!.toArray()[i])));
  assert.ok(diff < 1e-12 && pdiff < 1e-12, `fused attention differs: out ${diff}, probs ${pdiff}`);
});

test('gradients accumulate across backward calls and tidy frees intermediates', () => {
  const backend = op.zeros([1]).backend;
  const x = param([3]);
  const before = backend.liveBuffers();
  tidy(() => backward(op.sum(op.mul(x, x))));
  tidy(() => backward(op.sum(op.mul(x, x))));
  const expected = x.toArray().map((v) => 4 * v);
  x.grad!.toArray().forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-12));
  assert.equal(backend.liveBuffers() - before, 1, 'only the gradient buffer should stay alive');
});

test('the blocked cpu matmul equals the naive one on awkward shapes', async () => {
  const { matmul, matmulNaive } = await import('../src/backend/cpu/matmul.js');
  for (const [batch, m, n, k] of [[1, 1, 1, 1], [2, 5, 300, 7], [3, 9, 513, 33], [1, 4, 256, 2]]) {
    for (const transA of [false, true]) for (const transB of [false, true]) for (const accumulate of [false, true]) {
      const a = Float64Array.from({ length: batch * m * k }, () => rng.normal());
      const b = Float64Array.from({ length: batch * k * n }, () => rng.normal());
      const start = Float64Array.from({ length: batch * m * n }, () => rng.normal());
      const p = { batch, m, n, k, transA, transB, strideA: m * k, strideB: transB ? 0 : k * n, accumulate };
      const fast = Float64Array.from(start), slow = Float64Array.from(start);
      matmul(a, b, fast, p);
      matmulNaive(a, b, slow, p);
      const worst = Math.max(...fast.map((x, i) => Math.abs(x - slow[i])));
      assert.ok(worst < 1e-12, `matmul ${JSON.stringify(p)} differs by ${worst}`);
    }
  }
});
