// Shared by the preference tests: tiny random models and a float64 finite-difference check.

import { backward } from '../src/autograd/backward.js';
import { Model } from '../src/models/model.js';
import { modelConfigFor } from '../src/train/run.js';
import * as op from '../src/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { noGrad, tidy } from '../src/tensor/engine.js';

export function tinyModel(arch: 'gpt2' | 'llama', seed = 3, vocab = 40): Model {
  const config = modelConfigFor({ arch, layers: 2, heads: 2, kvHeads: arch === 'llama' ? 1 : undefined, dim: 16, contextLength: 32 }, vocab);
  return Model.init(config, new op.Rng(seed));
}

/** Max |analytic − numeric| of dL/dx for every input, by central differences in float64 (h = 1e-6). */
export function maxGradError(loss: () => Tensor, inputs: Tensor[]): number {
  for (const x of inputs) x.grad = null;
  tidy(() => backward(loss()));
  let worst = 0;
  const h = 1e-6;
  for (const x of inputs) {
    const data = x.data() as Float64Array;
    const grad = x.grad!.data();
    for (let i = 0; i < data.length; i++) {
      const saved = data[i];
      data[i] = saved + h;
      const up = noGrad(() => tidy(() => loss().item()));
      data[i] = saved - h;
      const down = noGrad(() => tidy(() => loss().item()));
      data[i] = saved;
      worst = Math.max(worst, Math.abs((up - down) / (2 * h) - grad[i]));
    }
  }
  return worst;
}

export function param64(values: number[]): Tensor {
  const t = op.tensor(Float64Array.from(values), [values.length]);
  t.requiresGrad = true;
  return t;
}
