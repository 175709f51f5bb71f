// `glasslm forward`: run one forward pass and save the logits and every hidden state.

import { writeSafetensors } from '../../io/safetensors.js';
import * as op from '../../ops/index.js';
import { noGrad } from '../../tensor/engine.js';
import { parseCommand } from '../parse.js';
import { loadModel } from '../../node.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFile } from '../../io/output-dir.js';
import { refuseInputAsOutput } from '../output-path.js';

export const summary = 'run a forward pass on token ids and save logits and hidden states (safetensors)';

const HELP = `usage: glasslm forward --model <dir|file> --ids 1,5,9 [--save out.safetensors]

Runs the model on the ids and prints the top next-token predictions. With --save, writes
'logits' [1, T, vocab] and 'hidden_states.0' … 'hidden_states.N' [1, T, d_model] (the
embedding output, each block's output, the last after the final norm, as transformers does).`;

/** Parses "1,5,9" into ids, refusing anything that is not a non-negative integer. */
export function parseIds(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // a trailing comma is harmless
  if (parts.length === 1 && parts[0] === '') throw new Error('--ids is empty');
  const gap = parts.indexOf('');
  if (gap >= 0) throw new Error(`--ids: entry ${gap + 1} is empty ('${text}'): a token id is missing between commas`);
  return parts.map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`--ids: '${s}' is not a token id (expected non-negative integers separated by commas)`);
    return Number(s);
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { model: { type: 'string' }, ids: { type: 'string' }, save: { type: 'string' } }, HELP, { positionals: false });
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.save) checkOutputFile(values.save, '--save'); // before any work
  if (!values.model) throw new Error('--model is required (a Hugging Face model folder, a .gguf or a llama2.c .bin)');
  if (values.save) refuseInputAsOutput('--save', values.save, { '--model': values.model }, 'file');
  if (!values.ids) throw new Error('--ids is required, e.g. --ids 1,5,9');
  const ids = parseIds(values.ids);
  const model = loadModel(values.model);
  const { vocabSize, contextLength } = model.config;
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) throw new Error(`token id ${bad} is outside the vocabulary of ${vocabSize} tokens`);
  if (ids.length > contextLength) throw new Error(`${ids.length} ids exceed the context window of ${contextLength} tokens`);
  const out = noGrad(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length]), { hiddenStates: true }));
  const V = out.logits.shape[2];
  const last = out.logits.data().subarray((ids.length - 1) * V);
  const top = [...last.keys()].sort((a, b) => last[b] - last[a]).slice(0, 5);
  console.log(`${model.config.arch} model, ${ids.length} tokens; top next tokens: ${top.map((t) => `${t} (${last[t].toFixed(3)})`).join(', ')}`);
  if (values.save) {
    const tensors = [{ name: 'logits', shape: [...out.logits.shape], data: out.logits.data() as Float32Array }];
    out.hiddenStates!.forEach((h, i) => tensors.push({ name: `hidden_states.${i}`, shape: [...h.shape], data: h.data() as Float32Array }));
    writeFileAtomic(values.save, writeSafetensors(tensors));
    console.log(`wrote logits and ${out.hiddenStates!.length} hidden states to ${values.save}`);
  }
  return 0;
}
