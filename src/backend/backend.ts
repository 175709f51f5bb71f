// The backend interface: memory plus a small set of kernels over flat, row-major arrays.
//
// The tensor front end (src/ops) validates shapes, broadcasts and records gradients; a backend
// only computes. Every kernel reads and writes contiguous arrays whose sizes are passed
// explicitly (B, T, C spelled out, as in llm.c). Float kernels accept Float32Array or
// Float64Array (float64 is used by the gradient checks); all arrays of one call share a dtype.
//
// `cpu` (src/backend/cpu) is the readable reference; faster backends implement the same
// interface and are tested against it kernel by kernel.

import type { DType, FloatArray, Storage } from '../tensor/dtype.js';

export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'gelu' | 'silu' | 'relu' | 'abs' | 'square' | 'recip';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

/** Batched matrix product: out[b] (=|+=) op(A[b]) · op(B[b]). */
export interface MatmulParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A[b] is stored (k, m) instead of (m, k). */
  transA: boolean;
  /** B[b] is stored (n, k) instead of (k, n), as nn.Linear weights are. */
  transB: boolean;
  /** Elements between consecutive batch matrices of A and B; 0 reuses one matrix for every batch. */
  strideA: number;
  strideB: number;
  /** out += product instead of out = product (used to accumulate gradients). */
  accumulate: boolean;
}

/** Causal multi-head attention with grouped-query sharing. */
export interface AttentionParams {
  batch: number;
  /** Query heads and key/value heads; heads/kvHeads query heads share one key/value head. */
  heads: number;
  kvHeads: number;
  /** Query positions (T) and key positions (S); query i sits at absolute position offset + i. */
  queryLen: number;
  keyLen: number;
  headDim: number;
  /** Query i attends to keys 0 … offset + i (offset = keyLen - queryLen for a KV cache). */
  offset: number;
  scale: number;
  /**
   * Forward only: elements from one key/value head's rows to the next in k and v (default
   * keyLen·headDim, i.e. contiguous). A KV cache allocated for maxLen positions passes maxLen·headDim
   * and is read in place. The backward pass takes contiguous k and v.
   */
  kvHeadStride?: number;
  /**
   * Forward only: batch row b's own offset (rows of a KV cache that hold different lengths, batched
   * by a server); replaces `offset`. Keys past a row's offset + T − 1 are not attended, whatever they hold.
   */
  rowOffsets?: Int32Array;
}

export interface Backend {
  readonly name: string;

  // --- memory ---
  /**
   * Storage that this backend's kernels can read and write: zero-filled, unless `zero` is false
   * (for an output that a kernel overwrites completely; the contents are then unspecified).
   */
  alloc(dtype: DType, length: number, zero?: boolean): Storage;
  /** Gives storage back (a no-op where the garbage collector owns memory). */
  free(data: Storage): void;
  /** Storages allocated and not yet freed (for leak tests). */
  liveBuffers(): number;

  // --- layout ---
  /** dst (contiguous, size of shape) = src viewed with shape/strides starting at offset. */
  copyStrided(src: Storage, offset: number, shape: readonly number[], strides: readonly number[], dst: Storage): void;
  /** dst viewed with shape/strides starting at offset = src (contiguous, size of shape). */
  writeStrided(src: Storage, dst: Storage, offset: number, shape: readonly number[], strides: readonly number[]): void;

  // --- elementwise ---
  unary(op: UnaryOp, x: FloatArray, out: FloatArray): void;
  /** out[i] = a[ia] op b[ib] over outShape, with a and b read through (broadcast) strides; 0 = broadcast. */
  binary(op: BinaryOp, a: FloatArray, aStrides: readonly number[], b: FloatArray, bStrides: readonly number[], out: FloatArray, outShape: readonly number[]): void;
  /** out = x * scale + shift. */
  affine(x: FloatArray, scale: number, shift: number, out: FloatArray): void;
  /** dx = dy * gelu'(x) (tanh form) or silu'(x). */
  activationBackward(op: 'gelu' | 'silu' | 'relu', x: FloatArray, dy: FloatArray, dx: FloatArray): void;

  // --- reductions: x viewed as (outer, reduce, inner) -> out (outer, inner) ---
  reduce(op: 'sum' | 'max', x: FloatArray, outer: number, reduce: number, inner: number, out: FloatArray): void;

  // --- matmul ---
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, p: MatmulParams): void;

  /**
   * Weight-only int8: out (m, n) = x (m, k) · Wᵀ (+ bias (n)) with W (n, k) in Q8 rows
   * (src/backend/q8-rows.ts: GGUF's Q8_0 quantization, per row k int8 values then k/32 float32 scales).
   */
  matmulQ8(x: Float32Array, w: Uint8Array, out: Float32Array, m: number, n: number, k: number, bias?: Float32Array | null): void;
  /**
   * Int8 × int8 for many rows (prefill): as matmulQ8, with x's rows quantized per block of 32 to
   * int8 (llama.cpp's Q8_0 activations; reference: matmulQ8x8 in cpu/quantized.ts). Present only
   * where it runs faster than expanding W to float32 (the wasm backend measures it at start-up).
   */
  matmulQ8x8?(x: Float32Array, w: Uint8Array, out: Float32Array, m: number, n: number, k: number, bias?: Float32Array | null): void;
  /** out (n, k) = the Q8 rows of W expanded to float32 (for products with many rows). */
  dequantizeQ8(w: Uint8Array, out: Float32Array, n: number, k: number): void;

  // --- rows of length cols ---
  softmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /** dx = y * (dy - sum(dy * y)) */
  softmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void;
  logSoftmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /** dx = dy - exp(y) * sum(dy) */
  logSoftmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void;

  /** out = (x - mean) * rstd * w + b; saves mean and rstd (rows). */
  layerNorm(x: FloatArray, w: FloatArray, b: FloatArray, out: FloatArray, mean: FloatArray, rstd: FloatArray, rows: number, cols: number, eps: number): void;
  /** dx = …; dw += …; db += … */
  layerNormBackward(dy: FloatArray, x: FloatArray, w: FloatArray, mean: FloatArray, rstd: FloatArray, dx: FloatArray, dw: FloatArray, db: FloatArray, rows: number, cols: number): void;
  /** out = x * rstd * w with rstd = 1/sqrt(mean(x²) + eps); saves rstd (rows). */
  rmsNorm(x: FloatArray, w: FloatArray, out: FloatArray, rstd: FloatArray, rows: number, cols: number, eps: number): void;
  rmsNormBackward(dy: FloatArray, x: FloatArray, w: FloatArray, rstd: FloatArray, dx: FloatArray, dw: FloatArray, rows: number, cols: number): void;

  // --- embeddings ---
  /** out[i] = table[ids[i]] (rows of cols). */
  gather(table: FloatArray, ids: Int32Array, out: FloatArray, cols: number): void;
  /** dTable[ids[i]] += dOut[i]. */
  scatterAdd(dOut: FloatArray, ids: Int32Array, dTable: FloatArray, cols: number): void;

  // --- rotary position embedding, Hugging Face "rotate half" layout ---
  /**
   * x: (batch, seq, heads, headDim). Pair (j, j + headDim/2) of the vector at sequence index t is
   * rotated by angle positions[t] * invFreq[j]; `inverse` rotates by the negative angle (the backward).
   */
  rope(x: FloatArray, out: FloatArray, batch: number, seq: number, heads: number, headDim: number, positions: Int32Array, invFreq: Float32Array, inverse: boolean): void;

  // --- attention ---
  /**
   * q: (batch, heads, T, D); k, v: (batch, kvHeads, S, D) -> out (batch, heads, T, D).
   * Writes the log-sum-exp of each query's scaled scores to lse (batch, heads, T), and the
   * probabilities to probs (batch, heads, T, S) when given (masked entries are 0).
   */
  attention(q: FloatArray, k: FloatArray, v: FloatArray, out: FloatArray, lse: FloatArray, probs: FloatArray | null, p: AttentionParams): void;
  /** Gradients of attention, recomputing probabilities from lse. dq, dk, dv are overwritten. */
  attentionBackward(q: FloatArray, k: FloatArray, v: FloatArray, out: FloatArray, lse: FloatArray, dOut: FloatArray, dq: FloatArray, dk: FloatArray, dv: FloatArray, p: AttentionParams): void;

  // --- loss ---
  /** losses[r] = logsumexp(logits[r]) - logits[r, targets[r]]; target -1 gives loss 0 (ignored). */
  crossEntropy(logits: FloatArray, targets: Int32Array, losses: FloatArray, rows: number, vocab: number): void;
  /** dLogits[r] = (softmax(logits[r]) - onehot(targets[r])) * dLoss[r] (0 where ignored). */
  crossEntropyBackward(logits: FloatArray, targets: Int32Array, dLoss: FloatArray, dLogits: FloatArray, rows: number, vocab: number): void;

  // --- optimizer ---
  /** One AdamW step in place (decoupled weight decay; bias-corrected moments). */
  adamw(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, p: AdamWParams): void;
}

export interface AdamWParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
}
