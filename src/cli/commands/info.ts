// `glasslm info`: what a model is: architecture, parameters by component, context, vocabulary, file.

import { parameterCounts } from '../../models/load.js';
import type { Model } from '../../models/model.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { loadModelAndTokenizer } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { describeCheckpoint, loadModel, loadTokenizer } from '../../node.js';

export const summary = 'describe a model: architecture, parameters by component, context, vocabulary, file size, dtype';

const HELP = `usage: glasslm info [--model M] [--tokenizer T] [--json]

  --model M       model folder, .gguf or llama2.c .bin (default: the built-in model)
  --tokenizer T   tokenizer to describe with it (default: the one the model carries, if any)
  --json          print one JSON object instead of text`;

/** The model's own tokenizer, when its file carries one (a GGUF vocabulary, a folder's tokenizer.json). */
function ownTokenizer(path: string): Tokenizer | undefined {
  try {
    return loadTokenizer(path);
  } catch {
    return undefined;
  }
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { model: { type: 'string' }, tokenizer: { type: 'string' }, json: { type: 'boolean' } }, HELP, { positionals: false });
  if (!parsed) return 0;
  const { values } = parsed;
  let model: Model, tokenizer: Tokenizer | undefined, modelPath: string;
  if (values.model) {
    modelPath = values.model;
    model = loadModel(modelPath);
    tokenizer = values.tokenizer ? loadTokenizer(values.tokenizer) : ownTokenizer(modelPath);
  } else {
    ({ model, tokenizer, modelPath } = loadModelAndTokenizer(values));
  }
  const c = model.config;
  const file = describeCheckpoint(modelPath);
  const counts = parameterCounts(c);
  const shape = model.family.info(c);
  const info = {
    path: modelPath, architecture: c.arch, ...shape, context_length: c.contextLength, vocab_size: c.vocabSize,
    parameters: counts, format: file.format, file_bytes: file.fileBytes, dtypes: file.dtypes,
    tokenizer: tokenizer ? tokenizer.description : null,
  };
  if (values.json) {
    console.log(JSON.stringify(info));
    return 0;
  }
  const n = (x: number) => x.toLocaleString('en-US');
  const pct = (x: number) => `${((100 * x) / counts.total).toFixed(1)}%`;
  const lines = [
    `${modelPath}`,
    `  architecture    ${c.arch}: ${Object.entries(shape).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`).join(', ')}`,
    `  context length  ${n(c.contextLength)} tokens`,
    `  vocabulary      ${n(c.vocabSize)} tokens${tokenizer ? ` (tokenizer: ${tokenizer.description})` : ' (no tokenizer in the model file)'}`,
    `  parameters      ${n(counts.total)}`,
    ...(['embeddings', 'attention', 'mlp', 'norms', 'head'] as const).map((k) => `    ${k.padEnd(12)}  ${n(counts[k]).padStart(14)}  ${pct(counts[k]).padStart(6)}${k === 'head' && counts.head === 0 ? '  (tied to the embeddings)' : ''}`),
    `  file            ${file.format}, ${human(file.fileBytes)} (${n(file.fileBytes)} bytes)`,
    `  dtype           ${Object.entries(file.dtypes).map(([t, k]) => (k === null ? t : `${t} (${n(k)} values)`)).join(', ')}`,
  ];
  console.log(lines.join('\n'));
  return 0;
}
