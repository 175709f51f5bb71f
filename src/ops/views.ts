// Views and data movement: reshape, permute/transpose, slice, broadcast, contiguous copies, concat.
// Views share storage; each records the gradient rule that undoes it.

import { type Shape, checkShape, contiguousStrides, formatShape, normalizeAxis, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record } from './record.js';
import { sumToShape } from './elementwise.js';
import { zeros } from './create.js';

/** A contiguous copy (or t itself when already contiguous). */
export function contiguous(t: Tensor): Tensor {
  if (t.isContiguous) return t;
  const out = Tensor.output(t.shape, t.dtype, t.backend);
  t.backend.copyStrided(t.buffer.data, t.offset, t.shape, t.strides, out.buffer.data);
  return record(out, 'contiguous', [t], (g) => [g]);
}

/** Same elements, new shape; one dimension may be -1. Copies first if t is not contiguous. */
export function reshape(t: Tensor, shape: Shape): Tensor {
  const dims = [...shape];
  const unknown = dims.indexOf(-1);
  if (unknown >= 0) {
    const known = dims.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    dims[unknown] = known === 0 ? 0 : t.size / known;
  }
  checkShape(dims);
  if (sizeOf(dims) !== t.size) throw new Error(`cannot reshape ${formatShape(t.shape)} (${t.size} elements) to ${formatShape(shape)}`);
  const src = contiguous(t);
  const out = src.viewAs(dims, contiguousStrides(dims), src.offset);
  return record(out, 'reshape', [src], (g) => [reshape(g, src.shape)]);
}

/** Reorders axes: out.shape[i] = t.shape[axes[i]]. */
export function permute(t: Tensor, axes: readonly number[]): Tensor {
  if (axes.length !== t.rank || new Set(axes.map((a) => normalizeAxis(a, t.rank))).size !== t.rank) {
    throw new Error(`permute: ${JSON.stringify(axes)} is not a permutation of the ${t.rank} axes`);
  }
  const ax = axes.map((a) => normalizeAxis(a, t.rank));
  const out = t.viewAs(ax.map((a) => t.shape[a]), ax.map((a) => t.strides[a]), t.offset);
  const inverse = new Array<number>(ax.length);
  ax.forEach((a, i) => (inverse[a] = i));
  return record(out, 'permute', [t], (g) => [permute(g, inverse)]);
}

/** Swaps two axes. */
export function transpose(t: Tensor, a = -2, b = -1): Tensor {
  const axes = t.shape.map((_, i) => i);
  const i = normalizeAxis(a, t.rank), j = normalizeAxis(b, t.rank);
  [axes[i], axes[j]] = [axes[j], axes[i]];
  return permute(t, axes);
}

/** Elements start … end-1 along one axis (a view). */
export function slice(t: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normalizeAxis(axis, t.rank);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > t.shape[a] || start > end) {
    throw new Error(`slice [${start}, ${end}) is out of range for axis ${a} of length ${t.shape[a]}`);
  }
  const shape = [...t.shape];
  shape[a] = end - start;
  const out = t.viewAs(shape, t.strides, t.offset + start * t.strides[a]);
  record(out, 'slice', [t], (g) => {
    const full = zeros(t.shape, g.dtype, g.backend);
    const window = full.viewAs(shape, full.strides, start * full.strides[a]);
    full.backend.writeStrided(contiguous(g).data(), full.buffer.data, window.offset, window.shape, window.strides);
    window.dispose();
    return [full];
  });
  if (out.gradFn) out.gradFn.window = { offset: start * contiguousStrides(t.shape)[a], shape, strides: contiguousStrides(t.shape) };
  return out;
}

/** Splits one axis into pieces of the given sizes (views). */
export function split(t: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  const a = normalizeAxis(axis, t.rank);
  if (sizes.reduce((p, s) => p + s, 0) !== t.shape[a]) throw new Error(`split: sizes ${JSON.stringify(sizes)} do not add up to ${t.shape[a]}`);
  let start = 0;
  return sizes.map((s) => slice(t, a, start, (start += s)));
}

/** Joins tensors of equal shape except along axis. */
export function concat(ts: readonly Tensor[], axis: number): Tensor {
  if (ts.length === 0) throw new Error('concat: no tensors given');
  const a = normalizeAxis(axis, ts[0].rank);
  for (const t of ts) {
    if (t.rank !== ts[0].rank || t.shape.some((d, i) => i !== a && d !== ts[0].shape[i]) || t.dtype !== ts[0].dtype) {
      throw new Error(`concat: shapes ${ts.map((x) => formatShape(x.shape)).join(', ')} differ outside axis ${a}`);
    }
  }
  const shape = [...ts[0].shape];
  shape[a] = ts.reduce((p, t) => p + t.shape[a], 0);
  const out = Tensor.output(shape, ts[0].dtype, ts[0].backend);
  let start = 0;
  for (const t of ts) {
    out.backend.writeStrided(contiguous(t).data(), out.buffer.data, start * out.strides[a], t.shape, out.strides);
    start += t.shape[a];
  }
  return record(out, 'concat', [...ts], (g) => split(g, a, ts.map((t) => t.shape[a])));
}

/** Inserts an axis of length 1. */
export function unsqueeze(t: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + t.rank + 1 : axis;
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return reshape(t, shape);
}

/** A broadcast view with stride 0 along expanded axes. */
export function broadcastTo(t: Tensor, shape: Shape): Tensor {
  if (shape.length < t.rank) throw new Error(`cannot broadcast ${formatShape(t.shape)} to ${formatShape(shape)}`);
  const lead = shape.length - t.rank;
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const own = t.shape[i - lead];
    if (own === d) return t.strides[i - lead];
    if (own === 1) return 0;
    throw new Error(`cannot broadcast ${formatShape(t.shape)} to ${formatShape(shape)}`);
  });
  const out = t.viewAs(shape, strides, t.offset);
  return record(out, 'broadcastTo', [t], (g) => [sumToShape(g, t.shape)]);
}
