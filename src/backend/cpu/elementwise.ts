// Reference elementwise kernels: unary maps, broadcasting binary ops, activations and their derivatives.

import type { BinaryOp, UnaryOp } from '../backend.js';
import type { FloatArray, Storage } from '../../tensor/dtype.js';

const GELU_C = Math.sqrt(2 / Math.PI); // tanh-form GELU, as GPT-2 ("gelu_new")

export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

export function geluDerivative(x: number): number {
  const u = GELU_C * (x + 0.044715 * x * x * x);
  const t = Math.tanh(u);
  const du = GELU_C * (1 + 3 * 0.044715 * x * x);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function siluDerivative(x: number): number {
  const s = 1 / (1 + Math.exp(-x));
  return s * (1 + x * (1 - s));
}

export function unary(op: UnaryOp, x: FloatArray, out: FloatArray): void {
  const n = x.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; break;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); break;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); break;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]); break;
    case 'rsqrt': for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]); break;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); break;
    case 'gelu': for (let i = 0; i < n; i++) out[i] = gelu(x[i]); break;
    case 'silu': for (let i = 0; i < n; i++) out[i] = silu(x[i]); break;
    case 'relu': for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0; break;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]); break;
    case 'square': for (let i = 0; i < n; i++) out[i] = x[i] * x[i]; break;
    case 'recip': for (let i = 0; i < n; i++) out[i] = 1 / x[i]; break;
  }
}

export function activationBackward(op: 'gelu' | 'silu' | 'relu', x: FloatArray, dy: FloatArray, dx: FloatArray): void {
  const n = x.length;
  if (op === 'gelu') for (let i = 0; i < n; i++) dx[i] = dy[i] * geluDerivative(x[i]);
  else if (op === 'silu') for (let i = 0; i < n; i++) dx[i] = dy[i] * siluDerivative(x[i]);
  else for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

export function affine(x: FloatArray, scale: number, shift: number, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] * scale + shift;
}

function apply(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'max': return a > b ? a : b;
    case 'min': return a < b ? a : b;
  }
}

/** General broadcasting loop: walks outShape with an index counter; the last axis is the inner loop. */
export function binary(op: BinaryOp, a: FloatArray, aStrides: readonly number[], b: FloatArray, bStrides: readonly number[], out: FloatArray, outShape: readonly number[]): void {
  const rank = outShape.length;
  if (rank === 0) {
    out[0] = apply(op, a[0], b[0]);
    return;
  }
  const inner = outShape[rank - 1];
  const sa = aStrides[rank - 1];
  const sb = bStrides[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  let aBase = 0;
  let bBase = 0;
  for (let o = 0; o < out.length; o += inner) {
    let ia = aBase;
    let ib = bBase;
    switch (op) {
      case 'add': for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = a[ia] + b[ib]; break;
      case 'sub': for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = a[ia] - b[ib]; break;
      case 'mul': for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = a[ia] * b[ib]; break;
      case 'div': for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = a[ia] / b[ib]; break;
      default: for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = apply(op, a[ia], b[ib]);
    }
    // advance the outer index counter (odometer over axes 0 … rank-2)
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      aBase += aStrides[d];
      bBase += bStrides[d];
      if (index[d] < outShape[d]) break;
      aBase -= aStrides[d] * outShape[d];
      bBase -= bStrides[d] * outShape[d];
      index[d] = 0;
    }
  }
}

/**
 * Calls row(base, o) for each innermost row of a strided view: base is the view's storage index of
 * the row's first element, o the row's start in row-major order (an odometer over the outer axes).
 */
function forEachRow(shape: readonly number[], strides: readonly number[], offset: number, row: (base: number, o: number) => void): void {
  const rank = shape.length;
  const inner = shape[rank - 1];
  const total = shape.reduce((p, d) => p * d, 1);
  const index = new Array<number>(rank - 1).fill(0);
  let base = offset;
  for (let o = 0; o < total; o += inner) {
    row(base, o);
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      base += strides[d];
      if (index[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/** dst (contiguous) = src read through shape/strides from offset. */
export function copyStrided(src: Storage, offset: number, shape: readonly number[], strides: readonly number[], dst: Storage): void {
  if (shape.length === 0) {
    dst[0] = src[offset];
    return;
  }
  const inner = shape[shape.length - 1], s = strides[strides.length - 1];
  forEachRow(shape, strides, offset, (base, o) => {
    for (let j = 0, i = base; j < inner; j++, i += s) dst[o + j] = src[i];
  });
}

/** dst read through shape/strides from offset = src (contiguous): the inverse of copyStrided. */
export function writeStrided(src: Storage, dst: Storage, offset: number, shape: readonly number[], strides: readonly number[]): void {
  if (shape.length === 0) {
    dst[offset] = src[0];
    return;
  }
  const inner = shape[shape.length - 1], s = strides[strides.length - 1];
  forEachRow(shape, strides, offset, (base, o) => {
    for (let j = 0, i = base; j < inner; j++, i += s) dst[i] = src[o + j];
  });
}

/** x viewed as (outer, reduce, inner) -> out (outer, inner). */
export function reduce(op: 'sum' | 'max', x: FloatArray, outer: number, reduceLen: number, inner: number, out: FloatArray): void {
  for (let o = 0; o < outer; o++) {
    const outRow = o * inner;
    const base = o * reduceLen * inner;
    for (let j = 0; j < inner; j++) out[outRow + j] = op === 'sum' ? 0 : -Infinity;
    for (let r = 0; r < reduceLen; r++) {
      const row = base + r * inner;
      if (op === 'sum') for (let j = 0; j < inner; j++) out[outRow + j] += x[row + j];
      else for (let j = 0; j < inner; j++) if (x[row + j] > out[outRow + j]) out[outRow + j] = x[row + j];
    }
  }
}
