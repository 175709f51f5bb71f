// Reference AdamW (Loshchilov & Hutter): decoupled weight decay, bias-corrected moments,
// the same update as torch.optim.AdamW.

import type { AdamWParams } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

export function adamw(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, p: AdamWParams): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = p;
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const mHat = m[i] / c1;
    const vHat = v[i] / c2;
    param[i] -= lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * param[i]);
  }
}
