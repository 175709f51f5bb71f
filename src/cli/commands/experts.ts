// `glasslm experts`: which experts a mixture-of-experts model chooses over a text, per layer.

import { readFileSync } from 'node:fs';
import { expertUsage } from '../../inspect/experts.js';
import { encodePrompt, tokenLabel, visible } from '../../inspect/prompt.js';
import { grid } from '../../inspect/render/terminal.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, useColor } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'expert usage of a mixture-of-experts model: how often each expert is chosen per layer, and which tokens go where';

const HELP = `usage: glasslm experts TEXT [options]   (or --file PATH)

For every layer: the share of tokens that chose each expert and the routing weight it received;
then, per token, the experts it was sent to (heaviest first).

  --model M          model folder or .gguf with a mixture of experts (Mixtral, Qwen2-MoE)
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --file PATH        read the text from a file
  --tokens N         tokens to show per layer in the routing table (default 24)
  --no-bos           do not put BOS before the text
  --allow-special    read special-token text in the prompt (<|endoftext|>) as those tokens
  --no-color         plain text grid
  --json             print the usage as JSON`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...MODEL_OPTIONS, file: { type: 'string' }, tokens: { type: 'string' }, 'no-bos': { type: 'boolean' }, 'allow-special': { type: 'boolean' }, 'no-color': { type: 'boolean' }, json: { type: 'boolean' } }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const shown = intOption('tokens', values.tokens, 24, 1); // before any work
  const text = values.file ? readFileSync(values.file, 'utf8') : positionals.join(' ');
  if (!text) throw new Error('give a text, e.g. glasslm experts --model M "Once upon a time", or --file PATH');
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const ids = encodePrompt(tokenizer, text, !values['no-bos'], values['allow-special']); // longer than the context: the model says so
  const usage = expertUsage(model, ids, { decode: tokenLabel(tokenizer) });
  if (values.json) {
    console.log(JSON.stringify(usage));
    return 0;
  }
  const color = useColor(values['no-color']);
  const E = usage.experts;
  console.log(`${usage.ids.length} tokens, ${E} experts per layer, ${usage.expertsPerToken} per token; share of tokens choosing each expert:`);
  const cols = Array.from({ length: E }, (_, e) => `E${e}`);
  console.log(grid(usage.layers.map((l) => `L${l.layer}`), cols, usage.layers.map((l) => l.share.map((s) => ({ text: `${Math.round(100 * s)}%`, value: s / usage.expertsPerToken }))), { width: 6, color }));
  const tokens = usage.layers[0].tokens.slice(0, shown);
  console.log('\nexperts per token (heaviest first), by layer:');
  console.log(grid(usage.layers.map((l) => `L${l.layer}`), tokens.map((t) => visible(t.token ?? `#${t.id}`)),
    usage.layers.map((l) => l.tokens.slice(0, shown).map((t) => ({ text: t.experts.map((x) => x.expert).join(','), value: t.experts[0]?.weight ?? 0 }))), { width: 8, color }));
  return 0;
}
