// LayerNorm (GPT-2) and RMSNorm (Llama) over the last axis, with fused backward kernels.

import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { record, sameFloatType } from './record.js';
import { contiguous } from './views.js';

function checkWeight(op: string, x: Tensor, w: Tensor): [number, number] {
  const cols = x.shape[x.rank - 1];
  if (w.rank !== 1 || w.shape[0] !== cols) throw new Error(`${op}: weight ${formatShape(w.shape)} does not match input ${formatShape(x.shape)}`);
  return [x.size / cols, cols];
}

/** (x - mean) / sqrt(var + eps) · w + b, statistics over the last axis. */
export function layerNorm(x: Tensor, w: Tensor, b: Tensor | null | undefined, eps: number): Tensor {
  const bias = b ?? Tensor.empty(w.shape, x.dtype, x.backend); // no bias: a zero one (nanoGPT's bias=False)
  sameFloatType('layerNorm', x, w, bias);
  const [rows, cols] = checkWeight('layerNorm', x, w);
  if (bias.size !== cols) throw new Error(`layerNorm: bias ${formatShape(bias.shape)} does not match ${cols} features`);
  const xc = contiguous(x);
  const out = Tensor.output(x.shape, x.dtype, x.backend);
  const mean = Tensor.output([rows], x.dtype, x.backend);
  const rstd = Tensor.output([rows], x.dtype, x.backend);
  x.backend.layerNorm(xc.floats(), contiguous(w).floats(), contiguous(bias).floats(), out.floats(), mean.floats(), rstd.floats(), rows, cols, eps);
  return record(out, 'layerNorm', b ? [x, w, b] : [x, w], (g) => {
    const dx = Tensor.output(x.shape, x.dtype, x.backend);
    const dw = Tensor.empty(w.shape, x.dtype, x.backend);
    const db = Tensor.empty(bias.shape, x.dtype, x.backend);
    x.backend.layerNormBackward(contiguous(g).floats(), xc.floats(), contiguous(w).floats(), mean.floats(), rstd.floats(), dx.floats(), dw.floats(), db.floats(), rows, cols);
    return b ? [dx, dw, db] : [dx, dw];
  });
}

/** x / sqrt(mean(x²) + eps) · w over the last axis. */
export function rmsNorm(x: Tensor, w: Tensor, eps: number): Tensor {
  sameFloatType('rmsNorm', x, w);
  const [rows, cols] = checkWeight('rmsNorm', x, w);
  const xc = contiguous(x);
  const out = Tensor.output(x.shape, x.dtype, x.backend);
  const rstd = Tensor.output([rows], x.dtype, x.backend);
  x.backend.rmsNorm(xc.floats(), contiguous(w).floats(), out.floats(), rstd.floats(), rows, cols, eps);
  return record(out, 'rmsNorm', [x, w], (g) => {
    const dx = Tensor.output(x.shape, x.dtype, x.backend);
    const dw = Tensor.empty(w.shape, x.dtype, x.backend);
    x.backend.rmsNormBackward(contiguous(g).floats(), xc.floats(), contiguous(w).floats(), rstd.floats(), dx.floats(), dw.floats(), rows, cols);
    return [dx, dw];
  });
}
