// Every wasm kernel writes only inside its outputs: arrays are carved from one arena with guard
// regions between them, filled with a sentinel, and the guards are checked after each call, on
// two threads (a thread writing outside its share would corrupt a neighbouring tensor).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { Rng } from '../src/ops/random.js';

const SENTINEL = 12345.5;
const GUARD = 67;

test('wasm kernels on 2 threads never write outside their outputs', async () => {
  const wb = await createWasmBackend({ threads: 2 });
  const arena = wb.alloc('float32', 4_000_000) as Float32Array;
  const ints = new Int32Array(arena.buffer, arena.byteOffset, arena.length);
  arena.fill(SENTINEL);
  const guards: [number, number][] = [];
  const rng = new Rng(5);
  let cursor = 0;
  const carve = (n: number, fill = true): Float32Array => {
    assert.ok(cursor + 2 * GUARD + n <= arena.length, 'the test arena is too small for its arrays');
    guards.push([cursor, cursor + GUARD]);
    cursor += GUARD;
    const a = arena.subarray(cursor, cursor + n);
    if (fill) for (let i = 0; i < n; i++) a[i] = rng.normal();
    else a.fill(0);
    cursor += n;
    return a;
  };
  const carveIds = (n: number, max: number): Int32Array => {
    const f = carve(n);
    const a = ints.subarray(f.byteOffset / 4 - arena.byteOffset / 4, f.byteOffset / 4 - arena.byteOffset / 4 + n);
    for (let i = 0; i < n; i++) a[i] = rng.int(max);
    return a;
  };
  const check = (what: string) => {
    for (const [a, b] of guards) for (let i = a; i < b; i++) assert.equal(arena[i], SENTINEL, `${what} wrote into a guard at ${i}`);
  };

  for (const [m, n, k] of [[37, 45, 29], [1, 300, 77], [130, 9, 64], [5, 1030, 33]]) {
    for (const transA of [false, true]) for (const transB of [false, true]) {
      const a = carve(2 * m * k), b = carve(2 * k * n), c = carve(2 * m * n, false);
      wb.matmul(a, b, c, { batch: 2, m, n, k, transA, transB, strideA: m * k, strideB: k * n, accumulate: false });
      check(`matmul ${m}×${n}×${k} ${transA} ${transB}`);
    }
  }
  for (const [n, k] of [[1030, 301], [301, 1030]]) { // threaded decode products (batch 1, m = 1)
    for (const transB of [false, true]) {
      const x = carve(k), w = carve(k * n), y = carve(n, false);
      wb.matmul(x, w, y, { batch: 1, m: 1, n, k, transA: false, transB, strideA: 0, strideB: 0, accumulate: true });
      check(`matvec ${n}×${k} ${transB}`);
    }
  }
  for (const [rows, cols] of [[48, 64], [300, 37], [7, 1000]]) {
    const x = carve(rows * cols), w = carve(cols), bias = carve(cols), out = carve(rows * cols, false);
    const mean = carve(rows, false), rstd = carve(rows, false), dy = carve(rows * cols), dx = carve(rows * cols, false);
    const dw = carve(cols, false), db = carve(cols, false);
    wb.layerNorm(x, w, bias, out, mean, rstd, rows, cols, 1e-5);
    wb.layerNormBackward(dy, x, w, mean, rstd, dx, dw, db, rows, cols);
    wb.rmsNorm(x, w, out, rstd, rows, cols, 1e-5);
    wb.rmsNormBackward(dy, x, w, rstd, dx, dw, rows, cols);
    wb.softmax(x, out, rows, cols);
    wb.softmaxBackward(out, dy, dx, rows, cols);
    wb.logSoftmax(x, out, rows, cols);
    wb.logSoftmaxBackward(out, dy, dx, rows, cols);
    const targets = carveIds(rows, cols), losses = carve(rows, false), dLoss = carve(rows);
    wb.crossEntropy(x, targets, losses, rows, cols);
    wb.crossEntropyBackward(x, targets, dLoss, dx, rows, cols);
    wb.unary('gelu', x, out);
    wb.activationBackward('gelu', x, dy, dx);
    wb.binary('add', x, [cols, 1], bias, [0, 1], out, [rows, cols]);
    wb.affine(x, 2, 1, out);
    wb.reduce('sum', x, 1, rows, cols, dw);
    const ids = carveIds(rows, 50), table = carve(50 * cols), dTable = carve(50 * cols, false);
    wb.gather(table, ids, out, cols);
    wb.scatterAdd(dy, ids, dTable, cols);
    const mm = carve(rows * cols, false), vv = carve(rows * cols, false);
    for (let i = 0; i < vv.length; i++) vv[i] = Math.abs(rng.normal());
    wb.adamw(x, dy, mm, vv, { lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 3 });
    check(`row kernels ${rows}×${cols}`);
  }
  for (const [B, H, Hkv, T, S, D] of [[2, 4, 2, 24, 24, 16], [1, 6, 2, 1, 40, 32], [2, 3, 3, 67, 67, 8]]) {
    const q = carve(B * H * T * D), k = carve(B * Hkv * S * D), v = carve(B * Hkv * S * D);
    const out = carve(B * H * T * D, false), lse = carve(B * H * T, false), probs = carve(B * H * T * S, false);
    const dOut = carve(B * H * T * D), dq = carve(B * H * T * D, false), dk = carve(B * Hkv * S * D, false), dv = carve(B * Hkv * S * D, false);
    const p = { batch: B, heads: H, kvHeads: Hkv, queryLen: T, keyLen: S, headDim: D, offset: S - T, scale: 1 / Math.sqrt(D) };
    wb.attention(q, k, v, out, lse, probs, p);
    wb.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, p);
    const x = carve(B * T * H * D), y = carve(B * T * H * D, false);
    const inv = new Float32Array(D / 2).map((_, j) => 1 / Math.pow(10000, (2 * j) / D));
    wb.rope(x, y, B, T, H, D, Int32Array.from({ length: T }, (_, t) => t + 3), inv, false);
    const z = carve(B * T * H * D, false);
    wb.copyStrided(x, 0, [B, H, T, D], [T * H * D, D, H * D, 1], z);
    wb.writeStrided(z, y, 0, [B, H, T, D], [T * H * D, D, H * D, 1]);
    check(`attention ${[B, H, Hkv, T, S, D]}`);
  }
  wb.free(arena);
  wb.dispose();
});
