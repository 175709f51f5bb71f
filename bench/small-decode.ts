// Greedy decode speed of small models (the built-in model, stories260K) at 1 thread, every core,
// and the default thread choice, with the time per token spent outside kernels (µs, --profile),
// and llama.cpp (node-llama-cpp, when installed) on the same weights as an F32 GGUF, 1 thread and
// every core, in the same run. Prints one JSON line per (model, threads) and per peer figure.
// usage: node dist/bench/small-decode.js [--tokens 128] [--models builtin,stories260K] [--threads 1,2,default] [--repeat 3] [--profile]

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { generateIds } from '../src/generate/generate.js';
import { loadModel, loadTokenizer, saveGgufModel } from '../src/node.js';
import { setBackend } from '../src/tensor/engine.js';
import { instrument, kernelMs, type KernelTable } from './instrument.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '128' }, models: { type: 'string', default: 'builtin,stories260K' }, threads: { type: 'string', default: `1,${cpus().length},default` }, repeat: { type: 'string', default: '3' }, profile: { type: 'boolean', default: false } } });
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SMALL_MODELS: Record<string, string> = {
  builtin: join(root, 'models', 'builtin'),
  stories260K: join(root, '..', 'shared', 'data', 'models', 'stories260K', 'stories260K.bin'),
};
/** Their tokenizers (llama.cpp needs one in the GGUF). */
const TOKENIZERS: Record<string, string> = {
  builtin: join(root, 'models', 'builtin', 'tokenizer.json'),
  stories260K: join(root, '..', 'shared', 'data', 'models', 'stories260K', 'tok512.bin'),
};
const N = Number(values.tokens);
const peerPath = join(root, 'bench', 'peers', 'llama', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
const nlc = existsSync(peerPath) ? await import(pathToFileURL(peerPath).href) : null;
const llama = nlc ? await nlc.getLlama({ gpu: false, logLevel: 'error' }) : null;
const dir = mkdtempSync(join(tmpdir(), 'glasslm-small-'));

/** llama.cpp's greedy decode tokens/s on a GGUF file (after a 1-token prompt), on `threads`. */
async function llamaCpp(path: string, threads: number): Promise<number> {
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: N + 8, batchSize: 8, threads });
  const seq = context.getSequence();
  const item = (t: number) => [t, { generateNext: { token: true, options: { temperature: 0 } } }];
  let r = await seq.controlledEvaluate([item(1)]);
  const t0 = performance.now();
  for (let s = 0; s < N; s++) r = await seq.controlledEvaluate([item(r[0].next.token)]);
  const rate = N / ((performance.now() - t0) / 1000);
  await context.dispose();
  await model.dispose();
  return rate;
}

for (const name of values.models!.split(',')) {
  const path = SMALL_MODELS[name];
  if (!path || !existsSync(path)) { console.log(JSON.stringify({ model: name, skipped: `not found: ${path}` })); continue; }
  // every thread setting loaded at once, then the settings take turns run by run, so that "the
  // default against the best fixed count" compares runs of the same moments of a noisy machine
  const settings = [];
  for (const t of values.threads!.split(',')) {
    const backend = await createWasmBackend({ threads: t === 'default' ? undefined : Number(t) });
    setBackend(backend);
    settings.push({ t, backend, model: loadModel(path), runs: [] as number[] });
  }
  for (let r = 0; r < Number(values.repeat); r++) {
    for (const s of settings) {
      setBackend(s.backend);
      let t0 = 0, count = 0;
      for (const _ of generateIds(s.model, [1], { temperature: 0, maxTokens: N + 1 })) if (count++ === 0) t0 = performance.now();
      s.runs.push(N / ((performance.now() - t0) / 1000));
    }
  }
  for (const { t, backend, model, runs } of settings) {
    let outsideUs = 0;
    if (values.profile) { // one more run with every kernel timed: the time per token outside them
      setBackend(backend);
      const table: KernelTable = new Map();
      instrument(backend, table);
      let t0 = 0, count = 0;
      for (const _ of generateIds(model, [1], { temperature: 0, maxTokens: N + 1 })) if (count++ === 0) { t0 = performance.now(); table.clear(); }
      outsideUs = ((performance.now() - t0 - kernelMs(table)) / N) * 1000;
    }
    console.log(JSON.stringify({ model: name, threads: t === 'default' ? `default (${backend.threads})` : Number(t), tokens_per_s: runs.map((x) => Math.round(x)), ...(values.profile ? { outside_kernels_us_per_token: Math.round(outsideUs) } : {}) }));
    model.dispose();
    backend.dispose();
  }
  if (llama) {
    const backend = await createWasmBackend({ threads: 1 });
    setBackend(backend);
    const model = loadModel(path);
    const gguf = join(dir, `${name}.gguf`);
    saveGgufModel(model, gguf, { dtype: 'f32', tokenizer: loadTokenizer(TOKENIZERS[name]) });
    model.dispose();
    backend.dispose();
    for (const t of [1, cpus().length]) {
      const runs: number[] = [];
      for (let r = 0; r < Number(values.repeat); r++) runs.push(Math.round(await llamaCpp(gguf, t)));
      console.log(JSON.stringify({ model: name, peer: 'llama.cpp (node-llama-cpp, F32 GGUF)', threads: t, tokens_per_s: runs }));
    }
  } else console.log(JSON.stringify({ model: name, peer: 'llama.cpp', skipped: 'not installed (sh scripts/install-llama-cpp.sh)' }));
}
rmSync(dir, { recursive: true, force: true });
