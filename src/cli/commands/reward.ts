// `glasslm reward`: train a reward model (a scalar head on the last token) on preference pairs.

import { runBasePath } from '../../preference/dpo-run.js';
import { runRewardTraining } from '../../preference/reward-train.js';
import { BUILTIN_MODEL_DIR, loadModelAndTokenizer, numberOption, intOption } from '../model-args.js';
import { checkTrainingOut } from '../output-path.js';
import { parseCommand } from '../parse.js';
import { TUNE_HELP, TUNE_OPTIONS, promptRenderer, tuneOptions } from '../preference-args.js';
import { ProgressBar } from '../progress.js';

export const summary = 'train a reward model on preference pairs (Bradley–Terry loss, held-out pair accuracy)';

const HELP = `usage: glasslm reward --data FILE --out DIR [--model M] [options]

data:      --data FILE   JSONL {prompt|messages, chosen, rejected}, or Alpaca JSON/JSONL with chosen/rejected
           --limit N     use only the first N pairs
           --held-out X  fraction of pairs held out for evaluation (default 0.1: every 10th)
model:     --model M (the body to start from; default the built-in model)  --tokenizer T
${TUNE_HELP}

The reward of an answer is the final hidden state of its last token (ln_final.hook_normalized)
times a learned vector score.weight (1, width). Writes DIR/config.json and model.safetensors
(the body and score.weight), tokenizer.json, train-state.safetensors (for --resume) and loss.svg;
glasslm score --model DIR uses it.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...TUNE_OPTIONS, data: { type: 'string' }, 'held-out': { type: 'string' }, limit: { type: 'string' }, template: { type: 'string' } }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.data) throw new Error('--data FILE is required');
  if (!v.out) throw new Error('--out DIR is required');
  const modelPath = v.model ?? (v.resume ? runBasePath(v.out) : undefined);
  checkTrainingOut(v.out, { '--model': modelPath ?? BUILTIN_MODEL_DIR, '--tokenizer': v.tokenizer });
  const { model, tokenizer, modelPath: path } = loadModelAndTokenizer({ model: modelPath, tokenizer: v.tokenizer, dtype: 'f32' });
  let bar: ProgressBar | null = null;
  const { trainer, final } = runRewardTraining({
    data: v.data, out: v.out, resume: v.resume === true, limit: intOption('limit', v.limit, 0, 0),
    renderPrompt: promptRenderer(v.template, path, tokenizer),
    heldOutFraction: numberOption('held-out', v['held-out'], 0.1),
    options: tuneOptions(v, { steps: 100, batchSize: 8, lr: 3e-4, minLr: 3e-5, warmupSteps: 10, evalInterval: 25, checkpointInterval: 25, weightDecay: 0 }),
  }, { model, tokenizer, path }, {
    onInfo: (line) => console.error(line),
    onStep: (r, t) => {
      bar ??= new ProgressBar(t.options.steps);
      bar.update(r.step, { loss: r.loss.toFixed(4), margin: r.margin.toFixed(3), acc: r.accuracy.toFixed(2) }, t.seconds / Math.max(1, t.step));
    },
    onEval: (e) => {
      const line = `step ${e.step}: held-out Bradley–Terry loss ${e.loss.toFixed(4)}, pair accuracy ${(100 * e.accuracy).toFixed(1)}%, margin ${e.margin.toFixed(4)}`;
      if (bar) bar.log(line);
      else console.error(line);
    },
  });
  (bar as ProgressBar | null)?.done();
  const tail = final ? `; held-out pair accuracy ${(100 * final.accuracy).toFixed(1)}%` : '';
  console.log(`done: ${trainer.step} steps in ${trainer.seconds.toFixed(1)} s${tail}; reward model in ${v.out}`);
  return 0;
}
