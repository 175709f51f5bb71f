// Weight-only int8 matrices (GGUF's Q8_0 quantization, held as Q8 rows: src/backend/q8-rows.ts)
// and the product with them. A quantized matrix is frozen (it has no gradient), but the gradient
// flows through the product to its input x, so adapters before it (LoRA on an int8 base) train.

import { dequantizeQ8Row, packQ8Rows, q8RowBytes, quantizeQ8Rows } from '../backend/q8-rows.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { getBackend, keep } from '../tensor/engine.js';
import type { Backend } from '../backend/backend.js';
import { contiguous, transpose } from './views.js';
import { record } from './record.js';
import { matmul, matmulBias } from './matmul.js';

/** W (rows, cols) quantized as Q8_0 (cols divisible by 32), as Q8 rows in backend memory. */
export class QuantizedMatrix {
  constructor(readonly rows: number, readonly cols: number, readonly data: Tensor) {
    if (data.dtype !== 'uint8' || data.size !== rows * q8RowBytes(cols)) throw new Error(`Q8 rows of (${rows}, ${cols}) must be ${rows * q8RowBytes(cols)} bytes`);
  }

  /** Quantizes a float matrix (rows, cols); transpose first to quantize along the other axis. */
  static fromTensor(w: Tensor, backend: Backend = getBackend()): QuantizedMatrix {
    if (w.rank !== 2) throw new Error(`only matrices can be quantized, got ${formatShape(w.shape)}`);
    const [rows, cols] = w.shape;
    if (w.dtype !== 'float32') throw new Error(`only float32 matrices can be quantized, got ${w.dtype}`);
    // straight from the tensor's storage into the backend's: no copies on the JS heap
    const data = keep(Tensor.output([rows * q8RowBytes(cols)], 'uint8', backend));
    quantizeQ8Rows(contiguous(w).data() as Float32Array, rows, cols, data.data() as Uint8Array);
    return new QuantizedMatrix(rows, cols, data);
  }

  /** Wraps GGUF Q8_0 blocks (as stored in a .gguf file) for a (rows, cols) matrix. */
  static fromBlocks(rows: number, cols: number, bytes: Uint8Array, backend: Backend = getBackend()): QuantizedMatrix {
    const data = keep(Tensor.output([rows * q8RowBytes(cols)], 'uint8', backend));
    packQ8Rows(bytes, 0, rows, cols, data.data() as Uint8Array);
    return new QuantizedMatrix(rows, cols, data);
  }

  get bytes(): number {
    return this.data.size;
  }

  /** The matrix expanded to float32 (rows, cols): a new tensor. */
  dequantize(): Tensor {
    const out = Tensor.output([this.rows, this.cols], 'float32', this.data.backend);
    out.backend.dequantizeQ8(this.data.data() as Uint8Array, out.data() as Float32Array, this.rows, this.cols);
    return out;
  }

  dispose(): void {
    this.data.dispose();
  }
}

/** Rows of x from which a product runs int8 × int8 where the backend has that product (prefill, batched decode). */
const INT8_ROWS = 8;
/**
 * Rows of x beyond which, with no int8 × int8 product, W is expanded to float32 once for the
 * float GEMM (a prompt). Up to this many (batched decode), the weight-only product reads each int8
 * weight once and expands it a few rows at a time (kernels/quantized.c): expanding all of W for 8
 * rows wrote 4 bytes per weight and made 8 GPT-2-small rows slower than one.
 */
const FLOAT_GEMM_ROWS = 16;

/** x (…, cols) · Wᵀ (+ bias) -> (…, rows), with W quantized. */
export function linearQ8(x: Tensor, w: QuantizedMatrix, bias?: Tensor | null): Tensor {
  if (x.dtype !== 'float32') throw new Error(`linearQ8 needs float32 input, got ${x.dtype}`);
  const k = x.shape[x.rank - 1];
  if (k !== w.cols) throw new Error(`linearQ8: input ${formatShape(x.shape)} does not match a (${w.rows}, ${w.cols}) matrix`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== w.rows || bias.dtype !== 'float32')) throw new Error(`linearQ8: the bias must be float32 (${w.rows}), got ${bias.dtype} ${formatShape(bias.shape)}`);
  const m = x.size / k;
  if (m > FLOAT_GEMM_ROWS && !x.backend.matmulQ8x8) {
    // many rows (a prompt) and no int8 × int8 product: expand W to float32 once, float matmul
    const dense = w.dequantize();
    return bias ? matmulBias(x, transpose(dense), bias) : matmul(x, transpose(dense));
  }
  const out = Tensor.output([...x.shape.slice(0, -1), w.rows], 'float32', x.backend);
  const b = bias ? (contiguous(bias).data() as Float32Array) : null;
  // many rows where the backend has an int8 × int8 product (prefill): x quantized per block too
  const product = m >= INT8_ROWS && x.backend.matmulQ8x8 ? x.backend.matmulQ8x8.bind(x.backend) : x.backend.matmulQ8.bind(x.backend);
  product(contiguous(x).data() as Float32Array, w.data.data() as Uint8Array, out.data() as Float32Array, m, w.rows, k, b);
  // d/dx (x · Wᵀ) = g · W, with W expanded (the bias is frozen with the matrix)
  return record(out, 'linearQ8', [x], (g) => [matmul(g, w.dequantize())]);
}

/** Rows `ids` (any shape, int32) of a Q8_0 matrix expanded to float32: (…ids, cols). Inference only. */
export function embeddingQ8(w: QuantizedMatrix, ids: Tensor): Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embeddingQ8: ids must be int32, got ${ids.dtype}`);
  const idData = contiguous(ids).data() as Int32Array;
  for (const id of idData) if (!(id >= 0 && id < w.rows)) throw new Error(`token id ${id} is outside the vocabulary (0 … ${w.rows - 1})`);
  const out = Tensor.output([...ids.shape, w.cols], 'float32', w.data.backend);
  const rows = w.data.data() as Uint8Array, values = out.data() as Float32Array;
  idData.forEach((id, r) => dequantizeQ8Row(rows, id, w.cols, values.subarray(r * w.cols, (r + 1) * w.cols)));
  return out;
}
