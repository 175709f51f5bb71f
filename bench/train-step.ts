// Training speed on nanoGPT's CPU Tiny Shakespeare set-up: GPT-2 block, 4 layers, 4 heads,
// width 128, context 64, batch 12, vocab 65. Prints one JSON line: ms per step, tokens/s and the
// achieved GFLOP/s (6 · parameters · tokens, plus attention).
// usage: node dist/bench/train-step.js [--backend auto|cpu|wasm] [--threads N] [--steps 20]

import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/select.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { setBackend } from '../src/tensor/engine.js';
import { resolveTrainOptions } from '../src/train/options.js';
import { Trainer } from '../src/node.js';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, threads: { type: 'string' }, steps: { type: 'string', default: '20' } } });
const { backend, note } = await selectBackend(values.backend, values.threads ? Number(values.threads) : undefined);
setBackend(backend);
const config = { arch: 'gpt2' as const, vocabSize: 65, contextLength: 64, dim: 128, layers: 4, heads: 4, mlpHidden: 512, normEps: 1e-5 };
const model = Model.init(config, new op.Rng(0));
const rng = new op.Rng(1);
const tokens = Int32Array.from({ length: 100_000 }, () => rng.int(65));
const steps = Number(values.steps);
const trainer = new Trainer(model, { train: tokens, val: tokens }, resolveTrainOptions({ steps: steps + 3 }));
const times: number[] = [];
for (let i = 0; i < steps + 3; i++) {
  const t0 = performance.now();
  trainer.trainStep();
  if (i >= 3) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const ms = times[Math.floor(times.length / 2)];
const T = 64, B = 12, C = 128, L = 4;
const nonEmbedding = model.numParameters - 64 * C; // positions are looked up, not multiplied
const flops = 6 * nonEmbedding * B * T + 6 * L * B * T * T * C; // matmuls (fwd 2, bwd 4) + attention
console.log(JSON.stringify({ workload: 'train step, Tiny Shakespeare set-up', backend: note, ms_per_step: ms, tokens_per_s: (B * T) / (ms / 1000), gflops: flops / (ms / 1000) / 1e9 }));
(backend as { dispose?: () => void }).dispose?.();
