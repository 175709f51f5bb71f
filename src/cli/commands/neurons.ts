// `glasslm neurons`: the most active MLP neurons at a position, or one neuron's top contexts in a corpus.

import { existsSync, readFileSync } from 'node:fs';
import { neuronContexts, topNeurons } from '../../inspect/neurons.js';
import { encodePrompt, resolvePosition, tokenLabel, visible } from '../../inspect/prompt.js';
import { barChart, shade } from '../../inspect/render/terminal.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, numberOption, useColor } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'MLP neurons: the most active at a position, or one neuron\'s top contexts in a corpus';

const HELP = `usage: glasslm neurons PROMPT [options]            the most active neurons (mlp.hook_post)
       glasslm neurons --neuron L.N --file F [options]  where neuron N of layer L fires most in F

  --model M          model folder, .gguf or llama2.c .bin (default: the built-in model)
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)
  --position POS     position in the prompt (default the last; --position=-2 counts from the end)
  --layer L          only this layer
  --top K            neurons or contexts to show (default 10 / 5)
  --neuron L.N       the neuron to look up in --file
  --file F           a text corpus
  --max-tokens N     read at most N tokens of the corpus (default 20000)
  --window W         tokens shown either side of the maximum (default 8)
  --allow-special    read special-token text in the prompt (<|endoftext|>) as those tokens
  --no-color         plain text
  --json             print the result as JSON`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, position: { type: 'string' }, layer: { type: 'string' }, top: { type: 'string' }, neuron: { type: 'string' },
    file: { type: 'string' }, 'max-tokens': { type: 'string' }, window: { type: 'string' }, 'no-color': { type: 'boolean' },
    json: { type: 'boolean' }, 'allow-special': { type: 'boolean' },
  }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const decode = tokenLabel(tokenizer);
  if (values.neuron !== undefined || values.file !== undefined) {
    if (values.neuron === undefined || values.file === undefined) throw new Error('give both --neuron L.N and --file F');
    const m = /^(\d+)\.(\d+)$/.exec(values.neuron);
    if (!m) throw new Error(`--neuron '${values.neuron}' should be LAYER.NEURON, e.g. 2.17`);
    if (!existsSync(values.file)) throw new Error(`file '${values.file}' does not exist`);
    const text = readFileSync(values.file, 'utf8');
    const maxTokens = intOption('max-tokens', values['max-tokens'], 20000, 2, 10_000_000);
    // line by line: encoding one long string costs more than linear time in the tokenizer
    const ids: number[] = [];
    for (const line of text.split('\n')) {
      if (ids.length >= maxTokens) break;
      if (line.trim()) ids.push(...tokenizer.encodeOrdinary(line));
    }
    ids.length = Math.min(ids.length, maxTokens);
    if (ids.length === 0) throw new Error(`${values.file} has no text: no tokens to look for the neuron in`);
    const r = neuronContexts(model, ids, Number(m[1]), Number(m[2]), { k: intOption('top', values.top, 5, 1, 10000), window: intOption('window', values.window, 8, 0, 1000), decode });
    if (values.json) {
      console.log(JSON.stringify(r));
      return 0;
    }
    console.log(`neuron ${r.layer}.${r.neuron}: top contexts in ${r.tokensRead} tokens of ${values.file} (the max token in [brackets])`);
    const max = Math.max(...r.contexts.map((c) => c.value), 1e-9);
    for (const c of r.contexts) {
      const line = c.tokens!.map((t, i) => {
        const s = i === c.at ? `[${visible(t)}]` : visible(t);
        return shade(s, Math.max(0, c.activations[i]) / max, useColor(values['no-color']));
      }).join('');
      console.log(`${c.value.toFixed(3).padStart(8)}  ${line}`);
    }
    return 0;
  }
  if (positionals.length === 0) throw new Error('give a prompt, or --neuron L.N --file F');
  for (const f of ['max-tokens', 'window'] as const) if (values[f] !== undefined) throw new Error(`--${f} applies only to --neuron L.N --file F`);
  const ids = encodePrompt(tokenizer, positionals.join(' '), true, values['allow-special']);
  const position = values.position === undefined ? undefined : resolvePosition(numberOption('position', values.position, 0), ids.length, '--position');
  const r = topNeurons(model, ids, { position, layer: values.layer === undefined ? undefined : intOption('layer', values.layer, 0, 0), k: intOption('top', values.top, 10, 1, 10000), decode });
  if (values.json) {
    console.log(JSON.stringify(r));
    return 0;
  }
  console.log(`most active MLP neurons (mlp.hook_post) at position ${r.position} (${JSON.stringify(r.tokens![r.position])})`);
  console.log(barChart(r.neurons.map((n) => ({ label: `${n.layer}.${n.neuron}`, value: n.value }))));
  return 0;
}
