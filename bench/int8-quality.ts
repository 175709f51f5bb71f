// The quality cost of int8: validation loss (nats/token) of the built-in model and stories260K at
// float32, with weight-only int8 (Q8_0 weights, activations rounded to int16 per block of 32) and
// int8 × int8 (activations rounded to int8 per block, llama.cpp's Q8_0 path), computed token by
// token through the decode step (where the int8 decode products run; a batched forward expands
// int8 weights to float instead). Text: the last 5% of tinystories-2MiB.txt (the validation split
// `glasslm eval --val-fraction 0.05` reads), the first --tokens of it, in windows of the context.
// usage: node dist/bench/int8-quality.js [--tokens 4096]

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { loadModel, loadTokenizer } from '../src/node.js';
import { setBackend } from '../src/tensor/engine.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '4096' } } });
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = join(root, '..', 'shared', 'data', 'corpora', 'tinystories-2MiB.txt');
const stories = join(root, '..', 'shared', 'data', 'models', 'stories260K');
const models = [
  { name: 'built-in model', model: join(root, 'models', 'builtin'), tokenizer: join(root, 'models', 'builtin', 'tokenizer.json') },
  { name: 'stories260K', model: join(stories, 'stories260K.bin'), tokenizer: join(stories, 'tok512.bin') },
];
if (!existsSync(corpus)) { console.log(JSON.stringify({ skipped: `${corpus} is absent` })); process.exit(0); }
const text = readFileSync(corpus, 'utf8');
const settings = [
  { label: 'f32', quantize: false, int8Activations: false },
  { label: 'q8_0 weights, int16 activations', quantize: true, int8Activations: false },
  { label: 'q8_0 weights, int8 activations (int8 × int8)', quantize: true, int8Activations: true },
];

for (const m of models) {
  if (!existsSync(m.model)) { console.log(JSON.stringify({ model: m.name, skipped: 'absent' })); continue; }
  const tokenizer = loadTokenizer(m.tokenizer);
  const all = tokenizer.encode(text, { allowedSpecial: 'all' });
  const ids = all.slice(Math.floor(all.length * 0.95)).slice(0, Number(values.tokens) + 1);
  const result: Record<string, number> = {};
  for (const s of settings) {
    const backend = await createWasmBackend({ threads: 1, int8Activations: s.int8Activations }).catch((e: Error) => e);
    if (backend instanceof Error) { result[s.label] = NaN; console.error(`${s.label}: ${backend.message}`); continue; }
    setBackend(backend);
    const model = loadModel(m.model);
    if (s.quantize) model.quantize('q8_0');
    const T = model.contextLength;
    let total = 0, count = 0;
    for (let start = 0; start + 1 < ids.length; start += T) {
      const cache = model.createKVCache(1);
      const step = model.decodeStep(cache)!;
      for (let t = start; t + 1 < ids.length && t < start + T; t++) {
        step.run(ids[t]);
        total -= step.logProbs[ids[t + 1]];
        count++;
      }
      cache.dispose();
    }
    result[s.label] = +(total / count).toFixed(5);
    model.dispose();
    backend.dispose();
  }
  console.log(JSON.stringify({ model: m.name, tokens: ids.length - 1, validation_loss: result }));
}
