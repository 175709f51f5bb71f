// Reductions over axes: sum, mean, max.

import { contiguousStrides, formatShape, normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { broadcastTo, contiguous, reshape } from './views.js';
import { scale } from './elementwise.js';

function axisSet(x: Tensor, axes: readonly number[] | undefined): Set<number> {
  return new Set((axes ?? x.shape.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank)));
}

function reduceAxes(op: 'sum' | 'max', x: Tensor, axes: readonly number[] | undefined, keepDims: boolean): Tensor {
  sameFloatType(op, x);
  const set = axisSet(x, axes);
  let cur = contiguous(x);
  // reduce one axis at a time, highest first, keeping dims so indices stay valid
  for (const axis of [...set].sort((a, b) => b - a)) {
    const outer = cur.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = cur.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const shape = [...cur.shape];
    shape[axis] = 1;
    const out = Tensor.output(shape, cur.dtype, cur.backend);
    cur.backend.reduce(op, cur.floats(), outer, cur.shape[axis], inner, out.floats());
    cur = out;
  }
  const finalShape = keepDims ? cur.shape : x.shape.filter((_, i) => !set.has(i));
  return cur.viewAs(finalShape, contiguousStrides(finalShape), 0);
}

/** Sum over axes (all axes when omitted). */
export function sum(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  const out = reduceAxes('sum', x, axes, keepDims);
  const set = axisSet(x, axes);
  const kept = x.shape.map((d, i) => (set.has(i) ? 1 : d)); // reduced axes as length 1
  return record(out, 'sum', [x], (g) => [contiguous(broadcastTo(reshape(g, kept), x.shape))]);
}

export function mean(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  const set = axisSet(x, axes);
  const count = [...set].reduce((p, a) => p * x.shape[a], 1);
  if (count === 0) throw new Error(`mean over an empty axis of shape ${formatShape(x.shape)}`);
  return scale(sum(x, axes, keepDims), 1 / count);
}

/** Maximum over axes (no gradient). */
export function max(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduceAxes('max', x, axes, keepDims);
}
