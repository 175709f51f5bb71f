// The Backend kernels of the wasm backend: each resolves its arrays to byte offsets in the shared
// memory and runs one export (on all threads when the work is large enough).
//
// Every kernel works for any input arrays:
// - float64 arrays (used only by the gradient checks) run the reference cpu kernel;
// - float32/int32 arrays outside the wasm memory (plain typed arrays, e.g. a non-contiguous
//   tensor's data() copy) are staged: copied into temporary wasm blocks, and outputs copied back.
// The general broadcasting `binary` (more than two non-mergeable axes, or strided inner axes)
// and copyStrided/writeStrided of more than 4 axes run the reference TS loops on the memory views.

import type { AdamWParams, AttentionParams, Backend, BinaryOp, MatmulParams, UnaryOp } from '../backend.js';
import * as cpu from '../cpu/index.js';
import { q8RowBytes } from '../q8-rows.js';
import type { FloatArray, Storage } from '../../tensor/dtype.js';
import type { WasmAllocator } from './allocator.js';
import type { ThreadPool } from './threads.js';

type Fn = (...args: number[]) => void;

const cpuRef = cpu.createCpuBackend();

const UNARY: Record<UnaryOp, number> = { neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, tanh: 5, gelu: 6, silu: 7, relu: 8, abs: 9, square: 10, recip: 11 };
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };
const ACTIVATION = { gelu: 0, silu: 1, relu: 2 } as const;

/**
 * Work below which a kernel runs on one thread when threads are chosen by work size. A job on the
 * workers costs a hand-off (waking a worker, waiting for the last one: ~5-20 µs when the worker is
 * spinning, 50 µs and more when it sleeps or the machine is busy), so a kernel goes to the threads
 * only when one thread would take ~100 µs or more (bench/handoff.ts measures the hand-off).
 * Elements for elementwise kernels, multiply-adds for matmul/attention, 4-byte words of weights
 * for the decode products.
 */
export const PARALLEL_ELEMENTS = 1 << 18;
export const PARALLEL_FLOPS = 1 << 21;
/** Matrix-vector products stream their weights (~20-35 GB/s from one thread): threads from 2 MB. */
export const PARALLEL_MATVEC = 1 << 19;
/** One query's attention (decode) reads the whole KV cache: threads from 1 MB of keys and values. */
export const PARALLEL_DECODE_ATTENTION = 1 << 18;
/**
 * Bytes of weights per claimed chunk of a decode product. Each chunk is one stretch of memory that
 * the prefetchers stream; with 64 KB chunks two threads decoded GPT-2-small F32 at 25-45 tokens/s,
 * with 256 KB-1 MB at 49-69 (Q8_0: 103-124 against 111-145), on this 2-vCPU machine.
 */
const CHUNK_BYTES = 512 * 1024;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
/**
 * Rows per claimed chunk of a decode product: about CHUNK_BYTES of weights (20-40 µs of
 * streaming), so the thread that runs out of chunks first waits at most that long for the other.
 * `multiple`: 2 for products over weight rows (x · Wᵀ, Q8 rows), 4 for x · W (rows of W summed
 * four at a time); the decode step (src/models/decode-step/) claims the same chunks.
 */
export const chunkRows = (rowBytes: number, multiple: number) => Math.max(multiple, roundUp(CHUNK_BYTES / rowBytes, multiple));

/** Exports that thread-pool jobs may run. */
export const JOB_EXPORTS = [
  'gl_matmul', 'gl_unary', 'gl_activation_backward', 'gl_affine', 'gl_binary', 'gl_reduce',
  'gl_softmax', 'gl_softmax_backward', 'gl_log_softmax', 'gl_log_softmax_backward',
  'gl_cross_entropy', 'gl_cross_entropy_backward',
  'gl_layer_norm', 'gl_layer_norm_backward', 'gl_rms_norm', 'gl_rms_norm_backward', 'gl_norm_reduce',
  'gl_rope', 'gl_gather', 'gl_scatter_add', 'gl_adamw',
  'gl_attention', 'gl_attention_delta', 'gl_attention_backward_dq', 'gl_attention_backward_dkv',
  'gl_stream_sum', 'gl_peak', 'gl_matvec_rows_split', 'gl_matvec_dot', 'gl_matvec_q8', 'gl_matmul_q8', 'gl_dequantize_q8', 'gl_q8_quantize_rows', 'gl_q8_gemm', 'gl_copy_strided4', 'gl_write_strided4',
  'gl_step',
];

const f64 = (x: unknown): boolean => x instanceof Float64Array;

/** Byte offsets for one call's arrays, staging the ones outside the memory. */
class Staging {
  private temps: number[] = [];
  private backs: [Float32Array | Int32Array | Uint8Array, number][] = [];
  constructor(private readonly alloc: WasmAllocator) {}

  private place(arr: Float32Array | Int32Array | Uint8Array, back: boolean): number {
    if (this.alloc.owns(arr)) return arr.byteOffset;
    const off = this.alloc.alloc(arr.byteLength);
    new Uint8Array(this.alloc.memory.buffer, off, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    this.temps.push(off);
    if (back) this.backs.push([arr, off]);
    return off;
  }

  /** An input array. */
  in(arr: Storage): number {
    return this.place(arr as Float32Array | Int32Array | Uint8Array, false);
  }

  /** An output (or in-place) array: copied back after the call when staged. */
  out(arr: Storage): number {
    return this.place(arr as Float32Array | Int32Array | Uint8Array, true);
  }

  /** Temporary float32 scratch of n elements. */
  scratch(n: number): number {
    const off = this.alloc.alloc(n * 4);
    this.temps.push(off);
    return off;
  }

  finish(): void {
    for (const [arr, off] of this.backs) {
      new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(new Uint8Array(this.alloc.memory.buffer, off, arr.byteLength));
    }
    for (const off of this.temps) this.alloc.free(off);
    this.temps = [];
    this.backs = [];
  }
}

/** Merges broadcast axes into at most (rows, cols) with column strides 0 or 1; null when it can't. */
function collapse2d(aStrides: readonly number[], bStrides: readonly number[], shape: readonly number[]):
  { rows: number; cols: number; ra: number; ca: number; rb: number; cb: number } | null {
  const dims: { n: number; a: number; b: number }[] = []; // innermost first
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    const inner = dims[dims.length - 1];
    if (inner && aStrides[d] === inner.a * inner.n && bStrides[d] === inner.b * inner.n) inner.n *= shape[d];
    else dims.push({ n: shape[d], a: aStrides[d], b: bStrides[d] });
  }
  if (dims.length === 0) return { rows: 1, cols: 1, ra: 0, ca: 0, rb: 0, cb: 0 };
  if (dims.length > 2) return null;
  const c = dims[0], r = dims[1] ?? { n: 1, a: 0, b: 0 };
  if ((c.a !== 0 && c.a !== 1) || (c.b !== 0 && c.b !== 1)) return null;
  return { rows: r.n, cols: c.n, ra: r.a, ca: c.a, rb: r.b, cb: c.b };
}

/**
 * Shape and strides padded to 4 axes for gl_copy_strided4 / gl_write_strided4, or null when the
 * reference loop must run: other element sizes, more than 4 axes, or arrays outside the memory.
 */
function strided4Args(alloc: WasmAllocator, strided: Storage, contiguous: Storage, shape: readonly number[], strides: readonly number[]): number[] | null {
  const fourBytes = (a: Storage) => a instanceof Float32Array || a instanceof Int32Array;
  if (shape.length === 0 || shape.length > 4 || !fourBytes(strided) || !fourBytes(contiguous)) return null;
  if (!alloc.owns(strided) || !alloc.owns(contiguous)) return null;
  const pad = 4 - shape.length;
  return [...Array(pad).fill(1), ...shape, ...Array(pad).fill(0), ...strides];
}

/** The kernel half of the Backend (memory functions are added by createWasmBackend). */
export function wasmKernels(exports: Record<string, Fn>, alloc: WasmAllocator, getPool: () => ThreadPool | null, byWorkSize = true) {
  const stage = new Staging(alloc);
  const strided4 = (strided: Storage, contiguous: Storage, shape: readonly number[], strides: readonly number[]) => strided4Args(alloc, strided, contiguous, shape, strides);

  /** Whether a kernel with this much work runs on the threads (always, when the count is forced). */
  const parallel = (work: number, min: number) => !byWorkSize || work >= min;

  /** Runs a job export on all threads when work ≥ min (or threads are forced), else on this thread alone. */
  function run(name: string, args: number[], work: number, min = PARALLEL_ELEMENTS): void {
    const pool = getPool();
    try {
      if (pool && parallel(work, min)) pool.run(name, args);
      else exports[name](...args, 0, 1);
    } finally {
      stage.finish();
    }
  }

  const threadsFor = (work: number, min = PARALLEL_ELEMENTS) => {
    const pool = getPool();
    return pool && parallel(work, min) ? pool.threads : 1;
  };

  // the chunk counter of dynamically scheduled jobs (gl_matvec_dot, gl_matvec_rows_split, gl_matvec_q8, gl_q8_gemm, gl_matmul of a few rows)
  const counterOffset = alloc.alloc(64);
  const zeroedCounter = (): number => {
    Atomics.store(new Int32Array(alloc.memory.buffer, counterOffset, 1), 0, 0);
    return counterOffset;
  };

  /**
   * out (1 × n) (=|+=) x (1 × k) · B, the decode product: bound by memory, so threads claim
   * contiguous blocks of B's rows (B (k × n) row-major: partial rows, then summed; B (n × k): dot
   * products straight into out).
   */
  function matvec(x: FloatArray, B: FloatArray, out: FloatArray, k: number, n: number, transB: boolean, accumulate: boolean): void {
    const nt = threadsFor(k * n, PARALLEL_MATVEC);
    const pool = getPool();
    const call = (name: string, args: number[]) => (nt > 1 ? pool!.run(name, args) : exports[name](...args, 0, 1));
    try {
      const px = stage.in(x), pb = stage.in(B), po = stage.out(out);
      if (transB) {
        call('gl_matvec_dot', [px, pb, 0, po, k, n, accumulate ? 1 : 0, chunkRows(k * 4, 2), zeroedCounter()]);
      } else {
        const partials = stage.scratch(nt * n);
        call('gl_matvec_rows_split', [px, pb, partials, k, n, chunkRows(n * 4, 4), zeroedCounter()]);
        exports.gl_matvec_reduce(partials, nt, po, n, accumulate ? 1 : 0, 0, 1);
      }
    } finally {
      stage.finish();
    }
  }

  const kernels: Omit<Backend, 'name' | 'alloc' | 'free' | 'liveBuffers'> = {
    copyStrided(src: Storage, offset: number, shape: readonly number[], strides: readonly number[], dst: Storage) {
      const args = strided4(src, dst, shape, strides);
      if (!args) return cpuRef.copyStrided(src, offset, shape, strides, dst);
      run('gl_copy_strided4', [src.byteOffset + offset * 4, dst.byteOffset, ...args], dst.length);
    },
    writeStrided(src: Storage, dst: Storage, offset: number, shape: readonly number[], strides: readonly number[]) {
      const args = strided4(dst, src, shape, strides);
      if (!args) return cpuRef.writeStrided(src, dst, offset, shape, strides);
      run('gl_write_strided4', [src.byteOffset, dst.byteOffset + offset * 4, ...args], src.length);
    },

    unary(op, x, out) {
      if (f64(x)) return cpuRef.unary(op, x, out);
      run('gl_unary', [UNARY[op], stage.in(x), stage.out(out), x.length], x.length);
    },

    binary(op, a, aStrides, b, bStrides, out, outShape) {
      const flat = f64(a) ? null : collapse2d(aStrides, bStrides, outShape);
      if (!flat) return cpuRef.binary(op, a, aStrides, b, bStrides, out, outShape);
      const { rows, cols, ra, ca, rb, cb } = flat;
      run('gl_binary', [BINARY[op], stage.in(a), ra, ca, stage.in(b), rb, cb, stage.out(out), rows, cols], rows * cols);
    },

    affine(x, scale, shift, out) {
      if (f64(x)) return cpuRef.affine(x, scale, shift, out);
      run('gl_affine', [stage.in(x), scale, shift, stage.out(out), x.length], x.length);
    },

    activationBackward(op, x, dy, dx) {
      if (f64(x)) return cpuRef.activationBackward(op, x, dy, dx);
      run('gl_activation_backward', [ACTIVATION[op], stage.in(x), stage.in(dy), stage.out(dx), x.length], x.length);
    },

    reduce(op, x, outer, len, inner, out) {
      if (f64(x)) return cpuRef.reduce(op, x, outer, len, inner, out);
      run('gl_reduce', [op === 'sum' ? 0 : 1, stage.in(x), outer, len, inner, stage.out(out)], outer * len * inner);
    },

    matmul(a: FloatArray, b: FloatArray, out: FloatArray, p: MatmulParams) {
      if (f64(a)) return cpuRef.matmul(a, b, out, p);
      const { batch, m, n, k, transA, transB, strideA, strideB, accumulate } = p;
      // element (i, q) of A is A[i*ars + q*acs]; element (q, j) of B is B[q*brs + j*bcs]
      const ars = transA ? 1 : k, acs = transA ? m : 1, brs = transB ? 1 : n, bcs = transB ? k : 1;
      if (m === 1 && batch === 1) return matvec(a, b, out, k, n, transB, accumulate);
      run('gl_matmul', [stage.in(a), stage.in(b), stage.out(out), batch, m, n, k, ars, acs, brs, bcs, strideA, strideB, accumulate ? 1 : 0, zeroedCounter()],
        batch * m * n * k, m === 1 ? PARALLEL_MATVEC : PARALLEL_FLOPS);
    },

    // weight-only int8 products: x · Wᵀ (+ bias) over Q8 rows (src/backend/q8-rows.ts)
    matmulQ8(x: Float32Array, w: Uint8Array, out: Float32Array, m: number, n: number, k: number, bias?: Float32Array | null) {
      const rowBytes = q8RowBytes(k); // throws unless k is whole blocks of 32
      const pb = bias ? stage.in(bias) : 0;
      if (m === 1 && k <= 32768) { // decode: bound by memory, rows claimed dynamically
        return run('gl_matvec_q8', [stage.in(x), stage.in(w), pb, stage.out(out), n, k, chunkRows(rowBytes, 2), zeroedCounter()],
          (n * rowBytes) / 4, PARALLEL_MATVEC); // work in 4-byte words, as for a float matrix
      }
      run('gl_matmul_q8', [stage.in(x), stage.in(w), pb, stage.out(out), m, n, k], m * n * k, PARALLEL_FLOPS);
    },
    // int8 × int8 for many rows (kernels/q8gemm.c): x quantized into a temporary block, then the product
    matmulQ8x8(x: Float32Array, w: Uint8Array, out: Float32Array, m: number, n: number, k: number, bias?: Float32Array | null) {
      q8RowBytes(k); // throws unless k is whole blocks of 32
      if (n < 4) { // the kernel's tiles take 4 weight rows: the weight-only product
        return run('gl_matmul_q8', [stage.in(x), stage.in(w), bias ? stage.in(bias) : 0, stage.out(out), m, n, k], m * n * k, PARALLEL_FLOPS);
      }
      const groups = exports.gl_q8_x_groups(m) as unknown as number;
      // the quantized rows (groups·4k bytes), then their scales and block corrections (groups·k/32·4 each, 4 bytes a value)
      const values = groups * (k / 32) * 4, xq = alloc.alloc(groups * 4 * k + 2 * values * 4), xs = xq + groups * 4 * k, xc = xs + values * 4;
      try {
        run('gl_q8_quantize_rows', [stage.in(x), xq, xs, xc, m, k], m * k);
        // threads claim chunks of 32 weight rows (a chunk is ~m·32·k multiply-adds: 0.1-0.5 ms for a prompt)
        run('gl_q8_gemm', [xq, xs, xc, stage.in(w), bias ? stage.in(bias) : 0, stage.out(out), m, n, k, 32, zeroedCounter()], m * n * k, PARALLEL_FLOPS);
      } finally {
        alloc.free(xq);
      }
    },
    dequantizeQ8(w: Uint8Array, out: Float32Array, n: number, k: number) {
      run('gl_dequantize_q8', [stage.in(w), stage.out(out), n, k], out.length);
    },

    softmax(x, out, rows, cols) {
      if (f64(x)) return cpuRef.softmax(x, out, rows, cols);
      run('gl_softmax', [stage.in(x), stage.out(out), rows, cols], rows * cols);
    },
    softmaxBackward(y, dy, dx, rows, cols) {
      if (f64(y)) return cpuRef.softmaxBackward(y, dy, dx, rows, cols);
      run('gl_softmax_backward', [stage.in(y), stage.in(dy), stage.out(dx), rows, cols], rows * cols);
    },
    logSoftmax(x, out, rows, cols) {
      if (f64(x)) return cpuRef.logSoftmax(x, out, rows, cols);
      run('gl_log_softmax', [stage.in(x), stage.out(out), rows, cols], rows * cols);
    },
    logSoftmaxBackward(y, dy, dx, rows, cols) {
      if (f64(y)) return cpuRef.logSoftmaxBackward(y, dy, dx, rows, cols);
      run('gl_log_softmax_backward', [stage.in(y), stage.in(dy), stage.out(dx), rows, cols], rows * cols);
    },

    layerNorm(x, w, b, out, mean, rstd, rows, cols, eps) {
      if (f64(x)) return cpuRef.layerNorm(x, w, b, out, mean, rstd, rows, cols, eps);
      run('gl_layer_norm', [stage.in(x), stage.in(w), stage.in(b), stage.out(out), stage.out(mean), stage.out(rstd), rows, cols, eps], rows * cols);
    },
    layerNormBackward(dy, x, w, mean, rstd, dx, dw, db, rows, cols) {
      if (f64(x)) return cpuRef.layerNormBackward(dy, x, w, mean, rstd, dx, dw, db, rows, cols);
      const nt = threadsFor(rows * cols);
      const pdw = stage.scratch(nt * cols), pdb = stage.scratch(nt * cols);
      const pDw = stage.out(dw), pDb = stage.out(db);
      const args = [stage.in(dy), stage.in(x), stage.in(w), stage.in(mean), stage.in(rstd), stage.out(dx), pdw, pdb, rows, cols];
      const pool = getPool();
      try {
        if (nt > 1) pool!.run('gl_layer_norm_backward', args);
        else exports.gl_layer_norm_backward(...args, 0, 1);
        exports.gl_norm_reduce(pdw, nt, pDw, cols, 0, 1);
        exports.gl_norm_reduce(pdb, nt, pDb, cols, 0, 1);
      } finally {
        stage.finish();
      }
    },
    rmsNorm(x, w, out, rstd, rows, cols, eps) {
      if (f64(x)) return cpuRef.rmsNorm(x, w, out, rstd, rows, cols, eps);
      run('gl_rms_norm', [stage.in(x), stage.in(w), stage.out(out), stage.out(rstd), rows, cols, eps], rows * cols);
    },
    rmsNormBackward(dy, x, w, rstd, dx, dw, rows, cols) {
      if (f64(x)) return cpuRef.rmsNormBackward(dy, x, w, rstd, dx, dw, rows, cols);
      const nt = threadsFor(rows * cols);
      const pdw = stage.scratch(nt * cols);
      const pDw = stage.out(dw);
      const args = [stage.in(dy), stage.in(x), stage.in(w), stage.in(rstd), stage.out(dx), pdw, rows, cols];
      const pool = getPool();
      try {
        if (nt > 1) pool!.run('gl_rms_norm_backward', args);
        else exports.gl_rms_norm_backward(...args, 0, 1);
        exports.gl_norm_reduce(pdw, nt, pDw, cols, 0, 1);
      } finally {
        stage.finish();
      }
    },

    gather(table, ids, out, cols) {
      if (f64(table)) return cpuRef.gather(table, ids, out, cols);
      run('gl_gather', [stage.in(table), stage.in(ids), stage.out(out), ids.length, cols], ids.length * cols);
    },
    scatterAdd(dOut, ids, dTable, cols) {
      if (f64(dOut)) return cpuRef.scatterAdd(dOut, ids, dTable, cols);
      run('gl_scatter_add', [stage.in(dOut), stage.in(ids), stage.out(dTable), ids.length, cols], ids.length * cols);
    },

    rope(x, out, batch, seq, heads, headDim, positions, invFreq, inverse) {
      if (f64(x)) return cpuRef.rope(x, out, batch, seq, heads, headDim, positions, invFreq, inverse);
      // cos/sin of each (position, frequency), computed as the reference does (float32 angle)
      const half = headDim >> 1;
      const cs = stage.scratch(2 * seq * half);
      const table = new Float32Array(alloc.memory.buffer, cs, 2 * seq * half);
      for (let t = 0; t < seq; t++) {
        for (let j = 0; j < half; j++) {
          const angle = Math.fround(positions[t] * invFreq[j]);
          table[t * half + j] = Math.cos(angle);
          table[(seq + t) * half + j] = inverse ? -Math.sin(angle) : Math.sin(angle);
        }
      }
      run('gl_rope', [stage.in(x), stage.out(out), cs, batch, seq, heads, headDim], x.length);
    },

    attention(q, k, v, out, lse, probs, p: AttentionParams) {
      if (f64(q)) return cpuRef.attention(q, k, v, out, lse, probs, p);
      const { batch, heads, kvHeads, queryLen, keyLen, headDim, offset, scale } = p;
      run('gl_attention', [stage.in(q), stage.in(k), stage.in(v), stage.out(out), stage.out(lse), probs ? stage.out(probs) : 0,
        batch, heads, kvHeads, queryLen, keyLen, headDim, offset, p.rowOffsets ? stage.in(p.rowOffsets) : 0, scale, p.kvHeadStride ?? keyLen * headDim],
        // one query (decode) reads the whole cache: bound by memory, so threads pay off early
        batch * heads * queryLen * keyLen * headDim, queryLen === 1 ? PARALLEL_DECODE_ATTENTION : PARALLEL_FLOPS);
    },
    attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, p: AttentionParams) {
      if (f64(q)) return cpuRef.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, p);
      const { batch, heads, kvHeads, queryLen: T, keyLen: S, headDim: D, offset, scale } = p;
      const work = batch * heads * T * S * D;
      const pool = parallel(work, PARALLEL_FLOPS) ? getPool() : null;
      const call = (name: string, args: number[]) => (pool ? pool.run(name, args) : exports[name](...args, 0, 1));
      try {
        const delta = stage.scratch(batch * heads * T);
        const pq = stage.in(q), pk = stage.in(k), pv = stage.in(v), pl = stage.in(lse), pg = stage.in(dOut);
        call('gl_attention_delta', [stage.in(out), pg, delta, batch * heads * T, D]);
        const shape = [batch, heads, kvHeads, T, S, D, offset, scale];
        call('gl_attention_backward_dq', [pq, pk, pv, pl, pg, delta, stage.out(dq), ...shape]);
        call('gl_attention_backward_dkv', [pq, pk, pv, pl, pg, delta, stage.out(dk), stage.out(dv), ...shape]);
      } finally {
        stage.finish();
      }
    },

    crossEntropy(logits, targets, losses, rows, vocab) {
      if (f64(logits)) return cpuRef.crossEntropy(logits, targets, losses, rows, vocab);
      run('gl_cross_entropy', [stage.in(logits), stage.in(targets), stage.out(losses), rows, vocab], rows * vocab);
    },
    crossEntropyBackward(logits, targets, dLoss, dLogits, rows, vocab) {
      if (f64(logits)) return cpuRef.crossEntropyBackward(logits, targets, dLoss, dLogits, rows, vocab);
      run('gl_cross_entropy_backward', [stage.in(logits), stage.in(targets), stage.in(dLoss), stage.out(dLogits), rows, vocab], rows * vocab);
    },

    adamw(param, grad, m, v, p: AdamWParams) {
      if (f64(param)) return cpuRef.adamw(param, grad, m, v, p);
      const c1 = 1 - Math.pow(p.beta1, p.step), c2 = 1 - Math.pow(p.beta2, p.step);
      run('gl_adamw', [stage.out(param), stage.in(grad), stage.out(m), stage.out(v), param.length,
        p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, c1, c2], param.length);
    },
  };
  return kernels;
}
