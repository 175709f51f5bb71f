// Options shared by the preference-tuning commands (dpo, reward, rl): the model to start from,
// the optimizer and schedule flags of src/train, and how they map onto its TrainOptions.

import { resolveChatTemplate } from '../chat/load.js';
import type { LoraConfig } from '../lora/adapter.js';
import { defaultTargets } from '../lora/modules.js';
import type { ModelConfig } from '../models/config.js';
import type { PromptRenderer } from '../preference/logprobs.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { TrainOptions } from '../train/options.js';
import { numberOption } from './model-args.js';
import { flagOptions, trainOptionsFromFlags } from './train-flags.js';

export const LORA_OPTIONS = {
  lora: { type: 'boolean' }, 'lora-rank': { type: 'string' }, 'lora-alpha': { type: 'string' }, 'lora-dropout': { type: 'string' }, 'lora-targets': { type: 'string' },
  template: { type: 'string' },
} as const;

export const LORA_HELP = `LoRA:      --lora (train an adapter over the frozen base; the reference is the base with it off)
           --lora-rank R (8) --lora-alpha A (16) --lora-dropout P (0.05) --lora-targets a,b|all-linear
chat:      --template auto|chatml|plain|FILE  renders prompts given as messages (default auto: the model's own)`;

/** The LoRA settings asked for on the command line, or undefined without --lora. */
export function loraFromFlags(v: Record<string, unknown>, config: ModelConfig): LoraConfig | undefined {
  for (const f of ['lora-rank', 'lora-alpha', 'lora-dropout', 'lora-targets']) if (v[f] !== undefined && v.lora !== true) throw new Error(`--${f} needs --lora`);
  if (v.lora !== true) return undefined;
  const t = (v['lora-targets'] as string | undefined)?.trim();
  return {
    rank: numberOption('lora-rank', v['lora-rank'] as string | undefined, 8),
    alpha: numberOption('lora-alpha', v['lora-alpha'] as string | undefined, 16),
    dropout: numberOption('lora-dropout', v['lora-dropout'] as string | undefined, 0.05),
    targets: t === 'all-linear' ? 'all-linear' : t ? t.split(',').map((s) => s.trim()).filter(Boolean) : defaultTargets(config),
  };
}

/** Renders messages prompts with the chosen chat template (the generation prompt added). */
export function promptRenderer(choice: string | undefined, modelPath: string, tokenizer: Tokenizer): PromptRenderer {
  let template: ReturnType<typeof resolveChatTemplate>['template'] | null = null;
  return (messages) => {
    template ??= resolveChatTemplate({ choice, modelPath, tokenizer }).template;
    return template.render(messages, { addGenerationPrompt: true });
  };
}

export const TUNE_FLAGS: Record<string, keyof TrainOptions> = {
  steps: 'steps', 'batch-size': 'batchSize', 'grad-accum': 'gradAccumSteps', lr: 'lr', 'min-lr': 'minLr', warmup: 'warmupSteps',
  'weight-decay': 'weightDecay', 'grad-clip': 'gradClip', 'eval-interval': 'evalInterval',
  'checkpoint-interval': 'checkpointInterval', seed: 'seed', context: 'contextLength',
};

export const TUNE_OPTIONS = {
  ...flagOptions(TUNE_FLAGS),
  model: { type: 'string' }, tokenizer: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' },
} as const;

export const TUNE_HELP = `training:  --steps --batch-size --grad-accum --lr --min-lr --warmup --weight-decay --grad-clip
           --eval-interval --checkpoint-interval --seed --context (most tokens of prompt + answer)
           --resume   continue the run in --out exactly where its last checkpoint left it
runtime:   --backend auto|cpu|wasm --threads N (global options)`;

/** The src/train options given on the command line (numbers checked), with defaults for tuning. */
export function tuneOptions(values: Record<string, unknown>, defaults: Partial<TrainOptions>): Partial<TrainOptions> {
  return trainOptionsFromFlags(values, TUNE_FLAGS, defaults);
}
