// Elementwise ops with NumPy broadcasting, their gradients, and sum-to-shape (the adjoint of broadcasting).

import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { type Shape, broadcastShapes, formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { contiguous, reshape } from './views.js';

/** Strides that read t as if broadcast to shape (0 along broadcast axes). */
function broadcastStrides(t: Tensor, shape: Shape): number[] {
  const lead = shape.length - t.rank;
  return shape.map((_, i) => (i < lead || t.shape[i - lead] === 1 ? 0 : t.strides[i - lead]));
}

/** Runs a broadcasting binary kernel; views are read through their offset and strides. */
function binaryAt(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  sameFloatType(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape);
  const out = Tensor.output(shape, a.dtype, a.backend);
  const ad = a.buffer.data.subarray(a.offset), bd = b.buffer.data.subarray(b.offset);
  a.backend.binary(op, ad as never, broadcastStrides(a, shape), bd as never, broadcastStrides(b, shape), out.data() as never, shape);
  return out;
}

/** Sums g over broadcast axes so that it has the given shape. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`sumToShape: ${formatShape(g.shape)} cannot sum to ${formatShape(shape)}`);
  let out = g;
  for (let i = g.rank - 1; i >= 0; i--) {
    const target = i < lead ? 1 : shape[i - lead];
    if (target === 1 && out.shape[i] !== 1) out = sumAxis(out, i);
  }
  return reshape(out, shape);
}

/** Sum over one axis, keeping it with length 1 (no autograd: used inside gradient rules). */
function sumAxis(t: Tensor, axis: number): Tensor {
  const c = contiguous(t);
  const outer = c.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = c.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const shape = [...c.shape];
  shape[axis] = 1;
  const out = Tensor.output(shape, c.dtype, c.backend);
  c.backend.reduce('sum', c.floats(), outer, c.shape[axis], inner, out.floats());
  return out;
}

export function add(a: Tensor, b: Tensor): Tensor {
  return record(binaryAt('add', a, b), 'add', [a, b], (g) => [sumToShape(g, a.shape), sumToShape(g, b.shape)]);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return record(binaryAt('sub', a, b), 'sub', [a, b], (g) => [sumToShape(g, a.shape), sumToShape(neg(g), b.shape)]);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return record(binaryAt('mul', a, b), 'mul', [a, b], (g) => [
    a.requiresGrad ? sumToShape(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(g, a), b.shape) : null,
  ]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  return record(binaryAt('div', a, b), 'div', [a, b], (g) => [
    a.requiresGrad ? sumToShape(div(g, b), a.shape) : null,
    b.requiresGrad ? sumToShape(neg(div(mul(g, a), mul(b, b))), b.shape) : null,
  ]);
}

export function maximum(a: Tensor, b: Tensor): Tensor {
  return binaryAt('max', a, b); // no gradient: used for masks and clipping
}

function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  sameFloatType(op, x);
  const out = Tensor.output(x.shape, x.dtype, x.backend);
  x.backend.unary(op, contiguous(x).floats(), out.floats());
  return out;
}

export function neg(x: Tensor): Tensor {
  return record(unaryOp('neg', x), 'neg', [x], (g) => [neg(g)]);
}

export function exp(x: Tensor): Tensor {
  const y = unaryOp('exp', x);
  return record(y, 'exp', [x], (g) => [mul(g, y)]);
}

export function log(x: Tensor): Tensor {
  return record(unaryOp('log', x), 'log', [x], (g) => [div(g, x)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryOp('sqrt', x);
  return record(y, 'sqrt', [x], (g) => [scale(div(g, y), 0.5)]);
}

export function tanh(x: Tensor): Tensor {
  const y = unaryOp('tanh', x);
  return record(y, 'tanh', [x], (g) => [mul(g, affineOp(unaryOp('square', y), -1, 1))]);
}

function activation(op: 'gelu' | 'silu' | 'relu', x: Tensor): Tensor {
  return record(unaryOp(op, x), op, [x], (g) => {
    const dx = Tensor.output(x.shape, x.dtype, x.backend);
    x.backend.activationBackward(op, contiguous(x).floats(), contiguous(g).floats(), dx.floats());
    return [dx];
  });
}

/** GELU, tanh approximation (GPT-2's "gelu_new"). */
export const gelu = (x: Tensor): Tensor => activation('gelu', x);
/** SiLU (swish): x · sigmoid(x). */
export const silu = (x: Tensor): Tensor => activation('silu', x);
export const relu = (x: Tensor): Tensor => activation('relu', x);

function affineOp(x: Tensor, s: number, shift: number): Tensor {
  sameFloatType('affine', x);
  const out = Tensor.output(x.shape, x.dtype, x.backend);
  x.backend.affine(contiguous(x).floats(), s, shift, out.floats());
  return out;
}

/** x · s */
export function scale(x: Tensor, s: number): Tensor {
  return record(affineOp(x, s, 0), 'scale', [x], (g) => [affineOp(g, s, 0)]);
}

/** x + c */
export function addScalar(x: Tensor, c: number): Tensor {
  return record(affineOp(x, 1, c), 'addScalar', [x], (g) => [g]);
}
