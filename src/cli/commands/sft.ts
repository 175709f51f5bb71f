// `glasslm sft`: supervised fine-tuning (every weight, or a LoRA adapter) on instruction data.

import { type SftJob, type TemplateChoice, runSft } from '../../sft/run.js';
import { BUILTIN_MODEL_DIR, MODEL_OPTIONS, loadModelAndTokenizer, numberOption } from '../model-args.js';
import { checkTrainingOut } from '../output-path.js';
import { parseCommand } from '../parse.js';
import { LORA_OPTIONS, loraFromFlags } from '../preference-args.js';
import { TRAIN_FLAGS, flagOptions, trainOptionsFromFlags, trainProgress } from '../train-flags.js';

/** sft takes train's optimizer and schedule flags, and --context (tokens per row). */
const SFT_FLAGS = { ...TRAIN_FLAGS, context: 'contextLength' } as const;

export const summary = 'fine-tune on instructions (messages / Alpaca / prompt-completion), fully or with LoRA';

const HELP = `usage: glasslm sft --data FILE [--data FILE …] --out DIR [--model M] [options]

data:      messages JSONL ({"messages": [{"role", "content"}, …]}), Alpaca JSON or JSONL
           (instruction, input, output), or prompt/completion JSONL. Every record is checked before
           training; the loss is taken on the assistant's (completion's) tokens only.
  --model M            base model (default: the built-in model); --tokenizer T as elsewhere
  --template T         auto (the model's own, else chatml; plain under --lora), chatml (adds
                       <|im_start|>/<|im_end|> to the vocabulary), plain (User:/Assistant:), or a
                       folder/.gguf/tokenizer_config.json holding one
  --val-fraction X     every (1/X)-th example held out for the validation loss (default 0.05)
  --no-packing         one example per row (default: short examples share a row, masked apart)
LoRA:      --lora (train an adapter over the frozen base, saved in PEFT's layout)
  --lora-rank R (8)  --lora-alpha A (16)  --lora-dropout P (0.05)
  --lora-targets a,b   module names (c_attn, q_proj, …) or all-linear (default: PEFT's, c_attn / q_proj,v_proj)
  --dtype q8_0         hold the frozen base as int8 (LoRA only)
training:  --steps (200) --batch-size (8) --context (≤ 256) --lr (3e-4; 1e-3 with LoRA) --min-lr --warmup
           --weight-decay (0) --grad-clip --grad-accum --eval-interval --checkpoint-interval --seed
  --resume             continue the run in --out exactly where its last checkpoint left it

Writes DIR/config.json, model.safetensors, tokenizer.json, tokenizer_config.json (the chat
template), or with --lora DIR/adapter_config.json + adapter_model.safetensors; and
train-state.safetensors (--resume), loss.svg.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, ...flagOptions(SFT_FLAGS), data: { type: 'string', multiple: true }, out: { type: 'string' },
    'val-fraction': { type: 'string' }, 'no-packing': { type: 'boolean' }, resume: { type: 'boolean' }, ...LORA_OPTIONS,
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (!v.out) throw new Error('--out DIR is required');
  checkTrainingOut(v.out as string, { '--model': (v.model as string | undefined) ?? BUILTIN_MODEL_DIR, '--tokenizer': v.tokenizer as string | undefined });
  const useLora = v.lora === true;
  if (v.dtype === 'q8_0' && !useLora) throw new Error('--dtype q8_0 holds the base as int8, which only LoRA can train on (add --lora)');
  const options = trainOptionsFromFlags(v, SFT_FLAGS);
  const { model, tokenizer, modelPath } = loadModelAndTokenizer({ model: v.model as string | undefined, tokenizer: v.tokenizer as string | undefined, dtype: (v.dtype as string | undefined) ?? 'f32' });
  const lora = loraFromFlags(v, model.config);
  const tpl = (v.template as string | undefined) ?? 'auto';
  const template: TemplateChoice = tpl === 'auto' || tpl === 'chatml' || tpl === 'plain' ? tpl : { file: tpl };
  const job: SftJob = {
    model, tokenizer, modelPath, data: (v.data as string[] | undefined) ?? [], out: v.out as string,
    valFraction: numberOption('val-fraction', v['val-fraction'] as string | undefined, 0.05),
    packing: v['no-packing'] !== true, template, options, lora, resume: v.resume === true,
  };
  const progress = trainProgress();
  const { trainer, valLoss } = runSft(job, { onInfo: (line) => console.error(line), ...progress.events });
  progress.done();
  console.log(`done: ${trainer.step} steps in ${trainer.seconds.toFixed(1)} s; validation loss ${valLoss.toFixed(4)}; ${useLora ? 'adapter' : 'model'} in ${job.out}`);
  return 0;
}
