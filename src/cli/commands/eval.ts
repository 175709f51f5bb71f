// `glasslm eval`: loss per token and bits per byte of a model on a text file.

import { existsSync, readFileSync } from 'node:fs';
import { evaluateText } from '../../train/evaluate.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, numberOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'report loss per token and bits per byte on a text file';

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...MODEL_OPTIONS, file: { type: 'string' }, context: { type: 'string' }, 'val-fraction': { type: 'string' }, json: { type: 'boolean' } },
    'usage: glasslm eval --file F [--model M] [--tokenizer T] [--context N] [--val-fraction X (only the last X of the tokens, as train holds out)] [--json]',
    { positionals: false });
  if (!parsed) return 0;
  const { values } = parsed;
  if (!values.file) throw new Error('--file is required');
  if (!existsSync(values.file)) throw new Error(`file '${values.file}' does not exist`);
  if (values.context !== undefined) intOption('context', values.context, 0, 1);
  const fraction = numberOption('val-fraction', values['val-fraction'], 1);
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`--val-fraction must be in (0, 1], got '${values['val-fraction']}'`);
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const context = intOption('context', values.context, model.contextLength, 1);
  // the file's bytes, so bits per byte count them (not a re-encoding of replaced invalid UTF-8)
  const r = evaluateText(model, tokenizer, new Uint8Array(readFileSync(values.file)), context, fraction);
  if (values.json) console.log(JSON.stringify({ file: values.file, tokens: r.tokens, bytes: r.bytes, loss_per_token: r.lossPerToken, bits_per_byte: r.bitsPerByte }));
  else console.log(`${values.file}: ${r.tokens.toLocaleString('en-US')} tokens, ${r.bytes.toLocaleString('en-US')} bytes; loss ${r.lossPerToken.toFixed(4)} nats/token, ${r.bitsPerByte.toFixed(4)} bits/byte`);
  return 0;
}
