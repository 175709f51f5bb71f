// The decode step's program: what one token's forward does, written once per model and KV cache
// as instructions for the WebAssembly kernel gl_step (src/backend/wasm/kernels/decode.c), then run
// with one wasm call per token: no tensors, no allocation and no JavaScript per operation.
// A family's plan builder (src/models/families/*/decode-step.ts) says which operations, in the order its general
// forward does them, so that the step's logits equal the general path's.

import { chunkRows } from '../../backend/wasm/kernels.js';
import type { WasmBackend } from '../../backend/wasm/index.js';
import { q8RowBytes } from '../../backend/q8-rows.js';
import type { Storage } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { QuantizedMatrix } from '../../ops/quantized.js';
import type { KVCache } from '../kv-cache.js';

/** Opcodes of gl_step (the same list as decode.c). */
const OP = { END: 0, EMBED: 1, EMBED_Q8: 2, ADD_ROW: 3, LAYER_NORM: 4, RMS_NORM: 5, MATVEC_KN: 6, MATVEC_NK: 7, MATVEC_Q8: 8, BINARY: 9, UNARY: 10, ROPE: 11, KV_WRITE: 12, ATTENTION: 13, LOG_SOFTMAX: 14 } as const;
/** gl_unary / gl_binary operation numbers (as src/backend/wasm/kernels.ts). */
const UNARY = { gelu: 6, silu: 7 } as const;
const BINARY = { add: 0, mul: 2 } as const;
/** Program header words: token, position, barrier (2), counters offset, counter count, 2 spare. */
const HEADER = 8;
const COUNTER = -0x7fffffff;

/**
 * Weights streamed per token from which the step runs on every thread when threads are chosen by
 * work size: one token of a smaller model takes well under a millisecond on one thread, and the
 * step's ~8 barriers per layer then cost more than the second thread saves on a busy machine.
 */
export const STEP_PARALLEL_BYTES = 32 << 20;

/** A model that the step cannot run (not on the wasm backend, a weight outside its memory): the general path runs it. */
export class NotSteppable extends Error {}

/** A model's matrices as a step plan reads them: float parameters, int8 copies, and (out, in) transposes of (in, out) ones (Model.transposeConv1D). */
export interface StepWeights {
  params: ReadonlyMap<string, Tensor>;
  quantized: ReadonlyMap<string, QuantizedMatrix>;
  transposed: ReadonlyMap<string, Tensor>;
}

/** A float32 vector in wasm memory, by byte offset. */
export type Vec = number;

export class ProgramWriter {
  private readonly words: number[] = [];
  private readonly owned: Storage[] = [];
  private readonly counterSlots: number[] = [];
  private ropeTable: Float32Array | null = null;
  private invFreq: Float32Array | null = null;
  private zeros: Vec = 0;
  /** Bytes of weights read per token (decides the thread count). */
  weightBytes = 0;

  constructor(readonly backend: WasmBackend) {}

  /** A new float32 vector of n elements owned by the step. */
  vec(n: number): Vec {
    const v = this.backend.alloc('float32', Math.max(n, 4));
    this.owned.push(v);
    return v.byteOffset;
  }

  /** The byte offset of a float32 tensor's first element (it must be contiguous and in wasm memory). */
  ptr(t: Tensor | undefined): number {
    if (!t) throw new NotSteppable('a parameter this plan does not know (another shape of the family)');
    if (t.dtype !== 'float32' || !t.isContiguous) throw new NotSteppable(`a ${t.dtype} or strided weight`);
    const base = this.backend.offsetOf(t.buffer.data);
    if (base < 0) throw new NotSteppable('a weight outside the wasm memory');
    return base + t.offset * 4;
  }

  private q8ptr(q: QuantizedMatrix): number {
    const base = this.backend.offsetOf(q.data.buffer.data);
    if (base < 0) throw new NotSteppable('an int8 weight outside the wasm memory');
    return base + q.data.offset;
  }

  private bits(x: number): number {
    return new Int32Array(new Float32Array([x]).buffer)[0];
  }

  /** A chunk counter of a dynamically scheduled product: a placeholder that finish() turns into its address. */
  private counter(): number {
    return COUNTER;
  }

  private emit(op: number, ...args: number[]): void {
    this.words.push(op);
    for (const a of args) {
      if (a === COUNTER) this.counterSlots.push(this.words.length);
      this.words.push(a);
    }
  }

  /** out = table[token] (a float table, or the rows of an int8 one). */
  embed(table: Tensor | QuantizedMatrix, cols: number, out: Vec): void {
    if (table instanceof QuantizedMatrix) this.emit(OP.EMBED_Q8, this.q8ptr(table), cols, out);
    else this.emit(OP.EMBED, this.ptr(table), cols, out);
  }

  /** x += table[position] (learned position embeddings). */
  addPositionRow(table: Tensor, cols: number, x: Vec): void {
    this.emit(OP.ADD_ROW, this.ptr(table), cols, x);
  }

  layerNorm(x: Vec, w: Tensor, b: Tensor | undefined, out: Vec, cols: number, eps: number): void {
    if (!b && !this.zeros) this.zeros = this.vec(cols); // no bias: a zero one, as op.layerNorm does
    this.emit(OP.LAYER_NORM, x, this.ptr(w), b ? this.ptr(b) : this.zeros, out, cols, this.bits(eps), this.vec(2));
  }

  rmsNorm(x: Vec, w: Tensor, out: Vec, cols: number, eps: number): void {
    this.emit(OP.RMS_NORM, x, this.ptr(w), out, cols, this.bits(eps), this.vec(1));
  }

  /** out (N) = x (K) · W (K × N) (+ bias): GPT-2's Conv1D layout. */
  matvecKN(x: Vec, W: Tensor, bias: Tensor | undefined, out: Vec): void {
    const [K, N] = W.shape;
    this.weightBytes += K * N * 4;
    this.emit(OP.MATVEC_KN, x, this.ptr(W), bias ? this.ptr(bias) : 0, out, K, N, chunkRows(N * 4, 4), this.counter(), this.vec(this.backend.threads * N));
  }

  /** out (N) = x (K) · Wᵀ, W (N × K) (+ bias): nn.Linear's layout, tied heads. */
  matvecNK(x: Vec, W: Tensor, bias: Tensor | undefined, out: Vec): void {
    const [N, K] = W.shape;
    this.weightBytes += K * N * 4;
    this.emit(OP.MATVEC_NK, x, this.ptr(W), bias ? this.ptr(bias) : 0, out, K, N, chunkRows(K * 4, 2), this.counter());
  }

  /** out (N) = x (K) · Wᵀ over int8 rows (+ bias). */
  matvecQ8(x: Vec, W: QuantizedMatrix, bias: Tensor | undefined, out: Vec): void {
    const rowBytes = q8RowBytes(W.cols);
    if (W.cols > 32768) throw new NotSteppable('int8 rows longer than the decode kernel takes');
    this.weightBytes += W.rows * rowBytes;
    this.emit(OP.MATVEC_Q8, x, this.q8ptr(W), bias ? this.ptr(bias) : 0, out, W.rows, W.cols, chunkRows(rowBytes, 2), this.counter());
  }

  binary(op: keyof typeof BINARY, a: Vec, b: Vec, out: Vec, n: number): void {
    this.emit(OP.BINARY, BINARY[op], a, b, out, n);
  }

  unary(op: keyof typeof UNARY, x: Vec, out: Vec, n: number): void {
    this.emit(OP.UNARY, UNARY[op], x, out, n);
  }

  /** out = x rotated by the token's position (x: heads × dim); invFreq as the general path's rope. */
  rope(x: Vec, out: Vec, heads: number, dim: number, invFreq: Float32Array): void {
    if (!this.ropeTable) {
      this.ropeTable = this.backend.alloc('float32', dim) as Float32Array;
      this.owned.push(this.ropeTable);
      this.invFreq = invFreq;
    } else if (invFreq.length * 2 !== dim) throw new Error('decode step: one rotary table per model');
    this.emit(OP.ROPE, x, out, this.ropeTable.byteOffset, heads, dim);
  }

  /** The token's keys or values (heads × dim at src) into layer storage (1, heads, maxLen, dim) at its position. */
  kvWrite(src: Vec, cache: Tensor, heads: number, dim: number): void {
    this.emit(OP.KV_WRITE, src, this.ptr(cache), heads, dim, cache.shape[2]);
  }

  /** out (heads × dim) = attention of the query over the cached positions 0 … position. */
  attention(q: Vec, keys: Tensor, values: Tensor, out: Vec, heads: number, kvHeads: number, dim: number): void {
    const maxLen = keys.shape[2];
    this.emit(OP.ATTENTION, q, this.ptr(keys), this.ptr(values), out, this.vec(heads), heads, kvHeads, dim, this.bits(1 / Math.sqrt(dim)), maxLen * dim);
  }

  logSoftmax(x: Vec, out: Vec, n: number): void {
    this.emit(OP.LOG_SOFTMAX, x, out, n);
  }

  /** Frees what a build that could not finish had allocated. */
  abandon(): void {
    for (const s of this.owned) this.backend.free(s);
    this.owned.length = 0;
  }

  /** The finished step; logits and logProbs are the vectors the program writes them to. */
  finish(cache: KVCache, vocab: number, logits: Vec, logProbs: Vec): DecodeStep {
    this.emit(OP.END);
    const prog = this.backend.alloc('int32', HEADER + this.words.length) as Int32Array;
    this.owned.push(prog);
    const counters = this.backend.alloc('int32', Math.max(1, this.counterSlots.length)) as Int32Array;
    this.owned.push(counters);
    this.counterSlots.forEach((slot, i) => (this.words[slot] = counters.byteOffset + 4 * i));
    prog[4] = counters.byteOffset;
    prog[5] = this.counterSlots.length;
    prog.set(this.words, HEADER);
    const b = this.backend;
    const parallel = b.threads > 1 && (!b.byWorkSize || this.weightBytes >= STEP_PARALLEL_BYTES);
    const view = (off: number) => new Float32Array(prog.buffer, off, vocab);
    return new DecodeStep(b, cache, prog, this.owned, view(logits), view(logProbs), this.ropeTable, this.invFreq, parallel, this.weightBytes);
  }
}

/** One token's forward as one wasm call; see ProgramWriter. */
export class DecodeStep {
  constructor(
    private readonly backend: WasmBackend,
    private readonly cache: KVCache,
    private readonly prog: Int32Array,
    private readonly owned: Storage[],
    /** The last token's logits and log-probabilities (vocab): views the next run overwrites. */
    readonly logits: Float32Array,
    readonly logProbs: Float32Array,
    private readonly ropeTable: Float32Array | null,
    private readonly invFreq: Float32Array | null,
    /** Whether the step runs on every thread (else on the calling one). */
    readonly parallel: boolean,
    /** Bytes of weights read per token. */
    readonly weightBytes: number,
  ) {}

  /**
   * Runs `token` at the cache's next position: writes its keys and values there, advances the
   * cache, and leaves the logits and log-probabilities in this.logits / this.logProbs.
   */
  run(token: number): void {
    const pos = this.cache.length;
    if (!(Number.isInteger(token) && token >= 0 && token < this.logits.length)) throw new Error(`token id ${token} is outside the vocabulary (0 … ${this.logits.length - 1})`);
    if (pos >= this.cache.maxLen) throw new Error(`the KV cache holds ${this.cache.maxLen} positions; ${pos + 1} were asked for`);
    if (this.ropeTable && this.invFreq) {
      // cos/sin of each frequency at this position, exactly as the general path's rope computes them
      const half = this.invFreq.length, t = this.ropeTable;
      for (let j = 0; j < half; j++) {
        const angle = Math.fround(pos * this.invFreq[j]);
        t[j] = Math.cos(angle);
        t[half + j] = Math.sin(angle);
      }
    }
    this.prog[0] = token;
    this.prog[1] = pos;
    this.backend.runStep(this.prog.byteOffset, this.parallel);
    this.cache.length = pos + 1;
  }

  dispose(): void {
    for (const s of this.owned) this.backend.free(s);
    this.owned.length = 0;
  }
}
