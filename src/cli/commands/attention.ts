// `glasslm attention`: attention patterns, per-head scores, and where a position's information came from.

import { attentionPatterns, headScores, inductionScores, tokenSources } from '../../inspect/attention.js';
import { encodePrompt, resolvePosition, tokenLabel, visible } from '../../inspect/prompt.js';
import { grid } from '../../inspect/render/terminal.js';
import { heatmapSvg } from '../../inspect/render/svg.js';
import { htmlPage } from '../../inspect/render/html.js';
import { MODEL_OPTIONS, loadModelAndTokenizer, numberOption, seedOption, useColor } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFile } from '../../io/output-dir.js';
import { refuseModelInputs } from '../output-path.js';

export const summary = 'attention patterns per layer and head, head scores (previous-token, BOS, induction), token sources';

const HELP = `usage: glasslm attention PROMPT [options]

Prints one head's pattern (rows: query positions, columns: keys), the per-head scores
(previous-token, first-token and induction), and with --query the attention of one position
to each earlier token per layer and head, and the attention rollout.

  --model M          model folder, .gguf or llama2.c .bin (default: the built-in model)
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)
  --layer L --head H the pattern to print (default 0, 0)
  --query POS        where position POS's information came from (--query=-1: the last)
  --induction-len N  random tokens repeated twice for the induction score (default 20)
  --seed S           seed of those random tokens (default 0)
  --no-bos           do not put BOS before the prompt
  --allow-special    read special-token text in the prompt (<|endoftext|>) as those tokens
  --no-color         plain text
  --json             print patterns, q/k/v, scores and sources as JSON
  --html PATH        write every layer and head's pattern, and the scores, as a page`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, layer: { type: 'string' }, head: { type: 'string' }, query: { type: 'string' }, 'induction-len': { type: 'string' },
    seed: { type: 'string' }, 'no-bos': { type: 'boolean' }, 'allow-special': { type: 'boolean' }, 'no-color': { type: 'boolean' }, json: { type: 'boolean' }, html: { type: 'string' },
  }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (values.html) {
    checkOutputFile(values.html, '--html'); // before any work
    refuseModelInputs('--html', values.html, values);
  }
  if (positionals.length === 0) throw new Error('give a prompt, e.g. glasslm attention "Once upon a time"');
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const ids = encodePrompt(tokenizer, positionals.join(' '), !values['no-bos'], values['allow-special']);
  const decode = tokenLabel(tokenizer);
  const L = model.config.layers, H = model.config.heads, T = ids.length;
  const layer = numberOption('layer', values.layer, 0), head = numberOption('head', values.head, 0);
  if (!Number.isInteger(layer) || layer < 0 || layer >= L) throw new Error(`--layer ${layer} is outside 0..${L - 1}`);
  if (!Number.isInteger(head) || head < 0 || head >= H) throw new Error(`--head ${head} is outside 0..${H - 1}`);
  const att = attentionPatterns(model, ids, { decode, qkv: !!values.json });
  const scores = headScores(att.patterns);
  const n = numberOption('induction-len', values['induction-len'], 20);
  if (!Number.isInteger(n) || n < 2 || 2 * n + 1 > model.config.contextLength) throw new Error(`--induction-len must be an integer from 2 to ${(model.config.contextLength - 1) >> 1}`);
  const induction = inductionScores(model, { n, seed: seedOption(values.seed, 0), bos: values['no-bos'] ? undefined : tokenizer.bos });
  let query: number | undefined;
  if (values.query !== undefined) {
    query = resolvePosition(numberOption('query', values.query, 0), T, '--query');
  }
  const sources = query === undefined ? undefined : tokenSources(att.patterns, query);
  const tokens = att.tokens!.map(visible);
  const headLabels = Array.from({ length: H }, (_, h) => `H${h}`), layerLabels = Array.from({ length: L }, (_, l) => `L${l}`);

  if (values.html) {
    const sections = [];
    const scoreMap = (title: string, m: number[][]) => ({ heading: title, svg: heatmapSvg({ title, rowLabels: layerLabels, colLabels: headLabels, values: m, text: m.map((r) => r.map((v) => v.toFixed(2))) }) });
    sections.push(scoreMap('previous-token score', scores.previousToken), scoreMap('first-token score', scores.firstToken), scoreMap(`induction score (${n} random tokens, repeated)`, induction.scores));
    if (sources) {
      for (let l = 0; l < L; l++) sections.push({ heading: `L${l}: attention from position ${query} (${JSON.stringify(att.tokens![query!])})`, svg: heatmapSvg({ title: `layer ${l}`, rowLabels: headLabels, colLabels: tokens.slice(0, query! + 1), values: sources.perHead[l] }) });
      sections.push({ heading: 'attention rollout', svg: heatmapSvg({ title: 'rollout', rowLabels: ['all'], colLabels: tokens.slice(0, query! + 1), values: [sources.rollout], text: [sources.rollout.map((v) => v.toFixed(2))] }) });
    }
    for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
      sections.push({ heading: `layer ${l}, head ${h}`, svg: heatmapSvg({ title: `L${l}H${h}`, rowLabels: tokens, colLabels: tokens, values: att.patterns[l][h], cell: 18 }) });
    }
    writeFileAtomic(values.html, htmlPage(`attention: ${positionals.join(' ')}`, sections));
  }
  if (values.json) {
    console.log(JSON.stringify({ ...att, scores: { ...scores, induction: induction.scores, inductionIds: induction.ids }, sources }));
    return 0;
  }
  const color = useColor(values['no-color']);
  const pct = (v: number) => ({ text: v < 0.005 ? '' : String(Math.round(v * 100)), value: v });
  console.log(`layer ${layer}, head ${head}: rows are queries, columns keys, numbers are percent`);
  console.log(grid(tokens, tokens, att.patterns[layer][head].map((row) => row.map(pct)), { width: 5, color }));
  const scoreGrid = (title: string, m: number[][]) => `\n${title}\n` + grid(layerLabels, headLabels, m.map((r) => r.map((v) => ({ text: v.toFixed(2), value: v }))), { width: 5, color });
  console.log(scoreGrid('previous-token score (mean attention to i-1)', scores.previousToken));
  console.log(scoreGrid('first-token score (mean attention to position 0)', scores.firstToken));
  console.log(scoreGrid(`induction score (${n} random tokens repeated; attention to the token after the earlier copy)`, induction.scores));
  if (sources) {
    console.log(`\nwhere position ${query} (${JSON.stringify(att.tokens![query!])}) reads from, per layer and head (percent)`);
    const rows: string[] = [], cells: { text: string; value: number }[][] = [];
    for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
      rows.push(`L${l}H${h}`);
      cells.push(sources.perHead[l][h].map(pct));
    }
    rows.push('rollout');
    cells.push(sources.rollout.map(pct));
    console.log(grid(rows, tokens.slice(0, query! + 1), cells, { width: 5, color }));
  }
  if (values.html) console.log(`\nwrote ${values.html}`);
  return 0;
}
