// `glasslm patch`: activation patching from a clean prompt into a corrupted one.

import { activationPatching } from '../../inspect/patching.js';
import { encodePrompt, tokenArg, tokenLabel, visible } from '../../inspect/prompt.js';
import { grid } from '../../inspect/render/terminal.js';
import { heatmapSvg } from '../../inspect/render/svg.js';
import { htmlPage } from '../../inspect/render/html.js';
import { MODEL_OPTIONS, loadModelAndTokenizer, useColor } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFile } from '../../io/output-dir.js';

export const summary = 'activation patching: which residual positions and heads carry the clean answer';

const HELP = `usage: glasslm patch --clean TEXT --corrupted TEXT [options]

Runs the corrupted prompt while copying one activation from the clean run: the residual
stream before each block at one position (layers × positions), and each head's output at all
positions (layers × heads). Each cell is the fraction of the clean logit difference
logit(answer) − logit(wrong) at the last position that comes back: 0 = none, 1 = all.

  --model M          model folder, .gguf or llama2.c .bin (default: the built-in model)
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)
  --clean TEXT       the clean prompt
  --corrupted TEXT   the corrupted prompt (the same number of tokens)
  --answer TOKEN     the clean answer (default: the clean run's top token); text or #id
  --wrong TOKEN      the corrupted answer (default: the corrupted run's top token)
  --no-bos           do not put BOS before the prompts
  --allow-special    read special-token text in the prompt (<|endoftext|>) as those tokens
  --no-color         plain text
  --json             print the result as JSON
  --html PATH        write both heatmaps as a page`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, clean: { type: 'string' }, corrupted: { type: 'string' }, answer: { type: 'string' }, wrong: { type: 'string' },
    'no-bos': { type: 'boolean' }, 'allow-special': { type: 'boolean' }, 'no-color': { type: 'boolean' }, json: { type: 'boolean' }, html: { type: 'string' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.html) checkOutputFile(values.html, '--html'); // before any work
  if (values.clean === undefined || values.corrupted === undefined) throw new Error('give both --clean and --corrupted prompts');
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const decode = tokenLabel(tokenizer);
  const clean = encodePrompt(tokenizer, values.clean, !values['no-bos'], values['allow-special']);
  const corrupted = encodePrompt(tokenizer, values.corrupted, !values['no-bos'], values['allow-special']);
  const V = model.config.vocabSize;
  const p = activationPatching(model, clean, corrupted, {
    answer: values.answer === undefined ? undefined : tokenArg(tokenizer, V, values.answer, 'answer'),
    wrong: values.wrong === undefined ? undefined : tokenArg(tokenizer, V, values.wrong, 'wrong'),
    decode,
  });
  const L = model.config.layers, H = model.config.heads;
  const cols = p.cleanTokens!.map((t, i) => visible(t === p.corruptedTokens![i] ? t : `${t}/${p.corruptedTokens![i]}`));
  const layerLabels = Array.from({ length: L }, (_, l) => `L${l}`), headLabels = Array.from({ length: H }, (_, h) => `H${h}`);
  const metric = `logit(${JSON.stringify(decode(p.answer))}) − logit(${JSON.stringify(decode(p.wrong))}): clean ${p.cleanDiff.toFixed(3)}, corrupted ${p.corruptedDiff.toFixed(3)}`;
  if (values.html) {
    const up = [...layerLabels.keys()].reverse();
    writeFileAtomic(values.html, htmlPage('activation patching', [
      { text: metric },
      { heading: 'resid_pre, one position at a time (fraction restored)', svg: heatmapSvg({ title: 'layer × position', rowLabels: up.map((l) => layerLabels[l]), colLabels: cols, values: up.map((l) => p.resid[l]), text: up.map((l) => p.resid[l].map((v) => v.toFixed(2))), scale: 'signed' }) },
      { heading: 'one head\'s output (hook_z) at every position (fraction restored)', svg: heatmapSvg({ title: 'layer × head', rowLabels: up.map((l) => layerLabels[l]), colLabels: headLabels, values: up.map((l) => p.heads[l]), text: up.map((l) => p.heads[l].map((v) => v.toFixed(2))), scale: 'signed' }) },
    ]));
  }
  if (values.json) {
    console.log(JSON.stringify(p));
    return 0;
  }
  const color = useColor(values['no-color']);
  const up = [...layerLabels.keys()].reverse();
  console.log(metric);
  console.log('\nresid_pre patched at one position (fraction of the clean difference restored; last layer on top)');
  console.log(grid(up.map((l) => layerLabels[l]), cols, up.map((l) => p.resid[l].map((v) => ({ text: v.toFixed(2), value: v }))), { width: 7, color, scale: 'signed' }));
  console.log('\none head\'s output (hook_z) patched at every position');
  console.log(grid(up.map((l) => layerLabels[l]), headLabels, up.map((l) => p.heads[l].map((v) => ({ text: v.toFixed(2), value: v }))), { width: 6, color, scale: 'signed' }));
  if (values.html) console.log(`\nwrote ${values.html}`);
  return 0;
}
