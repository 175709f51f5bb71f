// llama.cpp as the peer: GGUF files written by glasslm are loaded by llama.cpp (through the npm
// package node-llama-cpp, installed by scripts/install-llama-cpp.sh into bench/peers/llama), and
// both run the same file: the logits at every position of a prompt and a greedy continuation.
// Prints one JSON line per file: max |logit difference|, and whether the greedy tokens are identical.
// llama.cpp keeps its KV cache in F16 by default (and its CPU flash attention works in F16); this
// compares with an F32 cache and flash attention off (--kv f16 for llama.cpp's defaults), so the
// F32 files show the agreement of the math itself. One thread: the models are tiny.
// usage: sh scripts/install-llama-cpp.sh && npx tsc -p . && node dist/bench/llama-agreement.js [--tokens 40] [--kv f32|f16]

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateIds } from '../src/generate/generate.js';
import type { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import { trainBpe } from '../src/tokenizer/index.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { readFileSync } from 'node:fs';
import { loadModel, saveGgufModel, loadTokenizer } from '../src/node.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '40' }, kv: { type: 'string', default: 'f32' } } });
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const peer = join(root, 'bench', 'peers', 'llama', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
const shared = process.env.GLASSLM_SHARED ?? join(root, '..', 'shared');
if (!existsSync(peer)) {
  console.log(JSON.stringify({ skipped: `node-llama-cpp is not installed (${peer} is absent); run sh scripts/install-llama-cpp.sh` }));
  process.exit(0);
}
if (!existsSync(join(shared, 'data', 'models', 'stories260K'))) {
  console.log(JSON.stringify({ skipped: `${shared} is absent (the models come from ../shared)` }));
  process.exit(0);
}

// node-llama-cpp is not a dependency, so it is typed loosely here
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const nlc: any = await import(pathToFileURL(peer).href);
const llama = await nlc.getLlama({ gpu: false, logLevel: 'error' });
const steps = Number(values.tokens);

/** glasslm's logits (T, V) for ids, from one forward pass over the whole sequence. */
function glassLogits(model: Model, ids: number[]): Float32Array {
  return noGrad(() => tidy(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length])).logits.data().slice() as Float32Array));
}

/** llama.cpp on the same file: the logits after each prompt token, then greedy tokens. */
async function llamaRun(path: string, prompt: number[], vocab: number): Promise<{ logits: Float32Array; greedy: number[] }> {
  const model = await llama.loadModel({ modelPath: path });
  const exact = values.kv !== 'f16';
  const context = await model.createContext({
    contextSize: 256, batchSize: 256, threads: 1,
    ...(exact ? { flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' } : {}),
  });
  const seq = context.getSequence();
  const logits = new Float32Array(prompt.length * vocab);
  const item = (t: number, temp: boolean) => [t, { generateNext: { logits: !temp, token: true, options: { temperature: 0 } } }];
  const out = await seq.controlledEvaluate(prompt.map((t) => item(t, false)));
  prompt.forEach((_, i) => {
    for (const [tok, v] of out[i].next.logits as Map<number, number>) logits[i * vocab + tok] = v;
  });
  const greedy: number[] = [];
  let next: number = out[prompt.length - 1].next.token;
  for (let s = 0; s < steps; s++) {
    greedy.push(next);
    const r = await seq.controlledEvaluate([item(next, true)]);
    next = r[0].next.token;
  }
  await context.dispose();
  await model.dispose();
  return { logits, greedy };
}

async function compare(label: string, path: string, prompt: number[]): Promise<void> {
  const model = loadModel(path); // glasslm reads the very file llama.cpp reads
  const V = model.config.vocabSize;
  const mine = glassLogits(model, prompt);
  const theirs = await llamaRun(path, prompt, V);
  let maxDiff = 0, maxAbs = 0;
  for (let i = 0; i < mine.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(mine[i] - theirs.logits[i]));
    maxAbs = Math.max(maxAbs, Math.abs(mine[i]));
  }
  const greedy = [...generateIds(model, prompt, { temperature: 0, maxTokens: steps })].map((t) => t.id);
  let agree = 0;
  while (agree < steps && greedy[agree] === theirs.greedy[agree]) agree++;
  console.log(JSON.stringify({ file: label, llamaKvCache: values.kv, promptTokens: prompt.length, maxLogitDiff: +maxDiff.toExponential(3), maxAbsLogit: +maxAbs.toFixed(2), greedyIdentical: agree === steps, greedyAgreeingPrefix: agree, greedyTokens: steps }));
  model.dispose();
}

const dir = mkdtempSync(join(tmpdir(), 'glasslm-llama-'));
try {
  // stories260K: the real llama2.c checkpoint with its SentencePiece-style vocabulary inside the GGUF
  const S = join(shared, 'data', 'models', 'stories260K');
  const stories = loadModel(join(S, 'stories260K.bin'));
  const tok: Tokenizer = loadTokenizer(join(S, 'tok512.bin'));
  const storyPrompt = [1, ...tok.encode('Once upon a time, there was a')];
  for (const dtype of ['f32', 'f16', 'q8_0'] as const) {
    const path = join(dir, `stories260K-${dtype}.gguf`);
    saveGgufModel(stories, path, { dtype, tokenizer: tok });
    await compare(`stories260K ${dtype}`, path, storyPrompt);
  }
  // GPT-2 tiny (random weights): llama.cpp needs a vocabulary, so a 512-token byte-level BPE is
  // trained on Tiny Shakespeare for it (the ids are what is compared, not the text)
  const gpt2 = loadModel(join(shared, 'reference', 'gpt2-tiny'));
  const text = readFileSync(join(shared, 'data', 'corpora', 'tinyshakespeare.txt'), 'utf8').slice(0, 30_000);
  const t0 = performance.now();
  const bpe = trainBpe(text, { vocabSize: 512, specialTokens: ['<|endoftext|>'] });
  console.error(`(trained the 512-token BPE in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const gptPrompt = Array.from({ length: 24 }, (_, i) => (i * 97 + 13) % 511);
  for (const dtype of ['f32', 'q8_0'] as const) {
    const path = join(dir, `gpt2-tiny-${dtype}.gguf`);
    saveGgufModel(gpt2, path, { dtype, tokenizer: bpe });
    await compare(`gpt2-tiny ${dtype}`, path, gptPrompt);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await llama.dispose();
}
