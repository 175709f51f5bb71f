// Weight-only int8 matrices (GGUF's Q8_0 layout) and the product with them. Inference only: a
// quantized matrix has no gradient.

import { dequantizeQ8_0, quantizeQ8_0 } from '../io/gguf/quants.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { getBackend, keep } from '../tensor/engine.js';
import type { Backend } from '../backend/backend.js';
import { add } from './elementwise.js';
import { contiguous, reshape, transpose } from './views.js';
import { matmul } from './matmul.js';

/** W (rows, cols) as Q8_0 blocks along each row (cols divisible by 32), in backend memory. */
export class QuantizedMatrix {
  constructor(readonly rows: number, readonly cols: number, readonly blocks: Tensor) {
    if (cols % 32 !== 0) throw new Error(`Q8_0 needs rows of a multiple of 32 values, got ${cols}`);
    if (blocks.dtype !== 'uint8' || blocks.size !== (rows * cols * 34) / 32) throw new Error(`Q8_0 blocks for (${rows}, ${cols}) must be ${(rows * cols * 34) / 32} bytes`);
  }

  /** Quantizes a float matrix (rows, cols); transpose first to quantize along the other axis. */
  static fromTensor(w: Tensor, backend: Backend = getBackend()): QuantizedMatrix {
    if (w.rank !== 2) throw new Error(`only matrices can be quantized, got ${formatShape(w.shape)}`);
    const [rows, cols] = w.shape;
    if (w.dtype !== 'float32') throw new Error(`only float32 matrices can be quantized, got ${w.dtype}`);
    if (cols % 32 !== 0) throw new Error(`Q8_0 needs rows of a multiple of 32 values, got ${cols}`);
    // straight from the tensor's storage into the backend's: no copies on the JS heap
    const blocks = keep(Tensor.output([(rows * cols * 34) / 32], 'uint8', backend));
    quantizeQ8_0(contiguous(w).data() as Float32Array, blocks.data() as Uint8Array);
    return new QuantizedMatrix(rows, cols, blocks);
  }

  /** Wraps GGUF Q8_0 bytes (as stored in a .gguf file) for a (rows, cols) matrix. */
  static fromBlocks(rows: number, cols: number, bytes: Uint8Array, backend: Backend = getBackend()): QuantizedMatrix {
    const blocks = keep(Tensor.output([bytes.length], 'uint8', backend));
    (blocks.data() as Uint8Array).set(bytes);
    return new QuantizedMatrix(rows, cols, blocks);
  }

  get bytes(): number {
    return this.blocks.size;
  }

  /** The matrix expanded to float32 (rows, cols): a new tensor. */
  dequantize(): Tensor {
    const out = Tensor.output([this.rows, this.cols], 'float32', this.blocks.backend);
    out.backend.dequantizeQ8(this.blocks.data() as Uint8Array, out.data() as Float32Array);
    return out;
  }

  dispose(): void {
    this.blocks.dispose();
  }
}

/** Rows of x from which a product expands W to float32 instead of reading the int8 blocks per row. */
const PREFILL_ROWS = 8;

/** x (…, cols) · Wᵀ (+ bias) -> (…, rows), with W quantized. */
export function linearQ8(x: Tensor, w: QuantizedMatrix, bias?: Tensor | null): Tensor {
  if (x.dtype !== 'float32') throw new Error(`linearQ8 needs float32 input, got ${x.dtype}`);
  const k = x.shape[x.rank - 1];
  if (k !== w.cols) throw new Error(`linearQ8: input ${formatShape(x.shape)} does not match a (${w.rows}, ${w.cols}) matrix`);
  const m = x.size / k;
  if (m >= PREFILL_ROWS) {
    // many rows (a prompt): expand W to float32 once and use the float matmul kernel
    const dense = Tensor.output([w.rows, w.cols], 'float32', x.backend);
    x.backend.dequantizeQ8(w.blocks.data() as Uint8Array, dense.data() as Float32Array);
    const y = matmul(x, transpose(dense));
    return bias ? add(y, bias) : y;
  }
  const out = Tensor.output([...x.shape.slice(0, -1), w.rows], 'float32', x.backend);
  x.backend.matmulQ8(contiguous(x).data() as Float32Array, w.blocks.data() as Uint8Array, out.data() as Float32Array, m, w.rows, k);
  const y = bias ? add(out, bias) : out;
  return reshape(y, [...x.shape.slice(0, -1), w.rows]);
}

/** Rows `ids` (any shape, int32) of a Q8_0 matrix expanded to float32: (…ids, cols). Inference only. */
export function embeddingQ8(w: QuantizedMatrix, ids: Tensor): Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embeddingQ8: ids must be int32, got ${ids.dtype}`);
  const idData = contiguous(ids).data() as Int32Array;
  for (const id of idData) if (!(id >= 0 && id < w.rows)) throw new Error(`token id ${id} is outside the vocabulary (0 … ${w.rows - 1})`);
  const out = Tensor.output([...ids.shape, w.cols], 'float32', w.blocks.backend);
  const rowBytes = (w.cols / 32) * 34, blocks = w.blocks.data() as Uint8Array, values = out.data() as Float32Array;
  idData.forEach((id, r) => dequantizeQ8_0(blocks, id * rowBytes, values.subarray(r * w.cols, (r + 1) * w.cols)));
  return out;
}
