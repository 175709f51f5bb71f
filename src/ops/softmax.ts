// Softmax and log-softmax over the last axis.

import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { contiguous } from './views.js';

function rowsOf(x: Tensor): [number, number] {
  const cols = x.shape[x.rank - 1];
  return [cols === 0 ? 0 : x.size / cols, cols];
}

export function softmax(x: Tensor): Tensor {
  sameFloatType('softmax', x);
  const [rows, cols] = rowsOf(x);
  const y = Tensor.output(x.shape, x.dtype, x.backend);
  x.backend.softmax(contiguous(x).floats(), y.floats(), rows, cols);
  return record(y, 'softmax', [x], (g) => {
    const dx = Tensor.output(x.shape, x.dtype, x.backend);
    x.backend.softmaxBackward(y.floats(), contiguous(g).floats(), dx.floats(), rows, cols);
    return [dx];
  });
}

export function logSoftmax(x: Tensor): Tensor {
  sameFloatType('logSoftmax', x);
  const [rows, cols] = rowsOf(x);
  const y = Tensor.output(x.shape, x.dtype, x.backend);
  x.backend.logSoftmax(contiguous(x).floats(), y.floats(), rows, cols);
  return record(y, 'logSoftmax', [x], (g) => {
    const dx = Tensor.output(x.shape, x.dtype, x.backend);
    x.backend.logSoftmaxBackward(y.floats(), contiguous(g).floats(), dx.floats(), rows, cols);
    return [dx];
  });
}
