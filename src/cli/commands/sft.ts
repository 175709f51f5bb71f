// `glasslm sft`: supervised fine-tuning (every weight, or a LoRA adapter) on instruction data.

import { type LoraConfig } from '../../lora/adapter.js';
import { defaultTargets } from '../../lora/modules.js';
import { type SftJob, type TemplateChoice, runSft } from '../../sft/run.js';
import { MODEL_OPTIONS, loadModelAndTokenizer, numberOption } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { ProgressBar } from '../progress.js';
import { TRAIN_FLAGS } from './train.js';

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
  const flags = Object.fromEntries(Object.keys(TRAIN_FLAGS).map((f) => [f, { type: 'string' as const }]));
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, ...flags, context: { type: 'string' }, data: { type: 'string', multiple: true }, out: { type: 'string' },
    template: { type: 'string' }, 'val-fraction': { type: 'string' }, 'no-packing': { type: 'boolean' }, resume: { type: 'boolean' },
    lora: { type: 'boolean' }, 'lora-rank': { type: 'string' }, 'lora-alpha': { type: 'string' }, 'lora-dropout': { type: 'string' }, 'lora-targets': { type: 'string' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (!v.out) throw new Error('--out DIR is required');
  const useLora = v.lora === true;
  for (const f of ['lora-rank', 'lora-alpha', 'lora-dropout', 'lora-targets']) if (v[f] !== undefined && !useLora) throw new Error(`--${f} needs --lora`);
  if (v.dtype === 'q8_0' && !useLora) throw new Error('--dtype q8_0 holds the base as int8, which only LoRA can train on (add --lora)');
  const options: Record<string, number> = {};
  for (const [flag, key] of Object.entries(TRAIN_FLAGS)) if (v[flag] !== undefined) options[key] = numberOption(flag, v[flag] as string, 0);
  if (v.context !== undefined) options.contextLength = numberOption('context', v.context as string, 0);
  const { model, tokenizer, modelPath } = loadModelAndTokenizer({ model: v.model as string | undefined, tokenizer: v.tokenizer as string | undefined, dtype: (v.dtype as string | undefined) ?? 'f32' });
  let lora: LoraConfig | undefined;
  if (useLora) {
    const t = (v['lora-targets'] as string | undefined)?.trim();
    lora = {
      rank: numberOption('lora-rank', v['lora-rank'] as string | undefined, 8),
      alpha: numberOption('lora-alpha', v['lora-alpha'] as string | undefined, 16),
      dropout: numberOption('lora-dropout', v['lora-dropout'] as string | undefined, 0.05),
      targets: t === 'all-linear' ? 'all-linear' : t ? t.split(',').map((s) => s.trim()).filter(Boolean) : defaultTargets(model.config),
    };
  }
  const tpl = (v.template as string | undefined) ?? 'auto';
  const template: TemplateChoice = tpl === 'auto' || tpl === 'chatml' || tpl === 'plain' ? tpl : { file: tpl };
  const job: SftJob = {
    model, tokenizer, modelPath, data: (v.data as string[] | undefined) ?? [], out: v.out as string,
    valFraction: numberOption('val-fraction', v['val-fraction'] as string | undefined, 0.05),
    packing: v['no-packing'] !== true, template, options, lora, resume: v.resume === true,
  };
  let bar: ProgressBar | null = null;
  let tokensPerSecond = 0;
  const { trainer, valLoss } = runSft(job, {
    onInfo: (line) => console.error(line),
    onStep: (r, t) => {
      bar ??= new ProgressBar(t.options.steps);
      const secondsPerStep = t.seconds / Math.max(1, t.step);
      tokensPerSecond = r.tokens / secondsPerStep;
      bar.update(r.step, { loss: r.loss.toFixed(4), lr: r.lr.toExponential(2), 'tok/s': Math.round(tokensPerSecond).toLocaleString('en-US') }, secondsPerStep);
    },
    onEval: (step, trainLoss, val) => (bar ? bar.log(`step ${step}: train loss ${trainLoss.toFixed(4)}, validation loss ${val.toFixed(4)}`) : undefined),
  });
  (bar as ProgressBar | null)?.done();
  console.log(`done: ${trainer.step} steps in ${trainer.seconds.toFixed(1)} s; validation loss ${valLoss.toFixed(4)}; ${useLora ? 'adapter' : 'model'} in ${job.out}`);
  return 0;
}
