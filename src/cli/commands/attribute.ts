// `glasslm attribute`: direct logit attribution of one logit (or a logit difference) to the
// embeddings, every attention head, every MLP and the biases.

import { directLogitAttribution } from '../../inspect/attribution.js';
import { encodePrompt, resolvePosition, tokenArg, tokenLabel } from '../../inspect/prompt.js';
import { barChart, grid } from '../../inspect/render/terminal.js';
import { barChartSvg, heatmapSvg } from '../../inspect/render/svg.js';
import { htmlPage } from '../../inspect/render/html.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, numberOption, useColor } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFile } from '../../io/output-dir.js';

export const summary = 'direct logit attribution: which heads and MLPs wrote a token\'s logit';

const HELP = `usage: glasslm attribute PROMPT [options]

Splits the logit of a token at a position (default: the model's top next token after the
prompt) into one number per part of the residual stream: token and position embeddings, each
attention head, each attention output bias, each MLP, and the final norm's bias. The final
norm's scale is frozen at its value on the real residual, so the parts add up to the logit.

  --model M          model folder, .gguf or llama2.c .bin (default: the built-in model)
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)
  --token TOKEN      the token whose logit to split (text of one token, or #id)
  --wrong TOKEN      split logit(token) − logit(wrong) instead
  --position POS     the position (default the last; --position=-2 counts from the end)
  --top N            bars to print, largest |value| first (default 15; 0 = all, in order)
  --no-bos           do not put BOS before the prompt
  --allow-special    read special-token text in the prompt (<|endoftext|>) as those tokens
  --no-color         plain text
  --json             print the parts as JSON
  --html PATH        write the bar chart and a layer × head heatmap`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, token: { type: 'string' }, wrong: { type: 'string' }, position: { type: 'string' }, top: { type: 'string' },
    'no-bos': { type: 'boolean' }, 'allow-special': { type: 'boolean' }, 'no-color': { type: 'boolean' }, json: { type: 'boolean' }, html: { type: 'string' },
  }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (values.html) checkOutputFile(values.html, '--html'); // before any work
  if (positionals.length === 0) throw new Error('give a prompt, e.g. glasslm attribute "Once upon a time"');
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const ids = encodePrompt(tokenizer, positionals.join(' '), !values['no-bos'], values['allow-special']);
  const decode = tokenLabel(tokenizer);
  const V = model.config.vocabSize;
  const position = values.position === undefined ? undefined : resolvePosition(numberOption('position', values.position, 0), ids.length, '--position');
  const top = intOption('top', values.top, 15, 0, 10000); // 0: all, in order
  const a = directLogitAttribution(model, ids, {
    position,
    token: values.token === undefined ? undefined : tokenArg(tokenizer, V, values.token, 'token'),
    wrong: values.wrong === undefined ? undefined : tokenArg(tokenizer, V, values.wrong, 'wrong'),
    decode,
  });
  const what = `${a.wrong === undefined ? 'logit' : 'logit difference'} of ${JSON.stringify(decode(a.token))}${a.wrong === undefined ? '' : ` − ${JSON.stringify(decode(a.wrong))}`} at position ${a.position} (after ${JSON.stringify(a.tokens![a.position])})`;
  const shown = top > 0 ? [...a.parts].sort((x, y) => Math.abs(y.value) - Math.abs(x.value)).slice(0, top) : a.parts;
  if (values.html) {
    const L = model.config.layers, H = model.config.heads;
    const m = Math.max(...a.heads.flat().map(Math.abs), 1e-12);
    writeFileAtomic(values.html, htmlPage(`attribution: ${what}`, [
      { text: `model logit ${a.logit.toFixed(4)}; sum of parts ${a.total.toFixed(4)}; final norm scale frozen at 1/rstd = ${(1 / a.rstd).toFixed(4)}` },
      { heading: 'every part', svg: barChartSvg(what, a.parts.map((p) => ({ label: p.name, value: p.value }))) },
      { heading: 'heads (red: raises the logit, blue: lowers it)', svg: heatmapSvg({ title: 'layer × head', rowLabels: Array.from({ length: L }, (_, l) => `L${l}`), colLabels: Array.from({ length: H }, (_, h) => `H${h}`), values: a.heads.map((r) => r.map((v) => v / m)), text: a.heads.map((r) => r.map((v) => v.toFixed(2))), scale: 'signed' }) },
    ]));
  }
  if (values.json) {
    console.log(JSON.stringify(a));
    return 0;
  }
  console.log(`${what}: ${a.logit.toFixed(4)} (parts sum to ${a.total.toFixed(4)})`);
  console.log(barChart(shown.map((p) => ({ label: p.name, value: p.value }))));
  const m = Math.max(...a.heads.flat().map(Math.abs), 1e-12);
  console.log('\nheads (layer × head)');
  console.log(grid(a.heads.map((_, l) => `L${l}`), a.heads[0].map((_, h) => `H${h}`), a.heads.map((r) => r.map((v) => ({ text: v.toFixed(2), value: v / m }))), { width: 6, color: useColor(values['no-color']), scale: 'signed' }));
  if (values.html) console.log(`\nwrote ${values.html}`);
  return 0;
}
