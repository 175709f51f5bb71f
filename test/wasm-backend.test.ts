// The wasm backend against the reference cpu backend, kernel by kernel, on random shapes that are
// not multiples of the tiles, with transposes, batch strides of 0, accumulation, GQA attention
// with offsets and long sequences; on one thread and on two. Tolerance: |wasm - cpu| ≤ 1e-5 +
// 1e-5·|cpu| unless stated (float32 kernels with polynomial exp/tanh/log against float64 math).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, UnaryOp } from '../src/backend/backend.js';
import { createCpuBackend } from '../src/backend/cpu/index.js';
import { type WasmBackend, createWasmBackend } from '../src/backend/wasm/index.js';

const cpu = createCpuBackend();

/** A deterministic generator (mulberry32), values in [lo, hi). */
function rng(seed: number) {
  let s = seed >>> 0;
  return (lo = -1, hi = 1) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-5, rtol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: lengths`);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], a = actual[i];
    if (Object.is(e, a) || (Number.isNaN(e) && Number.isNaN(a))) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      at = i;
    }
  }
  assert.ok(at < 0, `${what}: at ${at} wasm ${actual[at]} vs cpu ${expected[at]} (|diff| ${Math.abs(actual[at] - expected[at])})`);
}

// threads 0: the single-thread build on an ordinary memory (pages without SharedArrayBuffer)
for (const threads of [1, 2, 0]) {
  describe(threads ? `wasm backend, ${threads} thread${threads > 1 ? 's' : ''}` : 'wasm backend on an unshared memory (no SharedArrayBuffer)', () => {
    let wb: WasmBackend;
    before(async () => {
      wb = threads ? await createWasmBackend({ threads }) : await createWasmBackend({ threads: 2, sharedMemory: false });
    });
    after(() => wb.dispose());

    /** Random float32 data in wasm memory and an identical plain copy for the cpu reference. */
    function pair(n: number, seed: number, lo = -1, hi = 1): [Float32Array, Float32Array] {
      const r = rng(seed);
      const w = wb.alloc('float32', n) as Float32Array;
      for (let i = 0; i < n; i++) w[i] = r(lo, hi);
      return [w, Float32Array.from(w)];
    }
    function zeros(n: number): [Float32Array, Float32Array] {
      return [wb.alloc('float32', n) as Float32Array, new Float32Array(n)];
    }
    function ints(values: number[]): Int32Array {
      const a = wb.alloc('int32', values.length) as Int32Array;
      a.set(values);
      return a;
    }

    test('reports its set-up', () => {
      assert.equal(wb.threads, threads || 1);
      if (!threads) assert.match(wb.notes, /one thread: asked for an unshared memory/);
      const probe = wb.alloc('float32', 4);
      assert.equal(probe.buffer instanceof SharedArrayBuffer, threads > 0, 'memory shared exactly when threads are possible');
      wb.free(probe);
      assert.ok(wb.simd === 'simd128' || wb.simd === 'relaxed');
      assert.match(wb.notes, /wasm/);
    });

    test('matmul: odd sizes, transposes, batch strides 0, accumulate, m = 1 and a few rows (threaded decode products too)', () => {
      const sizes = [[1, 1, 1], [3, 7, 5], [7, 33, 65], [33, 65, 7], [65, 1, 33], [1, 65, 300], [130, 70, 260], [5, 9, 0], [1, 513, 37], [1, 1030, 301], [1, 301, 1030], [1, 7, 9999],
        [2, 130, 3], [8, 777, 600], [13, 64, 261], [16, 9, 513], [4, 1040, 40], [17, 24, 24]]; // rows 2-16: the few-rows kernels (K beyond one block, ragged columns)
      let seed = 1;
      for (const [m, n, k] of sizes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const [batch, shareA, shareB] of [[1, false, false], [3, false, true], [2, true, false]] as const) {
              for (const accumulate of [false, true]) {
                const p = { batch, m, n, k, transA, transB, strideA: shareA ? 0 : m * k, strideB: shareB ? 0 : k * n, accumulate };
                const [aw, ac] = pair(Math.max(1, (shareA ? 1 : batch) * m * k), seed++);
                const [bw, bc] = pair(Math.max(1, (shareB ? 1 : batch) * k * n), seed++);
                const [ow, oc] = pair(batch * m * n, seed++);
                wb.matmul(aw, bw, ow, p);
                cpu.matmul(ac, bc, oc, p);
                close(ow, oc, `matmul ${JSON.stringify(p)}`, 1e-5 * Math.sqrt(k + 1), 1e-5 * Math.sqrt(k + 1)); // float32 rounding grows with √k
                for (const x of [aw, bw, ow]) wb.free(x);
              }
            }
          }
        }
      }
    });

    test('matmul: big enough to use the threads, and inputs outside the wasm memory', () => {
      const m = 200, n = 300, k = 150;
      const p = { batch: 1, m, n, k, transA: false, transB: true, strideA: 0, strideB: 0, accumulate: false };
      const [aw, ac] = pair(m * k, 11), [bw, bc] = pair(n * k, 12), [ow, oc] = zeros(m * n);
      wb.matmul(aw, bw, ow, p);
      cpu.matmul(ac, bc, oc, p);
      close(ow, oc, 'matmul 200x300x150', 1e-5, 1e-4);
      // plain JS arrays are staged into wasm memory and the result copied back
      const plainOut = new Float32Array(m * n);
      wb.matmul(ac, bc, plainOut, p);
      close(plainOut, oc, 'matmul staged', 1e-5, 1e-4);
      for (const x of [aw, bw, ow]) wb.free(x);
    });

    test('unary ops, activations and their derivatives, affine', () => {
      const n = 1000 + threads * 77777; // odd lengths exercise the tails
      const [xw, xc] = pair(n, 3, -12, 12);
      const [pw, pc] = pair(n, 4, 1e-6, 50);
      const ops: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'gelu', 'silu', 'relu', 'abs', 'square', 'recip'];
      for (const op of ops) {
        const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt';
        const [ow, oc] = zeros(n);
        wb.unary(op, positive ? pw : xw, ow);
        cpu.unary(op, positive ? pc : xc, oc);
        // exp/tanh/log: polynomial approximations, ~1-2 ulp relative (and 1e-7 absolute near 0)
        close(ow, oc, `unary ${op}`, 1e-7, 1e-6);
        wb.free(ow);
      }
      const [dyw, dyc] = pair(n, 5);
      for (const op of ['gelu', 'silu', 'relu'] as const) {
        const [dw, dc] = zeros(n);
        wb.activationBackward(op, xw, dyw, dw);
        cpu.activationBackward(op, xc, dyc, dc);
        close(dw, dc, `activationBackward ${op}`, 1e-6, 1e-5);
        wb.free(dw);
      }
      const [ow, oc] = zeros(n);
      wb.affine(xw, 0.37, -1.5, ow);
      cpu.affine(xc, 0.37, -1.5, oc);
      close(ow, oc, 'affine');
      // special values of exp and log
      const sx = wb.alloc('float32', 8) as Float32Array, so = wb.alloc('float32', 8) as Float32Array;
      sx.set([0, -Infinity, Infinity, NaN, -100, 100, 1e-40, -1]);
      wb.unary('exp', sx, so);
      assert.deepEqual(Array.from(so.subarray(0, 4)), [1, 0, Infinity, NaN]);
      assert.equal(so[5], Infinity);
      wb.unary('log', sx, so);
      assert.deepEqual([so[0], so[1], so[2], so[7]], [-Infinity, NaN, Infinity, NaN]);
      assert.ok(Math.abs(so[6] - Math.log(Math.fround(1e-40))) < 1e-4, `log of a subnormal: ${so[6]}`);
      for (const x of [xw, pw, dyw, ow, sx, so]) wb.free(x);
    });

    test('binary ops: same shape, row and column broadcast, scalar, general strides', () => {
      const cases: { shape: number[]; as: number[]; bs: number[]; an: number; bn: number }[] = [
        { shape: [37, 65], as: [65, 1], bs: [65, 1], an: 37 * 65, bn: 37 * 65 }, // same shape
        { shape: [37, 65], as: [65, 1], bs: [0, 1], an: 37 * 65, bn: 65 }, // row broadcast
        { shape: [37, 65], as: [0, 1], bs: [65, 1], an: 65, bn: 37 * 65 }, // a broadcast
        { shape: [37, 65], as: [65, 1], bs: [1, 0], an: 37 * 65, bn: 37 }, // column broadcast
        { shape: [3, 5, 7], as: [35, 7, 1], bs: [0, 0, 0], an: 105, bn: 1 }, // scalar
        { shape: [3, 5, 7], as: [35, 7, 1], bs: [0, 7, 1], an: 105, bn: 35 }, // (1, 5, 7)
        { shape: [3, 5, 7], as: [1, 3, 15], bs: [35, 7, 1], an: 105, bn: 105 }, // transposed a: general path
        { shape: [3, 4, 5, 6], as: [120, 30, 6, 1], bs: [0, 6, 0, 1], an: 360, bn: 24 }, // general path
        { shape: [200000], as: [1], bs: [1], an: 200000, bn: 200000 }, // one long row (threads split columns)
        { shape: [], as: [], bs: [], an: 1, bn: 1 },
      ];
      let seed = 20;
      for (const c of cases) {
        for (const op of ['add', 'sub', 'mul', 'div', 'max', 'min'] as const) {
          const size = c.shape.reduce((p, d) => p * d, 1);
          const [aw, ac] = pair(c.an, seed++), [bw, bc] = pair(c.bn, seed++), [ow, oc] = zeros(size);
          wb.binary(op, aw, c.as, bw, c.bs, ow, c.shape);
          cpu.binary(op, ac, c.as, bc, c.bs, oc, c.shape);
          close(ow, oc, `binary ${op} ${JSON.stringify(c.shape)} ${JSON.stringify(c.bs)}`, 0, 0);
          for (const x of [aw, bw, ow]) wb.free(x);
        }
      }
    });

    test('reduce: sum and max over rows and over middle axes', () => {
      for (const [outer, len, inner] of [[1, 1, 1], [7, 33, 1], [3, 65, 5], [1, 1000, 3], [65, 7, 33], [2, 70000, 1]]) {
        for (const op of ['sum', 'max'] as const) {
          const [xw, xc] = pair(outer * len * inner, outer + len + inner);
          const [ow, oc] = zeros(outer * inner);
          wb.reduce(op, xw, outer, len, inner, ow);
          cpu.reduce(op, xc, outer, len, inner, oc);
          close(ow, oc, `reduce ${op} ${outer}x${len}x${inner}`, 1e-5 * Math.sqrt(len), 1e-5);
          wb.free(xw); wb.free(ow);
        }
      }
    });

    test('softmax, log-softmax and their backwards; cross-entropy and its backward', () => {
      for (const [rows, cols] of [[1, 1], [3, 7], [33, 65], [4, 50257], [300, 300]]) {
        const [xw, xc] = pair(rows * cols, rows * 7 + cols, -8, 8);
        const [dyw, dyc] = pair(rows * cols, rows + cols);
        const [yw, yc] = zeros(rows * cols), [dw, dc] = zeros(rows * cols);
        wb.softmax(xw, yw, rows, cols);
        cpu.softmax(xc, yc, rows, cols);
        close(yw, yc, `softmax ${rows}x${cols}`, 1e-7, 1e-5);
        wb.softmaxBackward(yw, dyw, dw, rows, cols);
        cpu.softmaxBackward(yc, dyc, dc, rows, cols);
        close(dw, dc, `softmaxBackward ${rows}x${cols}`, 1e-6, 1e-5);
        wb.logSoftmax(xw, yw, rows, cols);
        cpu.logSoftmax(xc, yc, rows, cols);
        close(yw, yc, `logSoftmax ${rows}x${cols}`, 1e-5, 1e-6);
        wb.logSoftmaxBackward(yw, dyw, dw, rows, cols);
        cpu.logSoftmaxBackward(yc, dyc, dc, rows, cols);
        close(dw, dc, `logSoftmaxBackward ${rows}x${cols}`, 1e-4, 1e-5);
        const r = rng(rows);
        const targets = ints(Array.from({ length: rows }, (_, i) => (i % 5 === 4 ? -1 : Math.floor(r(0, cols)))));
        const [lw, lc] = zeros(rows), [gw, gc] = pair(rows, 99);
        wb.crossEntropy(xw, targets, lw, rows, cols);
        cpu.crossEntropy(xc, targets, lc, rows, cols);
        close(lw, lc, `crossEntropy ${rows}x${cols}`, 1e-5, 1e-6);
        wb.crossEntropyBackward(xw, targets, gw, dw, rows, cols);
        cpu.crossEntropyBackward(xc, targets, gc, dc, rows, cols);
        close(dw, dc, `crossEntropyBackward ${rows}x${cols}`, 1e-7, 1e-5);
        for (const x of [xw, dyw, yw, dw, lw, gw, targets]) wb.free(x);
      }
    });

    test('layerNorm and rmsNorm, forward and backward (dw, db accumulate)', () => {
      for (const [rows, cols] of [[1, 1], [3, 7], [33, 65], [300, 768], [2, 1030]]) {
        const [xw, xc] = pair(rows * cols, cols, -3, 3), [ww, wc] = pair(cols, 2), [bw, bc] = pair(cols, 3);
        const [ow, oc] = zeros(rows * cols), [mw, mc] = zeros(rows), [sw, sc] = zeros(rows);
        wb.layerNorm(xw, ww, bw, ow, mw, sw, rows, cols, 1e-5);
        cpu.layerNorm(xc, wc, bc, oc, mc, sc, rows, cols, 1e-5);
        close(ow, oc, `layerNorm ${rows}x${cols}`, 1e-5, 1e-5);
        close(mw, mc, 'layerNorm mean');
        close(sw, sc, 'layerNorm rstd');
        const [dyw, dyc] = pair(rows * cols, 5), [dxw, dxc] = zeros(rows * cols);
        const [dww, dwc] = pair(cols, 6), [dbw, dbc] = pair(cols, 7);
        wb.layerNormBackward(dyw, xw, ww, mw, sw, dxw, dww, dbw, rows, cols);
        cpu.layerNormBackward(dyc, xc, wc, mc, sc, dxc, dwc, dbc, rows, cols);
        close(dxw, dxc, `layerNormBackward dx ${rows}x${cols}`, 1e-5, 1e-4);
        close(dww, dwc, 'layerNormBackward dw', 1e-4, 1e-4);
        close(dbw, dbc, 'layerNormBackward db', 1e-4, 1e-4);
        wb.rmsNorm(xw, ww, ow, sw, rows, cols, 1e-6);
        cpu.rmsNorm(xc, wc, oc, sc, rows, cols, 1e-6);
        close(ow, oc, `rmsNorm ${rows}x${cols}`);
        close(sw, sc, 'rmsNorm rstd');
        wb.rmsNormBackward(dyw, xw, ww, sw, dxw, dww, rows, cols);
        cpu.rmsNormBackward(dyc, xc, wc, sc, dxc, dwc, rows, cols);
        close(dxw, dxc, `rmsNormBackward dx ${rows}x${cols}`, 1e-5, 1e-4);
        close(dww, dwc, 'rmsNormBackward dw', 1e-4, 1e-4);
        for (const x of [xw, ww, bw, ow, mw, sw, dyw, dxw, dww, dbw]) wb.free(x);
      }
    });

    test('gather, scatterAdd (repeated ids), rope forward and inverse', () => {
      const cols = 67, vocab = 50;
      const [tw, tc] = pair(vocab * cols, 1);
      const ids = ints([3, 0, 49, 3, 7, 3, 12]);
      const [ow, oc] = zeros(ids.length * cols);
      wb.gather(tw, ids, ow, cols);
      cpu.gather(tc, ids, oc, cols);
      close(ow, oc, 'gather', 0, 0);
      const [gw, gc] = pair(ids.length * cols, 2);
      wb.scatterAdd(gw, ids, tw, cols);
      cpu.scatterAdd(gc, ids, tc, cols);
      close(tw, tc, 'scatterAdd', 0, 0);
      for (const [batch, seq, heads, dim] of [[1, 1, 1, 2], [2, 7, 3, 10], [1, 33, 4, 64], [2, 300, 2, 128]]) {
        const half = dim / 2;
        const invFreq = Float32Array.from({ length: half }, (_, j) => Math.pow(10000, (-2 * j) / dim));
        const positions = Int32Array.from({ length: seq }, (_, t) => t + 5);
        const [xw, xc] = pair(batch * seq * heads * dim, dim);
        const [yw, yc] = zeros(xw.length);
        for (const inverse of [false, true]) {
          wb.rope(xw, yw, batch, seq, heads, dim, positions, invFreq, inverse);
          cpu.rope(xc, yc, batch, seq, heads, dim, positions, invFreq, inverse);
          close(yw, yc, `rope ${batch}x${seq}x${heads}x${dim} inverse=${inverse}`, 1e-6, 1e-6);
        }
        wb.free(xw); wb.free(yw);
      }
      for (const x of [tw, ids, ow, gw]) wb.free(x);
    });

    test('attention forward and backward: GQA, offsets, odd head sizes, T = 300', () => {
      const cases = [
        { batch: 1, heads: 1, kvHeads: 1, queryLen: 1, keyLen: 1, headDim: 4, offset: 0 },
        { batch: 2, heads: 4, kvHeads: 2, queryLen: 7, keyLen: 7, headDim: 8, offset: 0 },
        { batch: 1, heads: 6, kvHeads: 2, queryLen: 5, keyLen: 13, headDim: 7, offset: 8 }, // KV cache
        { batch: 1, heads: 3, kvHeads: 1, queryLen: 1, keyLen: 70, headDim: 64, offset: 69 }, // decode
        { batch: 1, heads: 12, kvHeads: 4, queryLen: 1, keyLen: 200, headDim: 64, offset: 199 }, // decode on the threads
        { batch: 2, heads: 2, kvHeads: 1, queryLen: 1, keyLen: 5, headDim: 6, offset: 2 }, // one query that sees part of the keys
        { batch: 1, heads: 2, kvHeads: 2, queryLen: 1, keyLen: 5, headDim: 8, offset: -1 }, // one query that sees nothing
        { batch: 1, heads: 2, kvHeads: 2, queryLen: 9, keyLen: 6, headDim: 5, offset: -3 }, // rows that see nothing
        { batch: 1, heads: 2, kvHeads: 1, queryLen: 300, keyLen: 300, headDim: 64, offset: 0 },
        { batch: 2, heads: 4, kvHeads: 4, queryLen: 65, keyLen: 130, headDim: 33, offset: 65 },
      ];
      let seed = 50;
      for (const c of cases) {
        const p = { ...c, scale: 1 / Math.sqrt(c.headDim) };
        const qn = c.batch * c.heads * c.queryLen * c.headDim, kn = c.batch * c.kvHeads * c.keyLen * c.headDim;
        const [qw, qc] = pair(qn, seed++, -2, 2), [kw, kc] = pair(kn, seed++, -2, 2), [vw, vc] = pair(kn, seed++);
        const [ow, oc] = zeros(qn), [lw, lc] = zeros(c.batch * c.heads * c.queryLen);
        const [pw, pc] = zeros(c.batch * c.heads * c.queryLen * c.keyLen);
        wb.attention(qw, kw, vw, ow, lw, pw, p);
        cpu.attention(qc, kc, vc, oc, lc, pc, p);
        const what = `attention ${JSON.stringify(c)}`;
        close(ow, oc, `${what} out`, 1e-5, 1e-4);
        close(lw, lc, `${what} lse`, 1e-5, 1e-5);
        close(pw, pc, `${what} probs`, 1e-6, 1e-4);
        const [ow2] = zeros(qn), [lw2] = zeros(lw.length);
        wb.attention(qw, kw, vw, ow2, lw2, null, p);
        close(ow2, ow, `${what} without probs`, 0, 0);
        const [gw, gc] = pair(qn, seed++);
        const [dqw, dqc] = pair(qn, seed++), [dkw, dkc] = pair(kn, seed++), [dvw, dvc] = pair(kn, seed++); // overwritten
        wb.attentionBackward(qw, kw, vw, ow, lw, gw, dqw, dkw, dvw, p);
        cpu.attentionBackward(qc, kc, vc, oc, lc, gc, dqc, dkc, dvc, p);
        close(dqw, dqc, `${what} dq`, 1e-4, 1e-4);
        close(dkw, dkc, `${what} dk`, 1e-4, 1e-4);
        close(dvw, dvc, `${what} dv`, 1e-4, 1e-4);
        // k and v read in place from a cache that holds 11 more positions per head (kvHeadStride)
        const room = c.keyLen + 11, bn = c.batch * c.kvHeads * room * c.headDim;
        const [kbw, kbc] = pair(bn, seed++, -2, 2), [vbw, vbc] = pair(bn, seed++);
        for (let hb = 0; hb < c.batch * c.kvHeads; hb++) { // the first keyLen rows of each head are the same k and v
          kbw.set(kc.subarray(hb * c.keyLen * c.headDim, (hb + 1) * c.keyLen * c.headDim), hb * room * c.headDim);
          vbw.set(vc.subarray(hb * c.keyLen * c.headDim, (hb + 1) * c.keyLen * c.headDim), hb * room * c.headDim);
        }
        kbc.set(kbw);
        vbc.set(vbw);
        const strided = { ...p, kvHeadStride: room * c.headDim };
        const [ow3, oc3] = zeros(qn), [lw3, lc3] = zeros(lw.length);
        wb.attention(qw, kbw, vbw, ow3, lw3, null, strided);
        cpu.attention(qc, kbc, vbc, oc3, lc3, null, strided);
        close(ow3, ow, `${what} in place (wasm)`, 0, 0);
        close(oc3, oc, `${what} in place (cpu)`, 0, 0);
        for (const x of [qw, kw, vw, ow, lw, pw, ow2, lw2, gw, dqw, dkw, dvw, kbw, vbw, ow3, lw3]) wb.free(x);
      }
    });

    test('adamw', () => {
      const n = 1003 + threads * 100000;
      const [pw, pc] = pair(n, 1), [gw, gc] = pair(n, 2), [mw, mc] = pair(n, 3), [vw, vc] = pair(n, 4, 0, 1);
      for (let step = 1; step <= 3; step++) {
        const p = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step };
        wb.adamw(pw, gw, mw, vw, p);
        cpu.adamw(pc, gc, mc, vc, p);
      }
      close(pw, pc, 'adamw param', 1e-6, 1e-5);
      close(mw, mc, 'adamw m', 1e-6, 1e-5);
      close(vw, vc, 'adamw v', 1e-6, 1e-5);
      for (const x of [pw, gw, mw, vw]) wb.free(x);
    });

    test('float64 arrays run the reference kernels', () => {
      const x = Float64Array.from({ length: 10 }, (_, i) => i / 3 - 1), a = new Float64Array(10), b = new Float64Array(10);
      wb.unary('tanh', x, a);
      cpu.unary('tanh', x, b);
      assert.deepEqual(a, b);
      const d = wb.alloc('float64', 4);
      assert.ok(d instanceof Float64Array);
      wb.free(d);
    });
  });
}

describe('wasm backend memory', () => {
  test('allocating and freeing many tensors of varying sizes does not grow memory without bound', async () => {
    const wb = await createWasmBackend({ threads: 1, warmUp: false });
    const start = wb.liveBuffers();
    const r = rng(7);
    const held: (Float32Array | Int32Array)[] = [];
    for (let i = 0; i < 3000; i++) {
      held.push(wb.alloc(r() < 0.8 ? 'float32' : 'int32', 1 + Math.floor(r(0, 1) * 200000)) as Float32Array);
      if (held.length > 20) wb.free(held.splice(Math.floor(r(0, 1) * held.length), 1)[0]);
      if (i === 500) var after500 = wb.memoryBytes();
    }
    // a KV cache growing by one position each step: every size different
    for (let t = 1; t < 2000; t++) {
      const a = wb.alloc('float32', t * 768);
      wb.free(a);
    }
    for (const h of held) wb.free(h);
    assert.equal(wb.liveBuffers(), start);
    assert.ok(wb.memoryBytes() <= 4 * after500!, `memory grew from ${after500!} to ${wb.memoryBytes()}`);
    assert.ok(wb.usedBytes() < 2 * 1024 * 1024, `everything freed, yet ${wb.usedBytes()} bytes under the top`);
    // freed blocks come back zero-filled
    const a = wb.alloc('float32', 1000) as Float32Array;
    a.fill(3);
    wb.free(a);
    const b = wb.alloc('float32', 1000) as Float32Array;
    assert.ok(b.every((v) => v === 0));
    wb.free(b);
    wb.dispose();
  });

  test('two backends in one process: when one grows its memory, the other still owns and frees what it allocates', async () => {
    // V8 gives every shared memory of a thread a new buffer object when any of them grows; a
    // backend that recognised its arrays by buffer object then leaked each array it freed, copied
    // its own tensors in and out of every kernel, and could not build a decode step
    const first = await createWasmBackend({ threads: 1, warmUp: false });
    const second = await createWasmBackend({ threads: 1, warmUp: false });
    try {
      const before = first.alloc('float32', 1000) as Float32Array;
      const used = first.usedBytes();
      const big = second.alloc('float32', 64 << 20); // 256 MB: the second memory grows
      const after = first.alloc('float32', 1000) as Float32Array;
      assert.ok(first.offsetOf(before) >= 0 && first.offsetOf(after) >= 0, 'both arrays are in the first backend\'s memory');
      assert.equal(second.offsetOf(after), -1);
      after.fill(2);
      const out = first.alloc('float32', 1000) as Float32Array;
      first.unary('exp', after, out); // computed in place in wasm memory (not through copies)
      assert.ok(Math.abs(out[999] - Math.exp(2)) < 1e-5);
      for (const a of [after, out]) first.free(a);
      assert.equal(first.usedBytes(), used, 'freed: the allocator is back where it was');
      first.free(before);
      second.free(big);
    } finally {
      first.dispose();
      second.dispose();
    }
  });
});

export type { Backend };

test('an unshared memory never grows (growing would detach every tensor view): it is reserved whole, and running out says why', async () => {
  const wb = await createWasmBackend({ sharedMemory: false, threads: 1 });
  const first = wb.alloc('float32', 1000) as Float32Array;
  first.fill(3);
  const big = wb.alloc('float32', wb.memoryBytes() / 8); // half the reservation: far past where a growing memory starts
  assert.equal(first.length, 1000, 'earlier views stay attached');
  assert.equal(first[0], 3);
  assert.throws(() => wb.alloc('float32', wb.memoryBytes() / 4), /cannot grow; cross-origin isolation lifts the limit/);
  wb.free(big);
  wb.free(first);
  wb.dispose();
});
