// `glasslm rl`: tune a model with GRPO against a reward model or a reward function module.

import { runBasePath } from '../../preference/dpo-run.js';
import { runGrpo } from '../../preference/grpo-run.js';
import { loadRewardModule } from '../../preference/reward-module.js';
import { type RewardSource, rewardFromModel } from '../../preference/reward-source.js';
import { loadRewardModel } from '../../preference/reward-train.js';
import { BUILTIN_MODEL_DIR, loadModelAndTokenizer, numberOption, intOption } from '../model-args.js';
import { checkTrainingOut } from '../output-path.js';
import { parseCommand } from '../parse.js';
import { LORA_HELP, LORA_OPTIONS, TUNE_HELP, TUNE_OPTIONS, loraFromFlags, promptRenderer, tuneOptions } from '../preference-args.js';
import { ProgressBar } from '../progress.js';

export const summary = 'tune a model with GRPO against a reward model or a reward function (JS module)';

const HELP = `usage: glasslm rl --prompts FILE (--reward-model DIR | --reward-fn MODULE.mjs) --out DIR [--model M] [options]

prompts:   --prompts FILE  JSONL or JSON array of {prompt} / {messages} / Alpaca {instruction, input}
           --limit N       use only the first N prompts
reward:    --reward-model DIR   a reward model trained by glasslm reward
           --reward-fn FILE     a module: export default (prompt, completion) => number
grpo:      --group G (4) samples per prompt  --max-tokens N (48)  --temperature T (1)
           --clip C (0.2)  --kl B (0.04, weight of the k3 KL to the reference)  --updates U (1 optimizer steps per batch)
           --batch-size is the number of prompts per step
model:     --model M (default the built-in model)  --tokenizer T
${LORA_HELP}
${TUNE_HELP}

Logs per step the loss, mean reward, KL to the reference, mean completion length and entropy.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...TUNE_OPTIONS, ...LORA_OPTIONS, prompts: { type: 'string' }, limit: { type: 'string' }, 'reward-model': { type: 'string' }, 'reward-fn': { type: 'string' },
    group: { type: 'string' }, 'max-tokens': { type: 'string' }, temperature: { type: 'string' }, clip: { type: 'string' }, kl: { type: 'string' }, updates: { type: 'string' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.prompts) throw new Error('--prompts FILE is required');
  if (!v.out) throw new Error('--out DIR is required');
  if (!!v['reward-model'] === !!v['reward-fn']) throw new Error('give one reward: --reward-model DIR or --reward-fn MODULE');
  const modelPath = v.model ?? (v.resume ? runBasePath(v.out) : undefined);
  checkTrainingOut(v.out, { '--model': modelPath ?? BUILTIN_MODEL_DIR, '--tokenizer': v.tokenizer, '--reward-model': v['reward-model'] });
  const { model, tokenizer, modelPath: path } = loadModelAndTokenizer({ model: modelPath, tokenizer: v.tokenizer, dtype: 'f32' });
  const reward: RewardSource = v['reward-fn']
    ? await loadRewardModule(v['reward-fn'])
    : rewardFromModel(loadRewardModel(v['reward-model']!), tokenizer, v['reward-model']!);
  const int = (name: string, value: string | undefined, d: number) => {
    const n = numberOption(name, value, d);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got ${value}`);
    return n;
  };
  let bar: ProgressBar | null = null;
  const trainer = runGrpo({
    prompts: v.prompts, out: v.out, resume: v.resume === true, limit: intOption('limit', v.limit, 0, 0),
    lora: loraFromFlags(v, model.config), renderPrompt: promptRenderer(v.template, path, tokenizer),
    grpo: {
      groupSize: int('group', v.group, 4), maxTokens: int('max-tokens', v['max-tokens'], 48), temperature: numberOption('temperature', v.temperature, 1),
      clip: numberOption('clip', v.clip, 0.2), klCoef: numberOption('kl', v.kl, 0.04), updatesPerBatch: int('updates', v.updates, 1),
    },
    options: tuneOptions(v, { steps: 50, batchSize: 2, lr: 1e-4, minLr: 1e-5, warmupSteps: 5, checkpointInterval: 10, weightDecay: 0 }),
  }, { model, tokenizer, path }, reward, {
    onInfo: (line) => console.error(line),
    onStep: (r, t) => {
      bar ??= new ProgressBar(t.options.steps);
      bar.update(r.step, { loss: r.loss.toFixed(4), reward: r.reward.toFixed(3), kl: r.kl.toFixed(4), len: r.length.toFixed(1), entropy: r.entropy.toFixed(2) }, t.seconds / Math.max(1, t.step));
    },
  });
  (bar as ProgressBar | null)?.done();
  const n = Math.max(1, Math.min(10, Math.floor(trainer.log.length / 2)));
  const mean = (rows: typeof trainer.log, k: 'reward' | 'kl' | 'length' | 'entropy') => rows.reduce((a, r) => a + r[k], 0) / Math.max(1, rows.length);
  const first = trainer.log.slice(0, n), last = trainer.log.slice(-n);
  const line = (rows: typeof trainer.log) => `reward ${mean(rows, 'reward').toFixed(4)}, KL ${mean(rows, 'kl').toFixed(4)}, length ${mean(rows, 'length').toFixed(1)}, entropy ${mean(rows, 'entropy').toFixed(3)}`;
  console.log(`done: ${trainer.step} steps in ${trainer.seconds.toFixed(1)} s; model in ${v.out}`);
  console.log(`  mean of the first ${first.length} steps: ${line(first)}`);
  console.log(`  mean of the last ${last.length} steps:  ${line(last)}`);
  return 0;
}
