// The op front end (validation, broadcasting, autograd) running on the wasm backend gives the
// same values and gradients as on the cpu backend: a small transformer-block-shaped computation,
// forward and backward, compared with |wasm - cpu| ≤ 1e-4 + 1e-4·|cpu|. Also checks that a
// scope frees everything it allocated in wasm memory.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as op from '../src/ops/index.js';
import { backward } from '../src/autograd/backward.js';
import type { Backend } from '../src/backend/backend.js';
import { createCpuBackend } from '../src/backend/cpu/index.js';
import { type WasmBackend, createWasmBackend } from '../src/backend/wasm/index.js';
import { setBackend, tidy } from '../src/tensor/engine.js';
import type { Tensor } from '../src/tensor/tensor.js';

let wasm: WasmBackend;
before(async () => {
  wasm = await createWasmBackend({ threads: 2 });
});
after(() => wasm.dispose());

/** Runs a block on a backend from the same seed: returns the loss and every gradient as arrays. */
function block(backend: Backend): { loss: number; logits: number[]; grads: number[][] } {
  const previous = setBackend(backend);
  try {
    return tidy(() => {
      const rng = new op.Rng(3);
      const B = 2, T = 19, C = 32, H = 4, KV = 2, D = C / H, V = 41;
      const p = (shape: number[], std = 0.3) => {
        const t = op.randn(shape, rng, std);
        t.requiresGrad = true;
        return t;
      };
      const wte = p([V, C]), ln1w = p([C]), ln1b = p([C]), wq = p([C, C]), wk = p([KV * D, C]), wv = p([KV * D, C]);
      const wo = p([C, C]), ln2w = p([C]), wfc = p([4 * C, C]), bfc = p([4 * C]), wproj = p([C, 4 * C]);
      const params = [wte, ln1w, ln1b, wq, wk, wv, wo, ln2w, wfc, bfc, wproj];
      const ids = op.tensor(Array.from({ length: B * T }, (_, i) => (i * 7) % V), [B, T], 'int32');
      const targets = op.tensor(Array.from({ length: B * T }, (_, i) => (i % 9 === 8 ? -1 : (i * 5 + 3) % V)), [B * T], 'int32');
      const x = op.embedding(wte, ids); // (B, T, C)
      const h = op.layerNorm(x, ln1w, ln1b, 1e-5);
      const heads = (t: Tensor, n: number) => op.transpose(op.reshape(t, [B, T, n, D]), 1, 2); // (B, n, T, D)
      const positions = Int32Array.from({ length: T }, (_, t) => t);
      const invFreq = op.ropeInverseFrequencies(D, 10000);
      const rot = (t: Tensor, n: number) => op.transpose(op.rope(op.reshape(t, [B, T, n, D]), positions, invFreq), 1, 2);
      const q = rot(op.linear(h, wq), H), k = rot(op.linear(h, wk), KV), v = heads(op.linear(h, wv), KV);
      const att = op.attention(q, k, v).out; // (B, H, T, D)
      const y = op.add(x, op.linear(op.reshape(op.transpose(att, 1, 2), [B, T, C]), wo));
      const m = op.linear(op.gelu(op.linear(op.rmsNorm(y, ln2w, 1e-6), wfc, bfc)), wproj);
      const z = op.add(y, op.mul(op.silu(m), op.softmax(m)));
      const logits = op.reshape(op.matmul(z, op.transpose(wte)), [B * T, V]);
      const loss = op.add(op.crossEntropy(logits, targets), op.mean(op.exp(op.logSoftmax(logits))));
      backward(loss);
      return { loss: loss.item(), logits: logits.toArray(), grads: params.map((t) => t.grad!.toArray()) };
    });
  } finally {
    setBackend(previous);
  }
}

function close(a: number[], e: number[], what: string): void {
  assert.equal(a.length, e.length);
  for (let i = 0; i < e.length; i++) {
    assert.ok(Math.abs(a[i] - e[i]) <= 1e-4 + 1e-4 * Math.abs(e[i]), `${what}[${i}]: wasm ${a[i]} vs cpu ${e[i]}`);
  }
}

test('a transformer block, forward and backward, matches the cpu backend', () => {
  const live = wasm.liveBuffers();
  const w = block(wasm);
  const c = block(createCpuBackend());
  assert.ok(Math.abs(w.loss - c.loss) < 1e-5, `loss: wasm ${w.loss} vs cpu ${c.loss}`);
  close(w.logits, c.logits, 'logits');
  w.grads.forEach((g, i) => close(g, c.grads[i], `grad ${i}`));
  assert.equal(wasm.liveBuffers(), live, 'every tensor of the scope was freed');
});

test('strided copies (permutes, slices, broadcasts) on the wasm backend equal the reference loops', async () => {
  const { createWasmBackend } = await import('../src/backend/wasm/index.js');
  const { createCpuBackend } = await import('../src/backend/cpu/index.js');
  const cpu = createCpuBackend();
  const rng = new op.Rng(21);
  for (const threads of [1, 2]) {
    const wasm = await createWasmBackend({ threads });
    const src = wasm.alloc('float32', 4000) as Float32Array;
    for (let i = 0; i < src.length; i++) src[i] = rng.normal();
    const cases: [number, number[], number[]][] = [
      [0, [7], [1]], [3, [5, 6], [1, 5]], [10, [2, 3, 4], [12, 1, 3]], [1, [2, 5, 3, 9], [135, 9, 45, 1]],
      [2, [3, 4, 5], [0, 5, 1]], [0, [2, 3, 4, 5], [60, 5, 15, 1]], [5, [4, 33], [33, 1]], [0, [3, 1, 4, 2], [8, 0, 2, 1]],
    ];
    for (const [offset, shape, strides] of cases) {
      const n = shape.reduce((p, d) => p * d, 1);
      const a = wasm.alloc('float32', n) as Float32Array, b = new Float32Array(n);
      wasm.copyStrided(src, offset, shape, strides, a);
      cpu.copyStrided(src, offset, shape, strides, b);
      assert.deepEqual(Array.from(a), Array.from(b), `copy ${shape} ${strides} (${threads} threads)`);
      const dstW = wasm.alloc('float32', 4000) as Float32Array, dstC = new Float32Array(4000);
      wasm.writeStrided(a, dstW, offset, shape, strides);
      cpu.writeStrided(b, dstC, offset, shape, strides);
      assert.deepEqual(Array.from(dstW), Array.from(dstC), `write ${shape} ${strides} (${threads} threads)`);
      wasm.free(a);
      wasm.free(dstW);
    }
    wasm.dispose();
  }
});

test('attention with each row at its own offset (KV-cache rows of different lengths) equals softmax(q·kᵀ)·v written out per row, keys past a row\'s end unread', () => {
  for (const T of [1, 2]) checkRowOffsets(T); // one query per row (decode) and a block of queries
});

function checkRowOffsets(T: number): void {
  const B = 3, H = 4, KV = 2, D = 20, S = 37, group = H / KV, scale = 0.3;
  const offsets = Int32Array.of(0, 35, 17); // row b's queries sit at offsets[b] … offsets[b] + T - 1
  const rng = new op.Rng(9);
  const q = Float32Array.from({ length: B * H * T * D }, () => rng.normal());
  const k = Float32Array.from({ length: B * KV * S * D }, () => rng.normal());
  const v = Float32Array.from({ length: B * KV * S * D }, () => rng.normal());
  // stale positions past each row's last query: NaN, which must not reach the output
  for (let b = 0; b < B; b++) for (let h = 0; h < KV; h++) for (let j = offsets[b] + T; j < S; j++) {
    for (let d = 0; d < D; d++) k[((b * KV + h) * S + j) * D + d] = v[((b * KV + h) * S + j) * D + d] = NaN;
  }
  const expected = new Float64Array(B * H * T * D);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const kv = (b * KV + Math.floor(h / group)) * S, qi = ((b * H + h) * T + i) * D, last = offsets[b] + i;
    const scores = Array.from({ length: last + 1 }, (_, j) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += q[qi + d] * k[(kv + j) * D + d];
      return s * scale;
    });
    const top = Math.max(...scores), weights = scores.map((s) => Math.exp(s - top)), total = weights.reduce((a, w) => a + w, 0);
    for (let j = 0; j <= last; j++) for (let d = 0; d < D; d++) expected[qi + d] += (weights[j] / total) * v[(kv + j) * D + d];
  }
  for (const backend of [createCpuBackend(), wasm]) {
    const previous = setBackend(backend);
    try {
      tidy(() => {
        const out = op.attention(op.tensor(q, [B, H, T, D]), op.tensor(k, [B, KV, S, D]), op.tensor(v, [B, KV, S, D]), { rowOffsets: offsets, scale }).out.toArray();
        const worst = Math.max(...out.map((x, i) => Math.abs(x - expected[i])));
        assert.ok(worst < 1e-5, `${backend.name}, ${T} queries: differs by ${worst}`);
        assert.throws(() => op.attention(op.tensor(q, [B, H, T, D]), op.tensor(k, [B, KV, S, D]), op.tensor(v, [B, KV, S, D]), { rowOffsets: Int32Array.of(0, 37 - T + 1, 1) }), new RegExp(`row offset of ${38 - T} with ${T} queries`));
        assert.throws(() => op.attention(op.tensor(q, [B, H, T, D]), op.tensor(k, [B, KV, S, D]), op.tensor(v, [B, KV, S, D]), { rowOffsets: Int32Array.of(0, 1) }), /2 row offsets for a batch of 3/);
        // inference only: a gradient through per-row offsets is refused, not computed with one offset
        const qg = op.tensor(q, [B, H, T, D]);
        qg.requiresGrad = true;
        const loss = op.sum(op.attention(qg, op.tensor(k, [B, KV, S, D]), op.tensor(v, [B, KV, S, D]), { rowOffsets: offsets, scale }).out);
        assert.throws(() => backward(loss), /per-row offsets is for inference only/);
      });
    } finally {
      setBackend(previous);
    }
  }
}
