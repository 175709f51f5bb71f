// GRPO's pieces (Shao et al. 2024, DeepSeekMath), written out with their gradients.
//
// For one prompt, G completions are sampled and scored r_1 … r_G. Each completion's advantage is
// its reward normalised within the group:  A_i = (r_i − mean r) / (std r + ε)  (std with n − 1,
// as TRL; ε = 1e-4). Per completion token t, with the policy's log-probability ℓ, the sampler's
// (the policy before this update) ℓ_old and the frozen reference's ℓ_ref:
//   ratio   ρ = exp(ℓ − ℓ_old)
//   clipped surrogate   s = min(ρ A, clip(ρ, 1 − c, 1 + c) A)
//   KL (k3 estimator, Schulman 2020)   k = exp(ℓ_ref − ℓ) − (ℓ_ref − ℓ) − 1   (≥ 0, unbiased for KL(π‖π_ref))
// and the loss is the negated objective averaged per completion, then over completions:
//   L = −(1/N) Σ_i (1/|o_i|) Σ_t (s_it − β k_it)
// Gradients in ℓ:  ds/dℓ = ρ A where the unclipped term is the smaller (0 where clipping binds);
//                  dk/dℓ = 1 − exp(ℓ_ref − ℓ).

import { record } from '../ops/record.js';
import * as op from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';

export const ADVANTAGE_EPS = 1e-4;

/** Advantages of rewards laid out as consecutive groups of groupSize. */
export function groupAdvantages(rewards: ArrayLike<number>, groupSize: number): Float64Array {
  if (!(Number.isInteger(groupSize) && groupSize >= 2)) throw new Error(`a group needs at least 2 samples, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) throw new Error(`${rewards.length} rewards are not whole groups of ${groupSize}`);
  const out = new Float64Array(rewards.length);
  for (let g = 0; g < rewards.length; g += groupSize) {
    let mean = 0;
    for (let i = 0; i < groupSize; i++) mean += rewards[g + i];
    mean /= groupSize;
    let ss = 0;
    for (let i = 0; i < groupSize; i++) ss += (rewards[g + i] - mean) ** 2;
    const std = Math.sqrt(ss / (groupSize - 1));
    for (let i = 0; i < groupSize; i++) out[g + i] = (rewards[g + i] - mean) / (std + ADVANTAGE_EPS);
  }
  return out;
}

export interface GrpoSettings {
  /** Clip range c of the probability ratio (default 0.2). */
  clip: number;
  /** Weight β of the KL penalty (default 0.04). */
  klCoef: number;
}

export interface GrpoLossStats {
  loss: number;
  /** Mean over completions of the per-token mean k3 KL to the reference. */
  kl: number;
  /** Fraction of tokens where clipping binds. */
  clipped: number;
}

/**
 * The GRPO loss from per-token log-probabilities logp (N, T) (differentiable; 0 off the
 * completions), with the sampler's and the reference's per-token values (N·T, same layout),
 * a mask (1 on completion tokens) and one advantage per completion.
 */
export function grpoLoss(logp: Tensor, oldLogp: ArrayLike<number>, refLogp: ArrayLike<number>, mask: ArrayLike<number>, advantages: ArrayLike<number>, s: GrpoSettings): { loss: Tensor; stats: GrpoLossStats } {
  const [N, T] = logp.shape;
  if (logp.rank !== 2 || oldLogp.length !== N * T || refLogp.length !== N * T || mask.length !== N * T || advantages.length !== N) {
    throw new Error(`grpoLoss: logp must be (N, T) with old, reference and mask of N·T values and N advantages`);
  }
  const lp = logp.floats();
  const grad = new Float64Array(N * T);
  let loss = 0, klSum = 0, clippedCount = 0, tokens = 0;
  for (let i = 0; i < N; i++) {
    let n = 0;
    for (let t = 0; t < T; t++) n += mask[i * T + t];
    if (n === 0) throw new Error(`completion ${i} has no tokens`);
    const A = advantages[i];
    let J = 0, klRow = 0;
    for (let t = 0; t < T; t++) {
      const j = i * T + t;
      if (!mask[j]) continue;
      const ratio = Math.exp(lp[j] - oldLogp[j]);
      const clippedRatio = Math.min(Math.max(ratio, 1 - s.clip), 1 + s.clip);
      const unclipped = ratio * A, clipped = clippedRatio * A;
      const surrogate = Math.min(unclipped, clipped);
      const dSurrogate = unclipped <= clipped ? ratio * A : 0;
      if (unclipped > clipped) clippedCount++;
      const d = refLogp[j] - lp[j];
      const k = Math.exp(d) - d - 1;
      const dk = 1 - Math.exp(d);
      J += surrogate - s.klCoef * k;
      klRow += k;
      grad[j] = -(dSurrogate - s.klCoef * dk) / (N * n);
      tokens++;
    }
    loss -= J / n / N;
    klSum += klRow / n;
  }
  const out = Tensor.output([], logp.dtype, logp.backend);
  out.floats()[0] = loss;
  record(out, 'grpo', [logp], (g) => [op.tensor(grad.map((v) => v * g.item()), [N, T], logp.dtype, logp.backend)]);
  return { loss: out, stats: { loss, kl: klSum / N, clipped: clippedCount / Math.max(1, tokens) } };
}
