// Options shared by the preference-tuning commands (dpo, reward, rl): the model to start from,
// the optimizer and schedule flags of src/train, and how they map onto its TrainOptions.

import type { TrainOptions } from '../train/options.js';
import { numberOption } from './model-args.js';

export const TUNE_FLAGS: Record<string, keyof TrainOptions> = {
  steps: 'steps', 'batch-size': 'batchSize', 'grad-accum': 'gradAccumSteps', lr: 'lr', 'min-lr': 'minLr', warmup: 'warmupSteps',
  'weight-decay': 'weightDecay', 'grad-clip': 'gradClip', 'eval-interval': 'evalInterval',
  'checkpoint-interval': 'checkpointInterval', seed: 'seed', context: 'contextLength',
};

export const TUNE_OPTIONS = {
  ...Object.fromEntries(Object.keys(TUNE_FLAGS).map((f) => [f, { type: 'string' as const }])),
  model: { type: 'string' }, tokenizer: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' },
} as const;

export const TUNE_HELP = `training:  --steps --batch-size --grad-accum --lr --min-lr --warmup --weight-decay --grad-clip
           --eval-interval --checkpoint-interval --seed --context (most tokens of prompt + answer)
           --resume   continue the run in --out exactly where its last checkpoint left it
runtime:   --backend auto|cpu|wasm --threads N (global options)`;

/** The src/train options given on the command line (numbers checked), with defaults for tuning. */
export function tuneOptions(values: Record<string, unknown>, defaults: Partial<TrainOptions>): Partial<TrainOptions> {
  const out: Record<string, number> = { ...defaults } as Record<string, number>;
  for (const [flag, key] of Object.entries(TUNE_FLAGS)) {
    if (values[flag] !== undefined) out[key] = numberOption(flag, values[flag] as string, 0);
  }
  return out as Partial<TrainOptions>;
}
