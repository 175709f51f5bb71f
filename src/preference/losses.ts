// Preference losses on sequence log-probabilities, with their gradients written out.
//
// For a pair, with the policy's log-probabilities πc, πr of the chosen and rejected completions
// and the frozen reference's ρc, ρr, the implicit rewards are (Rafailov et al. 2023, DPO):
//   rc = β (πc − ρc),  rr = β (πr − ρr),  and h = (πc − ρc) − (πr − ρr) = (rc − rr) / β.
// The losses, averaged over the batch:
//   sigmoid (DPO):             −log σ(β h)                  dL/dh = −β σ(−β h)
//   ipo (Azar et al. 2023):    (h − 1/(2β))²                dL/dh = 2 (h − 1/(2β))
//   hinge (SLiC, Zhao 2023):   max(0, 1 − β h)              dL/dh = −β when β h < 1, else 0
// (IPO here takes summed log-probabilities like the other two; TRL's ipo averages per token.)
// The Bradley–Terry loss of a reward model is the sigmoid loss on its two rewards with β = 1 and
// no reference: −log σ(rc − rr).

import * as op from '../ops/index.js';
import { record } from '../ops/record.js';
import { Tensor } from '../tensor/tensor.js';

export type PreferenceLossType = 'sigmoid' | 'ipo' | 'hinge';
export const PREFERENCE_LOSSES: readonly PreferenceLossType[] = ['sigmoid', 'ipo', 'hinge'];

/** log(1 + eˣ) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** The loss of one pair from its log-ratio difference h, and dL/dh. */
export function pairLoss(type: PreferenceLossType, h: number, beta: number): { loss: number; dh: number } {
  switch (type) {
    case 'sigmoid':
      return { loss: softplus(-beta * h), dh: -beta * sigmoid(-beta * h) };
    case 'ipo': {
      const d = h - 1 / (2 * beta);
      return { loss: d * d, dh: 2 * d };
    }
    case 'hinge':
      return beta * h < 1 ? { loss: 1 - beta * h, dh: -beta } : { loss: 0, dh: 0 };
    default:
      throw new Error(`unknown preference loss '${String(type)}' (${PREFERENCE_LOSSES.join(', ')})`);
  }
}

export interface PreferenceStats {
  loss: number;
  /** Means over the batch of β(πc − ρc) and β(πr − ρr). */
  chosenReward: number;
  rejectedReward: number;
  /** Mean of chosen − rejected reward. */
  margin: number;
  /** Fraction of pairs whose chosen reward is above the rejected one. */
  accuracy: number;
}

/** The statistics of a batch from the four log-probabilities per pair (no gradients). */
export function preferenceStats(type: PreferenceLossType, beta: number, pc: ArrayLike<number>, pr: ArrayLike<number>, rc: ArrayLike<number>, rr: ArrayLike<number>): PreferenceStats {
  const B = pc.length;
  let loss = 0, chosen = 0, rejected = 0, correct = 0;
  for (let i = 0; i < B; i++) {
    const a = beta * (pc[i] - rc[i]), b = beta * (pr[i] - rr[i]);
    loss += pairLoss(type, (pc[i] - rc[i]) - (pr[i] - rr[i]), beta).loss;
    chosen += a;
    rejected += b;
    if (a > b) correct++;
  }
  return { loss: loss / B, chosenReward: chosen / B, rejectedReward: rejected / B, margin: (chosen - rejected) / B, accuracy: correct / B };
}

/**
 * The mean preference loss as a scalar tensor, differentiable in the policy's log-probabilities
 * chosen (B,) and rejected (B,); the reference's are plain numbers (frozen). Also the batch's stats.
 */
export function preferenceLoss(
  type: PreferenceLossType, beta: number, chosen: Tensor, rejected: Tensor,
  refChosen: ArrayLike<number>, refRejected: ArrayLike<number>,
): { loss: Tensor; stats: PreferenceStats } {
  if (!(beta > 0 && Number.isFinite(beta))) throw new Error(`β must be a number > 0, got ${beta}`);
  if (!PREFERENCE_LOSSES.includes(type)) throw new Error(`unknown preference loss '${type}' (${PREFERENCE_LOSSES.join(', ')})`);
  const B = chosen.size;
  if (chosen.rank !== 1 || rejected.rank !== 1 || rejected.size !== B || refChosen.length !== B || refRejected.length !== B) {
    throw new Error(`preferenceLoss: chosen, rejected and the reference's log-probabilities must all be (${B},)`);
  }
  const pc = chosen.floats(), pr = rejected.floats();
  const stats = preferenceStats(type, beta, pc, pr, refChosen, refRejected);
  const dh = new Float64Array(B);
  for (let i = 0; i < B; i++) dh[i] = pairLoss(type, (pc[i] - refChosen[i]) - (pr[i] - refRejected[i]), beta).dh / B;
  const out = Tensor.output([], chosen.dtype, chosen.backend);
  out.floats()[0] = stats.loss;
  record(out, `dpo_${type}`, [chosen, rejected], (g) => {
    const s = g.item();
    const dc = op.tensor(dh.map((d) => d * s), [B], chosen.dtype, chosen.backend); // dL/dπc = dL/dh
    const dr = op.tensor(dh.map((d) => -d * s), [B], chosen.dtype, chosen.backend); // dL/dπr = −dL/dh
    return [dc, dr];
  });
  return { loss: out, stats };
}

/**
 * Bradley–Terry loss of a reward model on pairs: mean −log σ(rc − rr), differentiable in both
 * rewards (B,); also the fraction of pairs ranked correctly (rc > rr).
 */
export function bradleyTerryLoss(chosen: Tensor, rejected: Tensor): { loss: Tensor; accuracy: number; margin: number } {
  const zeros = new Float64Array(chosen.size);
  const { loss, stats } = preferenceLoss('sigmoid', 1, chosen, rejected, zeros, zeros);
  return { loss, accuracy: stats.accuracy, margin: stats.margin };
}
