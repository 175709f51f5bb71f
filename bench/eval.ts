// `glasslm eval` speed on the built-in model (its batched forward with a loss: windows of 256
// tokens, 8 at a time) in tokens/s and achieved GFLOP/s, beside the matmul rate (512³) on the
// same threads measured in the same run; --profile adds the time per kernel.
// usage: node dist/bench/eval.js [--tokens 16384] [--threads N] [--profile]

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { parameterCounts } from '../src/models/load.js';
import { loadModel, loadTokenizer } from '../src/node.js';
import { setBackend } from '../src/tensor/engine.js';
import { evaluateIds } from '../src/train/evaluate.js';
import { instrument, kernelMs, type KernelTable } from './instrument.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '16384' }, threads: { type: 'string' }, profile: { type: 'boolean', default: false } } });
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'models', 'builtin');
const corpus = join(root, '..', 'shared', 'data', 'corpora', 'tinystories-2MiB.txt');
const backend = await createWasmBackend({ threads: values.threads ? Number(values.threads) : undefined });
setBackend(backend);
const model = loadModel(dir);
const tokenizer = loadTokenizer(join(dir, 'tokenizer.json'));
const text = existsSync(corpus) ? readFileSync(corpus, 'utf8').slice(-400_000) : 'Once upon a time there was a little girl. '.repeat(4000);
const ids = Int32Array.from(tokenizer.encode(text, { allowedSpecial: 'all' })).subarray(0, Number(values.tokens) + 1);

// forward FLOPs per token: 2 per weight multiply-add (every matrix and the head) + attention (q·k and p·v over ~T/2 keys)
const c = model.config;
const counts = parameterCounts(c);
const T = c.contextLength;
const attnHeadDim = c.arch === 'llama' ? c.headDim * c.heads : c.dim;
const flopsPerToken = 2 * (counts.attention + counts.mlp + c.vocabSize * c.dim) + 2 * 2 * (T / 2) * attnHeadDim * c.layers;

evaluateIds(model, ids.subarray(0, 2 * T + 1)); // warm-up
const table: KernelTable = new Map();
if (values.profile) instrument(backend, table);
const t0 = performance.now();
const { tokens, totalLoss } = evaluateIds(model, ids);
const s = (performance.now() - t0) / 1000;

// the matmul rate on the same threads, same run
const n = 512;
const A = backend.alloc('float32', n * n) as Float32Array, B = backend.alloc('float32', n * n) as Float32Array, C = backend.alloc('float32', n * n) as Float32Array;
A.fill(0.5); B.fill(0.25);
const mm = () => backend.matmul(A, B, C, { batch: 1, m: n, n, k: n, transA: false, transB: false, strideA: 0, strideB: 0, accumulate: false });
mm(); mm();
const times: number[] = [];
for (let r = 0; r < 9; r++) { const t = performance.now(); mm(); times.push(performance.now() - t); }
const matmulGflops = (2 * n ** 3) / (times.sort((a, b) => a - b)[4] / 1000) / 1e9;
const gflops = (tokens * flopsPerToken) / s / 1e9;
console.log(JSON.stringify({ workload: 'glasslm eval, built-in model', backend: backend.notes, tokens, loss: totalLoss / tokens, tokens_per_s: Math.round(tokens / s), gflops: +gflops.toFixed(1), matmul_512_gflops: +matmulGflops.toFixed(1), fraction_of_matmul: +(gflops / matmulGflops).toFixed(2) }));
if (values.profile) {
  const total = s * 1000;
  for (const [name, e] of [...table].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) console.log(`  ${name.padEnd(22)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(6)} calls ${((100 * e.ms) / total).toFixed(1).padStart(5)}%`);
  console.log(`  ${'outside kernels'.padEnd(22)} ${(total - kernelMs(table)).toFixed(1).padStart(8)} ms`);
}
backend.dispose();
