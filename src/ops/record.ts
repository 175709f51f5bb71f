// Connects an op's output to the autograd graph when gradients are being recorded.

import { isGradEnabled } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/** Marks out as produced by `name` from inputs, with the given backward, if any input needs gradients. */
export function record(out: Tensor, name: string, inputs: Tensor[], backward: (grad: Tensor) => (Tensor | null)[]): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward };
  }
  return out;
}

/** Throws unless every tensor has the same float dtype. */
export function sameFloatType(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype === 'int32') throw new Error(`${op}: expected float tensors, got int32`);
    if (t.dtype !== ts[0].dtype) throw new Error(`${op}: mixed dtypes ${ts[0].dtype} and ${t.dtype}`);
  }
}
