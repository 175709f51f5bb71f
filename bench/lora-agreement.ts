// llama.cpp as the peer for LoRA: the base model as GGUF plus our adapter exported as a GGUF LoRA
// file, run by llama.cpp (node-llama-cpp's `lora` option), against glasslm running the merged
// model. Prints one JSON line per model: max |logit difference| over a prompt, and whether a
// greedy continuation is identical. Bases: the built-in model (Llama family, trained) and a random
// GPT-2 (Conv1D names); adapters: random A and B on every linear layer.
// usage: sh scripts/install-llama-cpp.sh && npx tsc -p . && node dist/bench/lora-agreement.js [--tokens 20]

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateIds } from '../src/generate/generate.js';
import { createLora } from '../src/lora/adapter.js';
import { saveLoraGguf } from '../src/lora/files.js';
import { configFromHf } from '../src/models/config.js';
import { loadModel } from '../src/models/load-file.js';
import { Model } from '../src/models/model.js';
import { saveGgufModel } from '../src/models/save-file.js';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '20' } } });
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const peer = join(root, 'bench', 'peers', 'llama', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
if (!existsSync(peer)) {
  console.log(JSON.stringify({ skipped: `node-llama-cpp is not installed (${peer} is absent); run sh scripts/install-llama-cpp.sh` }));
  process.exit(0);
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const nlc: any = await import(pathToFileURL(peer).href);
const llama = await nlc.getLlama({ gpu: false, logLevel: 'error' });
const steps = Number(values.tokens);

async function llamaRun(base: string, adapter: string, prompt: number[], vocab: number): Promise<{ logits: Float32Array; greedy: number[] }> {
  const model = await llama.loadModel({ modelPath: base });
  const context = await model.createContext({
    contextSize: 128, batchSize: 128, threads: 1, lora: { adapters: [{ filePath: adapter, scale: 1 }] },
    flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
  });
  const seq = context.getSequence();
  const item = (t: number, last: boolean) => [t, { generateNext: { logits: !last, token: true, options: { temperature: 0 } } }];
  const out = await seq.controlledEvaluate(prompt.map((t) => item(t, false)));
  const logits = new Float32Array(prompt.length * vocab);
  prompt.forEach((_, i) => {
    for (const [tok, v] of out[i].next.logits as Map<number, number>) logits[i * vocab + tok] = v;
  });
  const greedy: number[] = [];
  let next: number = out[prompt.length - 1].next.token;
  for (let s = 0; s < steps; s++) {
    greedy.push(next);
    next = (await seq.controlledEvaluate([item(next, true)]))[0].next.token;
  }
  await context.dispose();
  await model.dispose();
  return { logits, greedy };
}

const tok = loadTokenizer(join(root, 'models', 'builtin', 'tokenizer.json'));
const prompt = tok.encode('Once upon a time, there was a little girl named Lily. She');
const dir = mkdtempSync(join(tmpdir(), 'glasslm-lora-llama-'));
try {
  const bases: [string, Model][] = [
    ['builtin (llama)', loadModel(join(root, 'models', 'builtin'))],
    ['gpt2 random', Model.init(configFromHf({ model_type: 'gpt2', vocab_size: tok.vocabSize, n_embd: 64, n_layer: 2, n_head: 4, n_positions: 128 }), new op.Rng(3))],
  ];
  for (const [label, model] of bases) {
    const basePath = join(dir, 'base.gguf'), adapterPath = join(dir, 'adapter.gguf');
    saveGgufModel(model, basePath, { tokenizer: tok });
    const adapter = createLora(model.config, { rank: 4, alpha: 8, dropout: 0, targets: 'all-linear' }, new op.Rng(1));
    const rng = new op.Rng(2);
    for (const l of adapter.layers.values()) { const b = l.B.floats(); for (let i = 0; i < b.length; i++) b[i] = rng.normal() * 0.05; }
    saveLoraGguf(adapter, adapterPath, model.config);
    const theirs = await llamaRun(basePath, adapterPath, prompt, model.config.vocabSize);
    const logitsOf = () => noGrad(() => tidy(() => model.forward(op.tensor(Int32Array.from(prompt), [1, prompt.length])).logits.data().slice() as Float32Array));
    const before = logitsOf(); // the base alone: how much the adapter moves the logits
    adapter.mergeInto(model);
    const mine = logitsOf();
    let maxDiff = 0, maxAbs = 0, adapterEffect = 0;
    for (let i = 0; i < mine.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(mine[i] - theirs.logits[i]));
      maxAbs = Math.max(maxAbs, Math.abs(mine[i]));
      adapterEffect = Math.max(adapterEffect, Math.abs(mine[i] - before[i]));
    }
    const greedy = [...generateIds(model, prompt, { temperature: 0, maxTokens: steps })].map((t) => t.id);
    let agree = 0;
    while (agree < steps && greedy[agree] === theirs.greedy[agree]) agree++;
    console.log(JSON.stringify({ model: label, promptTokens: prompt.length, maxLogitDiff: +maxDiff.toExponential(3), maxAbsLogit: +maxAbs.toFixed(2), adapterEffect: +adapterEffect.toFixed(3), greedyIdentical: agree === steps, greedyAgreeingPrefix: agree, greedyTokens: steps }));
    model.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await llama.dispose();
}
