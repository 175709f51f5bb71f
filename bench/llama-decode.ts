// Decode and prefill speed on a GPT-2-small-shaped model (124M, random weights), glasslm against
// llama.cpp (node-llama-cpp) on the same GGUF file (F32 and Q8_0), with the machine's memory
// bandwidth read right before each of glasslm's decode runs, on the same threads. Decode is compared at each side's best thread count,
// prefill (a 512-token prompt) on all cores.
// usage: node dist/bench/llama-decode.js [--tokens 128] [--prompt 512] [--dtypes f32,q8_0] [--cpu] [--conv1d]
// --conv1d: F32 keeps GPT-2's (in, out) matrices as stored, instead of transposing them as `glasslm generate` does
// (128 decoded tokens by default: 32, a quarter of a second, left the thread comparisons to chance on a shared machine;
// each decode figure is the best of 3 runs, on both sides; glasslm's three settings, 1 thread, all cores and
// the default, take turns run by run, so that "the default against the best fixed count" compares runs of the same minutes)

import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type WasmBackend, createWasmBackend } from '../src/backend/wasm/index.js';
import { generateIds } from '../src/generate/generate.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import { loadModel, saveGgufModel, loadTokenizer } from '../src/node.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '128' }, prompt: { type: 'string', default: '512' }, dtypes: { type: 'string', default: 'f32,q8_0' }, cpu: { type: 'boolean', default: false }, conv1d: { type: 'boolean', default: false } } });
// --cpu: every time is the process's CPU time (all its threads) instead of wall time: on a busy
// shared machine the one-thread figures then leave out the time other work held the core
const clock = values.cpu ? () => (({ user, system }) => (user + system) / 1000)(process.cpuUsage()) : () => performance.now();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const peerPath = join(root, 'bench', 'peers', 'llama', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
const gpt2Tokenizer = join(root, '..', 'shared', 'data', 'tokenizers', 'gpt2');
const N = Number(values.tokens), P = Number(values.prompt), cores = cpus().length;
/** Decode runs per setting, each side: the best is reported (the least disturbed, as the bandwidth's best of 3). */
const RUNS = 3;
const rng = new op.Rng(1);
const prompt = Array.from({ length: P }, () => rng.int(50257));

/** One glasslm setting: a backend with its thread count (undefined: the default, all cores, each kernel on 1 or all of them by its work size) and the model loaded on it. */
interface Setting { backend: WasmBackend; model: Model; weightBytes: number; decode: number; prefill: number; shares: number[] }

async function glasslmSetting(path: string, dtype: string, threads: number | undefined): Promise<Setting> {
  const backend = await createWasmBackend(threads === undefined ? {} : { threads });
  setBackend(backend);
  if (threads === undefined) console.log(`  glasslm: ${backend.notes}`);
  const model = loadModel(path, { dtype: dtype as 'f32' | 'q8_0' }); // int8: quantized as read, as the CLI does
  if (dtype === 'f32' && !values.conv1d) model.transposeConv1D(); // as `glasslm generate` holds them
  let weightBytes = 0; // bytes read per decoded token: every matrix once (embeddings: one row)
  for (const [name, t] of model.params) if (!(dtype === 'q8_0' && model.quantized.has(name)) && !/wte|wpe/.test(name)) weightBytes += t.size * 4;
  for (const q of model.quantized.values()) weightBytes += q.bytes;
  for (const t of model.transposed.values()) weightBytes += t.size * 4;
  if (dtype !== 'q8_0') weightBytes += model.params.get('transformer.wte.weight')!.size * 4; // the tied head
  return { backend, model, weightBytes, decode: 0, prefill: 0, shares: [] };
}

/** A P-token prefill into a fresh KV cache; keeps the last of the calls (the first grows memory and fills caches, as llama.cpp does when it creates its context). */
function prefillRun(s: Setting): void {
  setBackend(s.backend);
  const cache = s.model.createKVCache(1, P);
  const t0 = clock();
  noGrad(() => tidy(() => s.model.forward(op.tensor(Int32Array.from(prompt), [1, P]), { kvCache: cache, lastPositionOnly: true }).logits));
  s.prefill = P / ((clock() - t0) / 1000);
  cache.dispose();
}

/**
 * A greedy decode run (after a 1-token prompt) right after a streaming read of the memory about as
 * long, on the same threads: its share of that rate (the memory's rate here drifts by a third
 * from one minute to the next, so a rate read once per process bounds nothing). Keeps the best run.
 */
function decodeRun(s: Setting, seconds: number): number {
  setBackend(s.backend);
  const gbps = bandwidth(s.backend, seconds);
  let t1 = 0, count = 0;
  for (const _ of generateIds(s.model, [50256], { temperature: 0, maxTokens: N + 1 })) if (count++ === 0) t1 = clock();
  const took = (clock() - t1) / 1000;
  s.decode = Math.max(s.decode, N / took);
  s.shares.push(((N / took) * s.weightBytes) / (gbps * 1e9));
  return took;
}

/**
 * glasslm on 1 thread, all cores and the default, measured in turns (each setting's prefill, then
 * RUNS rounds of one decode run each), so that the three see the same drift of the machine.
 */
async function glasslm(path: string, dtype: string): Promise<Setting[]> {
  const settings = [await glasslmSetting(path, dtype, 1), await glasslmSetting(path, dtype, cores), await glasslmSetting(path, dtype, undefined)];
  for (let run = 0; run < 2; run++) for (const s of settings) prefillRun(s);
  let seconds = 0.5;
  for (let run = 0; run < RUNS; run++) for (const s of settings) seconds = decodeRun(s, seconds);
  for (const s of settings) {
    s.shares.sort((a, b) => a - b);
    s.model.dispose();
    s.backend.dispose();
  }
  return settings;
}

/** llama.cpp through node-llama-cpp on the same file. */
async function llamaCpp(llama: any, path: string, threads: number): Promise<{ decode: number; prefill: number }> {
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: P + N + 8, batchSize: P, threads });
  const seq = context.getSequence();
  const item = (t: number) => [t, { generateNext: { token: true, options: { temperature: 0 } } }];
  let prefill = 0;
  for (let run = 0; run < 2; run++) { // the second of two runs, as for glasslm
    const t0 = clock();
    await seq.controlledEvaluate(prompt.map((t, i) => (i === P - 1 ? item(t) : t)));
    prefill = P / ((clock() - t0) / 1000);
    await seq.clearHistory();
  }
  let decode = 0;
  for (let run = 0; run < RUNS; run++) {
    let r = await seq.controlledEvaluate([item(50256)]);
    const t1 = clock();
    for (let s = 0; s < N; s++) r = await seq.controlledEvaluate([item(r[0].next.token)]);
    decode = Math.max(decode, N / ((clock() - t1) / 1000));
    await seq.clearHistory();
  }
  await context.dispose();
  await model.dispose();
  return { decode, prefill };
}

/**
 * Streaming-read bandwidth in GB/s from WebAssembly on the backend's threads: 512 MB read over
 * and over for `seconds` (at least 3 reads), the mean rate.
 */
function bandwidth(backend: WasmBackend, seconds: number): number {
  const x = backend.alloc('float32', 128 << 20) as Float32Array;
  x.fill(1);
  backend.streamSum(x);
  let reads = 0;
  const start = performance.now();
  for (; performance.now() - start < seconds * 1000 || reads < 3; reads++) backend.streamSum(x);
  const gbps = (reads * x.byteLength) / ((performance.now() - start) / 1000) / 1e9;
  backend.free(x);
  return gbps;
}

const dir = mkdtempSync(join(tmpdir(), 'glasslm-bench-'));
try {
  const tokenizer = existsSync(gpt2Tokenizer) ? loadTokenizer(gpt2Tokenizer) : undefined;
  const model = Model.init({ arch: 'gpt2', vocabSize: 50257, contextLength: 1024, dim: 768, layers: 12, heads: 12, mlpHidden: 3072, normEps: 1e-5 }, new op.Rng(0));
  const files: Record<string, string> = {};
  for (const dtype of values.dtypes!.split(',')) {
    files[dtype] = join(dir, `gpt2-small-${dtype}.gguf`);
    saveGgufModel(model, files[dtype], { dtype: dtype as 'f32' | 'q8_0', tokenizer });
  }
  model.dispose();
  const nlc = existsSync(peerPath) ? await import(pathToFileURL(peerPath).href) : null;
  const llama = nlc ? await nlc.getLlama({ gpu: false, logLevel: 'error' }) : null;
  if (!llama) console.log('  llama.cpp: not installed (sh scripts/install-llama-cpp.sh)');
  for (const [dtype, path] of Object.entries(files)) {
    const mb = statSync(path).size / 1e6;
    const [one, all, auto] = await glasslm(path, dtype);
    const ours = [one, all];
    const bestOurs = Math.max(ours[0].decode, ours[1].decode);
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`, shares = ours[1].shares;
    console.log(`  ${dtype.toUpperCase()} (${mb.toFixed(0)} MB): glasslm decode ${ours[0].decode.toFixed(1)} tok/s (1 thread), ${ours[1].decode.toFixed(1)} (${cores}); ` +
      `${(ours[0].weightBytes / 1e6).toFixed(0)} MB read per token; each ${cores}-thread run read weights at ${shares.map(pct).join(', ')} of the memory's streaming rate just before it (median ${pct(shares[1])}); prefill ${P}: ${ours[1].prefill.toFixed(0)} tok/s (1 thread: ${ours[0].prefill.toFixed(0)})`);
    console.log(`  ${dtype.toUpperCase()} glasslm default threads (by work size): decode ${auto.decode.toFixed(1)} tok/s (${(auto.decode / bestOurs).toFixed(2)}× the best fixed count), prefill ${auto.prefill.toFixed(0)} (${(auto.prefill / Math.max(ours[0].prefill, ours[1].prefill)).toFixed(2)}×)`);
    if (llama) {
      const peer = [await llamaCpp(llama, path, 1), await llamaCpp(llama, path, cores)];
      const bestPeer = Math.max(peer[0].decode, peer[1].decode);
      console.log(`  ${dtype.toUpperCase()} llama.cpp: decode ${peer[0].decode.toFixed(1)} tok/s (1 thread), ${peer[1].decode.toFixed(1)} (${cores}); prefill ${P}: ${peer[1].prefill.toFixed(0)} tok/s (1 thread: ${peer[0].prefill.toFixed(0)})` +
        ` → glasslm/llama.cpp: decode ${(bestOurs / bestPeer).toFixed(2)}× (1 thread: ${(ours[0].decode / peer[0].decode).toFixed(2)}×), prefill ${(ours[1].prefill / peer[1].prefill).toFixed(2)}× (1 thread: ${(ours[0].prefill / peer[0].prefill).toFixed(2)}×)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
