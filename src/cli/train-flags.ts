// Flags shared by the commands that train (train, sft; dpo, reward and rl through
// ./preference-args.ts): the optimizer and schedule flags of src/train and how they map onto its
// TrainOptions, and the progress bar with validation lines that train and sft print.

import type { TrainOptions } from '../train/options.js';
import type { TrainEvents } from '../train/run.js';
import { numberOption } from './model-args.js';
import { ProgressBar } from './progress.js';

/** Flag name -> TrainOptions key, for every optimizer/schedule flag of `glasslm train` and `sft`. */
export const TRAIN_FLAGS: Record<string, keyof TrainOptions> = {
  steps: 'steps', 'batch-size': 'batchSize', 'grad-accum': 'gradAccumSteps', lr: 'lr', 'min-lr': 'minLr', warmup: 'warmupSteps',
  'decay-steps': 'decaySteps', 'weight-decay': 'weightDecay', beta1: 'beta1', beta2: 'beta2', 'grad-clip': 'gradClip',
  'eval-interval': 'evalInterval', 'eval-batches': 'evalBatches', 'checkpoint-interval': 'checkpointInterval', seed: 'seed',
};

/** parseArgs options for the given flags (each takes a value). */
export function flagOptions(flags: Record<string, unknown>): Record<string, { type: 'string' }> {
  return Object.fromEntries(Object.keys(flags).map((f) => [f, { type: 'string' as const }]));
}

/**
 * The TrainOptions given on the command line, over defaults: each a finite number here (named in
 * the error); ranges and whole numbers are checked by src/train's resolveTrainOptions.
 */
export function trainOptionsFromFlags(values: Record<string, unknown>, flags: Record<string, keyof TrainOptions> = TRAIN_FLAGS, defaults: Partial<TrainOptions> = {}): Partial<TrainOptions> {
  const out: Record<string, number> = { ...defaults } as Record<string, number>;
  for (const [flag, key] of Object.entries(flags)) {
    if (values[flag] !== undefined) out[key] = numberOption(flag, values[flag] as string, 0);
  }
  if (values['min-lr'] !== undefined && out.lr !== undefined && out.minLr > out.lr) {
    throw new Error(`--min-lr ${out.minLr} is above the learning rate ${out.lr}: the schedule decays from --lr down to --min-lr`);
  }
  return out as Partial<TrainOptions>;
}

/** A progress bar on stderr fed by a training run's events (steps, validation lines); done() ends it. */
export function trainProgress(): { events: Pick<TrainEvents, 'onStep' | 'onEval'>; done(): void; tokensPerSecond(): number } {
  let bar: ProgressBar | null = null;
  let tokensPerSecond = 0;
  return {
    events: {
      onStep: (r, t) => {
        bar ??= new ProgressBar(t.options.steps);
        const secondsPerStep = t.seconds / Math.max(1, t.step);
        tokensPerSecond = r.tokens / secondsPerStep;
        bar.update(r.step, { loss: r.loss.toFixed(4), lr: r.lr.toExponential(2), 'tok/s': Math.round(tokensPerSecond).toLocaleString('en-US') }, secondsPerStep);
      },
      onEval: (step, trainLoss, val) => (bar ? bar.log(`step ${step}: train loss ${trainLoss.toFixed(4)}, validation loss ${val.toFixed(4)}`) : undefined),
    },
    done: () => bar?.done(),
    tokensPerSecond: () => tokensPerSecond,
  };
}
