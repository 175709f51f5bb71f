// `glasslm eval`: loss per token and bits per byte of a model on a text file; multiple-choice
// accuracy by log-likelihood; the loss on a fine-tuning file's completions.

import { existsSync, readFileSync } from 'node:fs';
import { resolveChatTemplate } from '../../chat/load.js';
import { parseLoraSpec } from '../../lora/files.js';
import { completionLoss, parseChoiceQuestions, scoreChoices } from '../../sft/evaluate.js';
import { parseSftText } from '../../sft/records.js';
import { evaluateDocuments } from '../../train/evaluate-documents.js';
import { evaluateText } from '../../train/evaluate.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, numberOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'loss and bits per byte on a text file; multiple-choice accuracy (--choices); loss on SFT completions (--sft)';

const HELP = `usage: glasslm eval (--file F [--documents] | --choices Q.jsonl | --sft DATA) [--model M] [--tokenizer T] [--lora DIR[:S]] [--json]

  --file F           loss per token and bits per byte of a text (--context N, --val-fraction X: only
                     the last X of the tokens, as train holds out)
  --documents        with --file: score each document (stories separated by <|endoftext|>) from the
                     model's own document start (BOS), bits per byte over the stories' text only;
                     --val-fraction X: only the documents train holds out (those starting in the last X)
  --choices Q.jsonl  multiple choice: {"question", "choices": [...], "answer": index} per line; each
                     choice scored by its log-likelihood after the question; accuracy reported (and
                     per-character accuracy, which does not favour short choices)
  --sft DATA         the mean loss on the assistant's (completion's) tokens of a fine-tuning file
                     (messages / Alpaca / prompt-completion), rendered with --template (as chat picks it)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, file: { type: 'string' }, choices: { type: 'string' }, sft: { type: 'string' }, template: { type: 'string' },
    context: { type: 'string' }, 'val-fraction': { type: 'string' }, documents: { type: 'boolean' }, json: { type: 'boolean' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const { values } = parsed;
  const modes = [values.file, values.choices, values.sft].filter((x) => x !== undefined).length;
  if (modes !== 1) throw new Error('give one of --file, --choices or --sft');
  if (values.documents && values.file === undefined) throw new Error('--documents goes with --file');
  if (values.choices !== undefined) {
    if (!existsSync(values.choices)) throw new Error(`file '${values.choices}' does not exist`);
    const questions = parseChoiceQuestions(readFileSync(values.choices, 'utf8'), values.choices);
    const { model, tokenizer } = loadModelAndTokenizer(values);
    const r = scoreChoices(model, tokenizer, questions);
    if (values.json) console.log(JSON.stringify({ file: values.choices, questions: r.questions, accuracy: r.accuracy, accuracy_per_char: r.accuracyPerChar }));
    else console.log(`${values.choices}: ${r.questions} questions; accuracy ${(100 * r.accuracy).toFixed(1)}% (per-character ${(100 * r.accuracyPerChar).toFixed(1)}%)`);
    return 0;
  }
  if (values.sft !== undefined) {
    if (!existsSync(values.sft)) throw new Error(`file '${values.sft}' does not exist`);
    const examples = parseSftText(readFileSync(values.sft, 'utf8'), values.sft);
    const { model, tokenizer, modelPath } = loadModelAndTokenizer(values);
    const { template, source } = resolveChatTemplate({ choice: values.template, adapterDir: values.lora ? parseLoraSpec(values.lora).dir : undefined, modelPath, tokenizer });
    const r = completionLoss(model, tokenizer, template, examples);
    if (values.json) console.log(JSON.stringify({ file: values.sft, template: source, examples: r.examples, tokens: r.tokens, loss_per_token: r.loss, truncated: r.truncated, dropped: r.dropped }));
    else {
      const cut = (r.truncated ? `; ${r.truncated} cut to ${model.contextLength} tokens` : '') + (r.dropped ? `; ${r.dropped} dropped (nothing left to score after the cut)` : '');
      console.log(`${values.sft}: ${r.examples} examples, ${r.tokens.toLocaleString('en-US')} completion tokens${cut}; loss ${r.loss.toFixed(4)} nats/token (template: ${source})`);
    }
    return 0;
  }
  if (!values.file) throw new Error('--file is required');
  if (!existsSync(values.file)) throw new Error(`file '${values.file}' does not exist`);
  if (values.context !== undefined) intOption('context', values.context, 0, 1);
  const fraction = numberOption('val-fraction', values['val-fraction'], 1);
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`--val-fraction must be in (0, 1], got '${values['val-fraction']}'`);
  const { model, tokenizer } = loadModelAndTokenizer(values);
  const context = intOption('context', values.context, model.contextLength, 1);
  if (values.documents) {
    const d = evaluateDocuments(model, tokenizer, readFileSync(values.file, 'utf8'), context, fraction);
    if (values.json) console.log(JSON.stringify({ file: values.file, documents: d.documents, tokens: d.tokens, bytes: d.bytes, loss_per_token: d.lossPerToken, bits_per_byte: d.bitsPerByte }));
    else console.log(`${values.file}: ${d.documents.toLocaleString('en-US')} documents, ${d.tokens.toLocaleString('en-US')} tokens, ${d.bytes.toLocaleString('en-US')} bytes; loss ${d.lossPerToken.toFixed(4)} nats/token, ${d.bitsPerByte.toFixed(4)} bits/byte`);
    return 0;
  }
  // the file's bytes, so bits per byte count them (not a re-encoding of replaced invalid UTF-8)
  const r = evaluateText(model, tokenizer, new Uint8Array(readFileSync(values.file)), context, fraction);
  if (values.json) console.log(JSON.stringify({ file: values.file, tokens: r.tokens, bytes: r.bytes, loss_per_token: r.lossPerToken, bits_per_byte: r.bitsPerByte }));
  else console.log(`${values.file}: ${r.tokens.toLocaleString('en-US')} tokens, ${r.bytes.toLocaleString('en-US')} bytes; loss ${r.lossPerToken.toFixed(4)} nats/token, ${r.bitsPerByte.toFixed(4)} bits/byte`);
  return 0;
}
