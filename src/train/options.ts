// Training options: defaults follow nanoGPT; a config file with an unknown key is an error.

export interface TrainOptions {
  /** Sequences per micro-batch. */
  batchSize: number;
  /** Tokens per sequence (at most the model's context length). */
  contextLength: number;
  /** Micro-batches whose gradients are summed before each optimizer step. */
  gradAccumSteps: number;
  /** Optimizer steps in all. */
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  /** Step at which the cosine decay ends (default: steps). */
  decaySteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Clip the global gradient norm to this (0 = no clipping). */
  gradClip: number;
  /** Evaluate the validation loss every this many steps (0 = never). */
  evalInterval: number;
  /** Micro-batches averaged for each validation loss. */
  evalBatches: number;
  /** Save a checkpoint every this many steps (0 = only at the end). */
  checkpointInterval: number;
  seed: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  batchSize: 12, contextLength: 64, gradAccumSteps: 1, steps: 2000,
  lr: 1e-3, minLr: 1e-4, warmupSteps: 100, decaySteps: 2000,
  weightDecay: 0.1, beta1: 0.9, beta2: 0.99, gradClip: 1.0,
  evalInterval: 250, evalBatches: 20, checkpointInterval: 250, seed: 1337,
};

/** Largest sizes accepted, far above any run this machine could make (a batch is held in memory). */
export const TRAIN_LIMITS = { batchSize: 1 << 16, contextLength: 1 << 24, gradAccumSteps: 1 << 16, evalBatches: 1 << 20 } as const;

/** Merges overrides into the defaults, refusing unknown keys and bad values. */
export function resolveTrainOptions(overrides: Record<string, unknown>): TrainOptions {
  const out: Record<string, number> = { ...DEFAULT_TRAIN_OPTIONS } as unknown as Record<string, number>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_TRAIN_OPTIONS)) throw new Error(`unknown training option '${key}' (known: ${Object.keys(DEFAULT_TRAIN_OPTIONS).join(', ')})`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`training option '${key}' must be a number ≥ 0, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  if (!('decaySteps' in overrides) || overrides.decaySteps === undefined) out.decaySteps = out.steps;
  const o = out as unknown as TrainOptions;
  for (const k of ['batchSize', 'contextLength', 'gradAccumSteps', 'evalBatches'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`training option '${k}' must be a whole number ≥ 1, got ${o[k]}`);
    if (o[k] > TRAIN_LIMITS[k]) throw new Error(`training option '${k}' must be at most ${TRAIN_LIMITS[k]}, got ${o[k]}`);
  }
  for (const k of ['steps', 'warmupSteps', 'decaySteps', 'evalInterval', 'checkpointInterval', 'seed'] as const) {
    if (!Number.isSafeInteger(o[k])) throw new Error(`training option '${k}' must be a whole number, got ${o[k]}`);
  }
  if (o.seed > 2 ** 32 - 1) throw new Error(`training option 'seed' must be a whole number from 0 to ${2 ** 32 - 1} (the generator's state is 32 bits), got ${o.seed}`);
  if (o.steps < 1) throw new Error(`training option 'steps' must be a whole number ≥ 1, got ${o.steps}`);
  if (o.lr <= 0) throw new Error('the learning rate must be > 0');
  // AdamW's decoupled decay multiplies every matrix by (1 - lr·weightDecay) each step
  if (o.lr * o.weightDecay >= 1) throw new Error(`the learning rate times the weight decay (${o.lr} × ${o.weightDecay}) must be below 1: each step multiplies the weights by 1 − lr·weight_decay`);
  for (const k of ['beta1', 'beta2'] as const) if (!(o[k] < 1)) throw new Error(`training option '${k}' must be in [0, 1), got ${o[k]}`);
  return o;
}
