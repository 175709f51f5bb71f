// Where the time goes: wall time per backend kernel during greedy decode (and a prefill) of a
// GPT-2-small-shaped model, plus the time spent outside kernels (op front end, JS dispatch).
// usage: node dist/bench/profile.js [--threads N] [--dtype f32|q8_0] [--tokens 32] [--prompt 0]

import { parseArgs } from 'node:util';
import type { Backend } from '../src/backend/backend.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { generateIds } from '../src/generate/generate.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';

const { values } = parseArgs({ options: { threads: { type: 'string' }, dtype: { type: 'string', default: 'f32' }, tokens: { type: 'string', default: '32' }, prompt: { type: 'string', default: '0' } } });
process.stdout.on('error', () => process.exit(0)); // e.g. piped into head
const backend = await createWasmBackend({ threads: values.threads ? Number(values.threads) : undefined });

/** Wraps every function of the backend in place to add its wall time (ms) and call count to `table`. */
function instrument(b: Backend, table: Map<string, { ms: number; calls: number }>): void {
  const obj = b as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(obj)) {
    if (typeof fn !== 'function') continue;
    obj[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      try { return (fn as (...a: unknown[]) => unknown).apply(b, args); } finally {
        const e = table.get(name) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0; e.calls++; table.set(name, e);
      }
    };
  }
}

const table = new Map<string, { ms: number; calls: number }>();
setBackend(backend);
const model = Model.init({ arch: 'gpt2', vocabSize: 50257, contextLength: 1024, dim: 768, layers: 12, heads: 12, mlpHidden: 3072, normEps: 1e-5 }, new op.Rng(0));
if (values.dtype === 'q8_0') model.quantize('q8_0');
// warm up uninstrumented
for (const _ of generateIds(model, [50256], { temperature: 0, maxTokens: 4 }));
instrument(backend, table);
const P = Number(values.prompt);
let total: number, n: number;
if (P > 0) {
  const rng = new op.Rng(1);
  const ids = Int32Array.from({ length: P }, () => rng.int(50257));
  const t0 = performance.now();
  noGrad(() => tidy(() => model.forward(op.tensor(ids, [1, P]), { kvCache: model.createKVCache(1, P), lastPositionOnly: true }).logits));
  total = performance.now() - t0; n = P;
} else {
  n = Number(values.tokens);
  let t0 = 0, count = 0;
  table.clear();
  for (const _ of generateIds(model, [50256], { temperature: 0, maxTokens: n + 1 })) if (count++ === 0) { t0 = performance.now(); table.clear(); }
  total = performance.now() - t0;
}
const rows = [...table].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((s, [, e]) => s + e.ms, 0);
console.log(`${backend.notes}; ${values.dtype}; ${P > 0 ? `prefill of ${P} tokens` : `${n} decoded tokens`}: ${total.toFixed(1)} ms (${(P > 0 ? total : total / n).toFixed(2)} ms ${P > 0 ? 'total' : 'per token'})`);
for (const [name, e] of rows) console.log(`  ${name.padEnd(22)} ${(e.ms / (P > 0 ? 1 : n)).toFixed(3).padStart(8)} ms  ${String(Math.round(e.calls / (P > 0 ? 1 : n))).padStart(5)} calls  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%`);
console.log(`  ${'outside kernels'.padEnd(22)} ${((total - inKernels) / (P > 0 ? 1 : n)).toFixed(3).padStart(8)} ms              ${((100 * (total - inKernels)) / total).toFixed(1).padStart(5)}%`);
model.dispose();
backend.dispose();
