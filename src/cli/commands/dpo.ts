// `glasslm dpo`: tune a model on preference pairs with Direct Preference Optimization.

import { runBasePath, runDpo } from '../../preference/dpo-run.js';
import { PREFERENCE_LOSSES, type PreferenceLossType } from '../../preference/losses.js';
import { BUILTIN_MODEL_DIR, loadModelAndTokenizer, numberOption, intOption } from '../model-args.js';
import { checkTrainingOut } from '../output-path.js';
import { parseCommand } from '../parse.js';
import { LORA_HELP, LORA_OPTIONS, TUNE_HELP, TUNE_OPTIONS, loraFromFlags, promptRenderer, tuneOptions } from '../preference-args.js';
import { ProgressBar } from '../progress.js';

export const summary = 'tune a model on preference pairs with DPO (sigmoid, IPO or hinge loss; checkpoints, --resume)';

const HELP = `usage: glasslm dpo --data FILE --out DIR [--model M] [options]

data:      --data FILE   JSONL {prompt|messages, chosen, rejected}, or Alpaca JSON/JSONL with chosen/rejected
           --limit N     use only the first N pairs
           --held-out X  fraction of pairs held out for evaluation (default 0.1: every 10th)
dpo:       --loss sigmoid|ipo|hinge (default sigmoid)  --beta B (default 0.1)
           --precompute-ref  score every pair with the reference once, then free its weights
model:     --model M (default the built-in model)  --tokenizer T
${LORA_HELP}
${TUNE_HELP}

Logs per step the loss, the chosen and rejected rewards β·(log π − log π_ref), their margin and
accuracy; evaluates them on the held-out pairs before training and every --eval-interval steps.
Writes DIR/config.json, model.safetensors, tokenizer.json (usable with --model DIR),
train-state.safetensors (for --resume) and loss.svg; with --lora, the adapter in PEFT's layout
(adapter_config.json, adapter_model.safetensors: use it with --model BASE --lora DIR).`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...TUNE_OPTIONS, ...LORA_OPTIONS, data: { type: 'string' }, 'held-out': { type: 'string' }, limit: { type: 'string' }, loss: { type: 'string' }, beta: { type: 'string' }, 'precompute-ref': { type: 'boolean' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.data) throw new Error('--data FILE is required');
  if (!v.out) throw new Error('--out DIR is required');
  const loss = (v.loss ?? 'sigmoid') as PreferenceLossType;
  if (!PREFERENCE_LOSSES.includes(loss)) throw new Error(`--loss must be one of ${PREFERENCE_LOSSES.join(', ')}, got '${loss}'`);
  const beta = numberOption('beta', v.beta, 0.1);
  if (!(beta > 0)) throw new Error(`--beta must be > 0, got ${beta}`);
  // on --resume the reference is the model the run started from
  const modelPath = v.model ?? (v.resume ? runBasePath(v.out) : undefined);
  checkTrainingOut(v.out, { '--model': modelPath ?? BUILTIN_MODEL_DIR, '--tokenizer': v.tokenizer });
  const { model, tokenizer, modelPath: path } = loadModelAndTokenizer({ model: modelPath, tokenizer: v.tokenizer, dtype: 'f32' });
  let bar: ProgressBar | null = null;
  const { trainer, final } = runDpo({
    data: v.data, out: v.out, resume: v.resume === true,
    limit: intOption('limit', v.limit, 0, 0),
    lora: loraFromFlags(v, model.config),
    renderPrompt: promptRenderer(v.template, path, tokenizer),
    heldOutFraction: numberOption('held-out', v['held-out'], 0.1),
    settings: { loss, beta, precomputeReference: v['precompute-ref'] === true },
    options: tuneOptions(v, { steps: 100, batchSize: 8, lr: 1e-4, minLr: 1e-5, warmupSteps: 10, evalInterval: 25, checkpointInterval: 25, weightDecay: 0 }),
  }, { model, tokenizer, path }, {
    onInfo: (line) => console.error(line),
    onStep: (r, t) => {
      bar ??= new ProgressBar(t.options.steps);
      bar.update(r.step, {
        loss: r.loss.toFixed(4), chosen: r.chosenReward.toFixed(3), rejected: r.rejectedReward.toFixed(3), margin: r.margin.toFixed(3), acc: r.accuracy.toFixed(2),
      }, t.seconds / Math.max(1, t.step));
    },
    onEval: (step, s) => {
      const line = `step ${step}: held-out loss ${s.loss.toFixed(4)}, rewards chosen ${s.chosenReward.toFixed(4)} rejected ${s.rejectedReward.toFixed(4)}, margin ${s.margin.toFixed(4)}, accuracy ${(100 * s.accuracy).toFixed(1)}%`;
      if (bar) bar.log(line);
      else console.error(line);
    },
  });
  (bar as ProgressBar | null)?.done();
  const tail = final ? `; held-out accuracy ${(100 * final.accuracy).toFixed(1)}%, margin ${final.margin.toFixed(4)}` : '';
  console.log(`done: ${trainer.step} steps in ${trainer.seconds.toFixed(1)} s${tail}; model in ${v.out}`);
  return 0;
}
