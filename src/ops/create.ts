// Creating tensors: from arrays, zeros/ones/full, random normal, ranges.

import type { Backend } from '../backend/backend.js';
import type { DType, Storage } from '../tensor/dtype.js';
import { getBackend } from '../tensor/engine.js';
import { type Shape, checkShape, formatShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Rng } from './random.js';

/** A tensor holding a copy of values (numbers, or a typed array whose type picks the dtype). */
export function tensor(values: ArrayLike<number>, shape: Shape = [values.length], dtype?: DType, backend: Backend = getBackend()): Tensor {
  checkShape(shape);
  if (sizeOf(shape) !== values.length) throw new Error(`tensor(): ${values.length} values do not fill shape ${formatShape(shape)}`);
  const type: DType = dtype ?? (values instanceof Int32Array ? 'int32' : values instanceof Float64Array ? 'float64' : 'float32');
  const t = Tensor.empty(shape, type, backend);
  (t.data() as Storage).set(values);
  return t;
}

export function zeros(shape: Shape, dtype: DType = 'float32', backend?: Backend): Tensor {
  checkShape(shape);
  return Tensor.empty(shape, dtype, backend);
}

export function full(shape: Shape, value: number, dtype: DType = 'float32', backend?: Backend): Tensor {
  const t = zeros(shape, dtype, backend);
  t.data().fill(value);
  return t;
}

export function ones(shape: Shape, dtype: DType = 'float32', backend?: Backend): Tensor {
  return full(shape, 1, dtype, backend);
}

export function randn(shape: Shape, rng: Rng, std = 1, dtype: DType = 'float32', backend?: Backend): Tensor {
  const t = zeros(shape, dtype, backend);
  const d = t.data();
  for (let i = 0; i < d.length; i++) d[i] = rng.normal() * std;
  return t;
}

/** int32 [start, start+1, …, end-1]. */
export function arange(start: number, end: number, backend?: Backend): Tensor {
  const t = zeros([Math.max(0, end - start)], 'int32', backend);
  const d = t.data();
  for (let i = 0; i < d.length; i++) d[i] = start + i;
  return t;
}
