// Matrix products: batched matmul with transposed views read in place, and nn.Linear.

import type { MatmulParams } from '../backend/backend.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add } from './elementwise.js';
import { isGradEnabled } from '../tensor/engine.js';
import { record, sameFloatType } from './record.js';
import { contiguous, reshape, transpose } from './views.js';

/** A matrix operand: its storage from the first element, whether it is stored transposed, its batch stride. */
interface Operand {
  t: Tensor;
  trans: boolean;
  batchStride: number;
}

/** Reads t (…, r, c) without copying when it is contiguous or a transposed contiguous view. */
function operand(t: Tensor): Operand {
  const r = t.rank;
  const rows = t.shape[r - 2], cols = t.shape[r - 1];
  const batchContiguous = (mat: number) => {
    // the batch axes must step by whole matrices
    let expected = mat;
    for (let i = r - 3; i >= 0; i--) {
      if (t.shape[i] !== 1 && t.strides[i] !== expected) return false;
      expected *= t.shape[i];
    }
    return true;
  };
  if (t.isContiguous) return { t, trans: false, batchStride: rows * cols };
  if ((cols === 1 || t.strides[r - 2] === 1) && (rows === 1 || t.strides[r - 1] === rows) && batchContiguous(rows * cols)) {
    return { t, trans: true, batchStride: rows * cols };
  }
  return { t: contiguous(t), trans: false, batchStride: rows * cols };
}

/**
 * a (…, m, k) · b (…, k, n) + bias (n) -> (…, m, n). Where no gradient is recorded the output
 * starts as the bias and the product accumulates into it (one pass fewer over the output, one op
 * fewer per layer in generation); otherwise it is matmul then add.
 */
export function matmulBias(a: Tensor, b: Tensor, bias: Tensor): Tensor {
  const n = b.shape[b.rank - 1];
  const fused = !(isGradEnabled() && (a.requiresGrad || b.requiresGrad || bias.requiresGrad)) && bias.rank === 1 && bias.shape[0] === n
    && b.rank === 2 && a.rank >= 2 && a.dtype === 'float32' && bias.dtype === 'float32' && b.dtype === 'float32';
  if (!fused) return add(matmul(a, b), bias);
  const rows = a.size / a.shape[a.rank - 1];
  const out = Tensor.output([...a.shape.slice(0, -1), n], a.dtype, a.backend);
  out.backend.copyStrided(bias.buffer.data, bias.offset, [rows, n], [0, bias.strides[0]], out.floats()); // every row = bias
  return product(a, b, out);
}

/**
 * a (…, m, k) · b (…, k, n) -> (…, m, n). b may be 2-D (shared by every batch); otherwise the
 * batch axes of a and b must match.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return product(a, b);
}

/** The product, written into a new tensor or added into `into` (…, m, n) (no gradient then). */
function product(a: Tensor, b: Tensor, into?: Tensor): Tensor {
  sameFloatType('matmul', a, b);
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul needs matrices, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1];
  if (b.shape[b.rank - 2] !== k) throw new Error(`matmul: inner dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)}`);
  const batchShape = a.shape.slice(0, -2);
  if (b.rank > 2 && (b.rank !== a.rank || b.shape.slice(0, -2).some((d, i) => d !== batchShape[i]))) {
    throw new Error(`matmul: batch shapes differ: ${formatShape(a.shape)} · ${formatShape(b.shape)}`);
  }
  // a shared 2-D right operand with a contiguous left one: one big (batch·m, k) product
  if (b.rank === 2 && a.rank > 2 && a.isContiguous) {
    const flat = product(reshape(a, [-1, k]), b, into && reshape(into, [-1, n]));
    return reshape(flat, [...batchShape, m, n]);
  }
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const A = operand(a), B = operand(b);
  const out = into ?? Tensor.output([...batchShape, m, n], a.dtype, a.backend);
  const p: MatmulParams = {
    batch, m, n, k,
    transA: A.trans, transB: B.trans,
    strideA: A.batchStride, strideB: b.rank === 2 ? 0 : B.batchStride,
    accumulate: !!into,
  };
  a.backend.matmul(A.t.buffer.data.subarray(A.t.offset) as never, B.t.buffer.data.subarray(B.t.offset) as never, out.floats(), p);
  if (into) return out;
  return record(out, 'matmul', [a, b], (g) => {
    // A gradient is computed in the layout its operand is stored in: for a transposed view, the
    // transpose of a contiguous product, so that the view's own gradient rule hands back a
    // contiguous tensor (accumulating a strided gradient would be a slow strided add).
    let da: Tensor | null = null, db: Tensor | null = null;
    if (a.requiresGrad) da = A.trans ? transpose(matmul(b, transpose(g))) : matmul(g, transpose(b));
    if (b.requiresGrad) {
      // b shared across the batch: sum the per-batch products as one flat product
      const shared = b.rank === 2 && a.rank > 2;
      const a2 = shared ? reshape(a, [-1, k]) : a, g2 = shared ? reshape(g, [-1, n]) : g;
      db = B.trans ? transpose(matmul(transpose(g2), a2)) : matmul(transpose(a2), g2);
    }
    return [da, db];
  });
}

/** nn.Linear: x (…, in) · wᵀ + bias, with w stored (out, in) as in PyTorch. */
export function linear(x: Tensor, w: Tensor, bias?: Tensor | null): Tensor {
  return bias ? matmulBias(x, transpose(w), bias) : matmul(x, transpose(w));
}
