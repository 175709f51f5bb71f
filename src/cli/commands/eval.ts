// `glasslm eval`: loss per token and bits per byte of a model on a text file.

import { existsSync, readFileSync } from 'node:fs';
import { evaluateText } from '../../train/evaluate.js';
import { MODEL_OPTIONS, loadModelAndTokenizer, numberOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'report loss per token and bits per byte on a text file';

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...MODEL_OPTIONS, file: { type: 'string' }, context: { type: 'string' }, 'val-fraction': { type: 'string' }, json: { type: 'boolean' } },
    'usage: glasslm eval --file F [--model M] [--tokenizer T] [--lora DIR[:S]] [--context N] [--val-fraction X (only the last X of the tokens, as train holds out)] [--json]',
    { positionals: false });
  if (!parsed) return 0;
  const { values } = parsed;
  if (!values.file) throw new Error('--file is required');
  if (!existsSync(values.file)) throw new Error(`file '${values.file}' does not exist`);
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const context = numberOption('context', values.context, model.contextLength);
  const r = evaluateText(model, tokenizer, readFileSync(values.file, 'utf8'), context, numberOption('val-fraction', values['val-fraction'], 1));
  if (values.json) console.log(JSON.stringify({ file: values.file, tokens: r.tokens, bytes: r.bytes, loss_per_token: r.lossPerToken, bits_per_byte: r.bitsPerByte }));
  else console.log(`${values.file}: ${r.tokens.toLocaleString('en-US')} tokens, ${r.bytes.toLocaleString('en-US')} bytes; loss ${r.lossPerToken.toFixed(4)} nats/token, ${r.bitsPerByte.toFixed(4)} bits/byte`);
  return 0;
}
