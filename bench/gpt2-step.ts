// Times one forward and one forward+backward pass of a GPT-2-small-shaped model
// (12 layers, width 768, 12 heads, vocab 50257, random weights) on batch 1 × 128 tokens.
// usage: node dist/bench/gpt2-step.js [--backend auto|cpu|wasm] [--threads N] [--tokens 128]

import { parseArgs } from 'node:util';
import { backward } from '../src/autograd/backward.js';
import { Model, nextTokenTargets } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import { selectBackend } from '../src/backend/select.js';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, threads: { type: 'string' }, tokens: { type: 'string', default: '128' }, repeats: { type: 'string', default: '3' } } });
const { backend, note } = await selectBackend(values.backend!, values.threads ? Number(values.threads) : undefined);
setBackend(backend);
const T = Number(values.tokens);
const model = Model.init({ arch: 'gpt2', vocabSize: 50257, contextLength: 1024, dim: 768, layers: 12, heads: 12, mlpHidden: 3072, normEps: 1e-5 }, new op.Rng(1));
model.setTrainable(true);
const rng = new op.Rng(2);
const ids = op.tensor(Int32Array.from({ length: T }, () => rng.int(50257)), [1, T]);
const targets = nextTokenTargets(ids);
const flops = 2 * model.numParameters * T; // forward, weights only (attention adds a little)

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const fwd: number[] = [], step: number[] = [];
for (let r = 0; r < Number(values.repeats); r++) {
  fwd.push(time(() => tidy(() => noGrad(() => model.forward(ids).logits))));
  step.push(time(() => tidy(() => backward(model.forward(ids, { targets }).loss!))));
}
const best = (xs: number[]) => Math.min(...xs);
console.log(`GPT-2-small shape (${(model.numParameters / 1e6).toFixed(1)}M params), batch 1 × ${T} tokens, ${note}`);
console.log(`  forward:            ${best(fwd).toFixed(0)} ms  (${(flops / best(fwd) / 1e6).toFixed(1)} GFLOP/s)`);
console.log(`  forward + backward: ${best(step).toFixed(0)} ms  (${((3 * flops) / best(step) / 1e6).toFixed(1)} GFLOP/s)`);
