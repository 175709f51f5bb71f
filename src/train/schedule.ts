// Learning-rate schedule: linear warmup, then cosine decay to a floor (as nanoGPT).

export interface LrSchedule {
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warmup from 0 to lr. */
  warmupSteps: number;
  /** Step at which the cosine reaches minLr (usually the total number of steps). */
  decaySteps: number;
  minLr: number;
}

/** The learning rate at step (0-based). */
export function learningRateAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (step >= s.decaySteps) return s.minLr;
  const progress = (step - s.warmupSteps) / Math.max(1, s.decaySteps - s.warmupSteps);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (s.lr - s.minLr);
}
