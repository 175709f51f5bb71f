// The batching engine's decode step in process, without HTTP (not a test): for 1, 4 and 8 active
// sequences on a GPT-2-small-shaped model (or the built-in one), the time per step and the
// aggregate tokens/s, beside `generateIds` (what `glasslm generate` runs) in the same process.
// Where the server loses time against these figures, it is HTTP or the worker hop, not the model.
// usage: node dist/bench/batch-step.js [--model builtin|gpt2] [--rows 1,4,8] [--steps 40] [--threads 1|N|default] [--dtype f32|q8_0] [--profile] [--conv1d]
// --dtype q8_0: the weights quantized to Q8_0 (as a Q8_0 GGUF loads): one row reads int8 blocks, 8 rows or more run int8 × int8 where the probe chose it
// --threads default: all cores, each kernel on one thread or all of them by its work size (as `glasslm serve` without --threads)
// --conv1d: keep GPT-2's (in, out) matrices as stored, instead of transposing them as the server does
// --profile: after the timed rounds, the time per backend kernel over the steps of each row count.

import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/select.js';
import { loadModelAndTokenizer } from '../src/cli/model-args.js';
import { type KernelTable, instrument, kernelMs } from './instrument.js';
import { BatchEngine } from '../src/generate/batch.js';
import { generateIds } from '../src/generate/generate.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { setBackend } from '../src/tensor/engine.js';

const { values } = parseArgs({ options: {
  model: { type: 'string', default: 'gpt2' }, rows: { type: 'string', default: '1,4,8' }, steps: { type: 'string', default: '40' }, threads: { type: 'string', default: '1' },
  dtype: { type: 'string', default: 'f32' }, profile: { type: 'boolean', default: false }, conv1d: { type: 'boolean', default: false },
} });
const steps = Number(values.steps);
const { backend } = await selectBackend('auto', values.threads === 'default' ? undefined : Number(values.threads));
setBackend(backend);
const model = values.model === 'gpt2'
  ? Model.init({ arch: 'gpt2', vocabSize: 50257, contextLength: 1024, dim: 768, layers: 12, heads: 12, mlpHidden: 3072, normEps: 1e-5 } as never, new op.Rng(0))
  : loadModelAndTokenizer({}).model;
if (values.dtype === 'q8_0') model.quantize('q8_0', { keepFloat: false });
else if (values.dtype !== 'f32') throw new Error(`--dtype: f32 or q8_0, got '${values.dtype}'`);
else if (!values.conv1d) model.transposeConv1D(); // as the server holds them (loadModelAndTokenizer's decode option)
const prompt = Array.from({ length: 12 }, (_, i) => (i * 7919) % model.config.vocabSize);

function generateRate(): number {
  const t0 = performance.now();
  let n = 0;
  for (const _ of generateIds(model, prompt, { temperature: 0, maxTokens: steps })) n++;
  return n / ((performance.now() - t0) / 1000);
}

function batchRate(rows: number, table?: KernelTable): { rate: number; msPerStep: number } {
  const engine = new BatchEngine(model, Math.max(...rowCounts)); // as a server: more rows than run (a lone row is a view of row 0)
  for (let r = 0; r < rows; r++) engine.add({ id: r, promptIds: prompt, maxTokens: steps + 2, temperature: 0 });
  engine.step(); // admission (prefill) is not timed
  table?.clear();
  const t0 = performance.now();
  let tokens = 0;
  for (let s = 0; s < steps; s++) tokens += engine.step().filter((e) => e.type === 'token').length;
  const ms = performance.now() - t0;
  engine.dispose();
  return { rate: tokens / (ms / 1000), msPerStep: ms / steps };
}

generateRate(); // warm-up: V8 tiers the kernels up
const rowCounts = values.rows!.split(',').map(Number);
for (let round = 0; round < 2; round++) {
  const gen = generateRate();
  const parts = [`generate ${gen.toFixed(1)} tok/s`];
  let one = NaN;
  for (const rows of rowCounts) {
    const r = batchRate(rows);
    if (rows === 1) one = r.rate;
    parts.push(`${rows} rows ${r.rate.toFixed(1)} tok/s (${r.msPerStep.toFixed(1)} ms/step${rows === 1 ? `, ${(r.rate / gen).toFixed(2)}× generate` : Number.isFinite(one) ? `, ${(r.rate / one).toFixed(2)}× 1 row` : ''})`);
  }
  console.log(parts.join(' | '));
}

if (values.profile) {
  const table: KernelTable = new Map();
  instrument(backend, table);
  for (const rows of rowCounts) {
    const { msPerStep } = batchRate(rows, table);
    const kernels = kernelMs(table) / steps;
    const top = [...table].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6).map(([name, e]) => `${name} ${(e.ms / steps).toFixed(1)}`);
    console.log(`${rows} rows: ${msPerStep.toFixed(1)} ms/step, kernels ${kernels.toFixed(1)} ms (${top.join(', ')}), outside kernels ${(msPerStep - kernels).toFixed(1)} ms`);
  }
}
