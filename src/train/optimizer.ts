// AdamW with decoupled weight decay (none on norms and biases: only on matrices), and gradient
// clipping by global norm.

import type { AdamWParams } from '../backend/backend.js';
import { keep } from '../tensor/engine.js';
import { Tensor } from '../tensor/tensor.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export class AdamW {
  /** First and second moments, by parameter name. */
  readonly m = new Map<string, Tensor>();
  readonly v = new Map<string, Tensor>();
  /** Steps taken (for bias correction). */
  step = 0;

  constructor(readonly params: ReadonlyMap<string, Tensor>, readonly opts: AdamWOptions = DEFAULT_ADAMW) {
    for (const [name, p] of params) {
      this.m.set(name, keep(Tensor.empty(p.shape, p.dtype, p.backend)));
      this.v.set(name, keep(Tensor.empty(p.shape, p.dtype, p.backend)));
    }
  }

  /** Matrices decay; vectors (norm gains, biases) do not. */
  static decays(p: Tensor): boolean {
    return p.rank >= 2;
  }

  /** Updates every parameter that has a gradient, at learning rate lr. */
  update(lr: number): void {
    this.step++;
    for (const [name, p] of this.params) {
      if (!p.grad) continue;
      const args: AdamWParams = {
        lr, beta1: this.opts.beta1, beta2: this.opts.beta2, eps: this.opts.eps,
        weightDecay: AdamW.decays(p) ? this.opts.weightDecay : 0, step: this.step,
      };
      p.backend.adamw(p.floats(), p.grad.floats(), this.m.get(name)!.floats(), this.v.get(name)!.floats(), args);
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Sets every gradient to none (freeing it). */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}

/** Global L2 norm of all gradients. */
export function gradNorm(params: Iterable<Tensor>): number {
  let sq = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.floats(); // an indexed loop: for…of over a typed array is several times slower
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  }
  return Math.sqrt(sq);
}

/** Scales gradients in place so that their global norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const list = [...params];
  const norm = gradNorm(list);
  if (maxNorm > 0 && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of list) {
      if (!p.grad) continue;
      const g = p.grad.floats();
      p.backend.affine(g, s, 0, g);
    }
  }
  return norm;
}

/** Multiplies every gradient by s (used to average over accumulation steps). */
export function scaleGrads(params: Iterable<Tensor>, s: number): void {
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.floats();
    p.backend.affine(g, s, 0, g);
  }
}

/**
 * Stops a run before an update that would write non-finite weights: a loss or gradient norm of
 * NaN or ±∞ at this step is an error (the parameters stay those of the last good step).
 */
export function refuseNonFinite(step: number, loss: number, gradNorm: number, lr: number): void {
  if (Number.isFinite(loss) && Number.isFinite(gradNorm)) return;
  throw new Error(`training stopped at step ${step}: the loss became ${loss}${Number.isFinite(gradNorm) ? '' : ` and the gradient norm ${gradNorm}`} (the learning rate ${lr} may be too high)`);
}
