// `glasslm lens`: the logit lens over a prompt: the top next tokens read from every layer.

import { logitLens } from '../../inspect/lens.js';
import { encodePrompt, tokenArg, tokenLabel, visible } from '../../inspect/prompt.js';
import { grid } from '../../inspect/render/terminal.js';
import { heatmapSvg } from '../../inspect/render/svg.js';
import { htmlPage } from '../../inspect/render/html.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, useColor } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFile } from '../../io/output-dir.js';
import { refuseModelInputs } from '../output-path.js';

export const summary = 'logit lens: the top next tokens read from every layer at every position';

const HELP = `usage: glasslm lens PROMPT [options]

Reads the residual stream before each block (and after the last) through the final norm and the
unembedding. The grid has positions across and layers up (the last layer on top); each cell
shows the top token, shaded by its probability.

  --model M          model folder, .gguf or llama2.c .bin (default: the built-in model)
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)
  --k K              top tokens per cell in --json (default 5)
  --target TOKEN     follow one token (text of one token, or #id) through the layers: rank and probability
  --no-bos           do not put BOS before the prompt
  --allow-special    read special-token text in the prompt (<|endoftext|>) as those tokens
  --width W          terminal column width (default 8)
  --no-color         plain text grid (the default when the output is not a terminal, or NO_COLOR is set)
  --json             print the lens as JSON
  --html PATH        write a heatmap page (SVG inside)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, k: { type: 'string' }, target: { type: 'string' }, 'no-bos': { type: 'boolean' }, 'allow-special': { type: 'boolean' }, width: { type: 'string' },
    'no-color': { type: 'boolean' }, json: { type: 'boolean' }, html: { type: 'string' },
  }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (values.html) {
    checkOutputFile(values.html, '--html'); // before any work
    refuseModelInputs('--html', values.html, values);
  }
  if (positionals.length === 0) throw new Error('give a prompt, e.g. glasslm lens "Once upon a time"');
  const width = intOption('width', values.width, 8, 1, 200), k = intOption('k', values.k, 5, 1, 1000);
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const ids = encodePrompt(tokenizer, positionals.join(' '), !values['no-bos'], values['allow-special']);
  const decode = tokenLabel(tokenizer);
  const target = values.target === undefined ? undefined : tokenArg(tokenizer, model.config.vocabSize, values.target, 'target');
  const lens = logitLens(model, ids, { k, target, decode });
  const rowLabels = lens.layers.map((n) => n.replace('blocks.', 'L').replace('.hook_resid_pre', ' pre').replace('.hook_resid_post', ' post'));
  const cols = lens.tokens!.map(visible);
  if (values.html) {
    const order = [...lens.layers.keys()].reverse();
    const sections = [{
      heading: 'Top token per layer and position (shade: its probability)',
      svg: heatmapSvg({
        title: 'logit lens', rowLabels: order.map((r) => rowLabels[r]), colLabels: cols,
        values: order.map((r) => lens.cells[r].map((c) => c.probs[0])),
        text: order.map((r) => lens.cells[r].map((c) => c.tokens![0])),
        tooltips: order.map((r) => lens.cells[r].map((c) => c.tokens!.map((t, i) => `${JSON.stringify(t)} ${c.probs[i].toFixed(3)}`).join('\n'))),
      }),
    }];
    if (lens.target) {
      sections.push({
        heading: `Probability of ${JSON.stringify(lens.target.token)} (text: its rank)`,
        svg: heatmapSvg({
          title: `target ${JSON.stringify(lens.target.token)}`, rowLabels: order.map((r) => rowLabels[r]), colLabels: cols,
          values: order.map((r) => lens.target!.probs[r]), text: order.map((r) => lens.target!.ranks[r].map((k) => `#${k + 1}`)),
        }),
      });
    }
    writeFileAtomic(values.html, htmlPage(`logit lens: ${positionals.join(' ')}`, sections));
  }
  if (values.json) {
    console.log(JSON.stringify(lens));
    return 0;
  }
  const color = useColor(values['no-color']);
  const order = [...lens.layers.keys()].reverse(); // last layer on top
  console.log(grid(order.map((r) => rowLabels[r]), cols, order.map((r) => lens.cells[r].map((c) => ({ text: visible(c.tokens![0]), value: c.probs[0] }))), { width, color }));
  if (lens.target) {
    console.log(`\n${JSON.stringify(lens.target.token)} (id ${lens.target.id}): rank:probability at each layer and position`);
    console.log(grid(order.map((r) => rowLabels[r]), cols, order.map((r) => lens.target!.ranks[r].map((k, t) => ({ text: `${k + 1}:${Math.round(100 * lens.target!.probs[r][t])}%`, value: lens.target!.probs[r][t] }))), { width, color }));
  }
  if (values.html) console.log(`\nwrote ${values.html}`);
  return 0;
}
