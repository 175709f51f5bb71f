// Training: resuming equals an uninterrupted run; checkpoints are never half-written; the loss goes
// down; evaluation agrees with the reference loss; options are validated.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.js';
import * as op from '../src/ops/index.js';
import { evaluateIds } from '../src/train/evaluate.js';
import { resolveTrainOptions } from '../src/train/options.js';
import { learningRateAt } from '../src/train/schedule.js';
import { type TrainJob, runTraining } from '../src/train/run.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';
import { loadHfModel, loadModel, loadCheckpoint } from '../src/node.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glasslm-train-'));

/** A small corpus written by the test (no ../shared needed). */
function corpus(dir: string): string {
  const path = join(dir, 'corpus.txt');
  const lines = [];
  for (let i = 0; i < 400; i++) lines.push(`the cat sat on the mat ${i % 7}. the dog ran to the park ${i % 5}.`);
  writeFileSync(path, lines.join('\n'));
  return path;
}

function job(dir: string, data: string, resume = false): TrainJob {
  return {
    data: [data], out: join(dir, 'run'), valFraction: 0.1, tokenizer: { char: true },
    model: { arch: 'llama', layers: 2, heads: 2, kvHeads: 1, dim: 32, contextLength: 16 },
    options: { steps: 6, batchSize: 4, warmupSteps: 2, evalInterval: 3, evalBatches: 2, checkpointInterval: 3, gradAccumSteps: 2, seed: 9 },
    resume,
  };
}

test('resuming from a checkpoint gives exactly the losses of an uninterrupted run', () => {
  const dir = tmp(), data = corpus(dir);
  const straight: number[] = [];
  runTraining({ ...job(dir, data), out: join(dir, 'straight') }, { onStep: (r) => straight.push(r.loss) });

  // the same run, stopped after its checkpoint at step 3 by throwing out of the loop
  const first: number[] = [];
  assert.throws(() => runTraining(job(dir, data), { onStep: (r) => { first.push(r.loss); }, onSave: (_d, step) => { if (step === 3) throw new Error('killed'); } }), /killed/);
  const second: number[] = [];
  const { trainer } = runTraining(job(dir, data, true), { onStep: (r) => second.push(r.loss) });
  assert.equal(trainer.step, 6);
  assert.deepEqual([...first, ...second], straight, 'per-step losses after resume are bit-identical');
  assert.ok(straight[5] < straight[0], `loss decreases: ${straight[0]} -> ${straight[5]}`);
  // the saved folder loads as a model and its parameters equal the training state's
  const model = loadHfModel(join(dir, 'run'));
  const state = loadCheckpoint(join(dir, 'run'));
  for (const [name, t] of model.params) assert.deepEqual(t.toArray(), Array.from(state.params.get(name)!.data), name);
});

test('a checkpoint killed mid-write is never loaded half-written', async () => {
  const dir = tmp(), data = corpus(dir), out = join(dir, 'run');
  // train in a child process that checkpoints every step, and kill it at several moments
  const script = `
    import { runTraining } from ${JSON.stringify(join(projectRoot, 'dist/src/train/run.js'))};
    const job = ${JSON.stringify({ ...job(dir, data), options: { steps: 100000, batchSize: 2, evalInterval: 0, checkpointInterval: 1, seed: 1 } })};
    job.resume = process.argv[2] === 'resume';
    runTraining(job, { onSave: () => process.stdout.write('s') });`;
  writeFileSync(join(dir, 'child.mjs'), script);
  for (let round = 0; round < 4; round++) {
    const child = spawn(process.execPath, [join(dir, 'child.mjs'), round === 0 ? '' : 'resume']);
    let saves = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        saves += d.length;
        if (saves >= 2 + round) setTimeout(() => child.kill('SIGKILL'), 3 + 7 * round);
      });
      child.on('exit', () => resolve());
    });
    const state = loadCheckpoint(out); // throws if the file were half-written
    assert.ok(state.state.step >= 1);
    assert.ok(readSafetensors(readFileSync(join(out, 'model.safetensors'))).size > 0);
  }
  assert.ok(existsSync(join(out, 'loss.svg')));
});

test('evaluation: summed next-token loss equals the reference loss of gpt2-tiny', { skip: skipUnlessShared('reference', 'gpt2-tiny') }, () => {
  const dir = sharedPath('reference', 'gpt2-tiny')!;
  const ref = readSafetensors(readFileSync(join(dir, 'reference.safetensors')));
  const model = loadModel(dir);
  const ids = ref.get('input_ids')!.data as Int32Array;
  let total = 0, tokens = 0;
  for (const row of [ids.subarray(0, 24), ids.subarray(24, 48)]) {
    const r = evaluateIds(model, Int32Array.from(row), 23);
    total += r.totalLoss;
    tokens += r.tokens;
  }
  assert.equal(tokens, 46);
  const diff = Math.abs(total / tokens - ref.get('loss')!.data[0]);
  assert.ok(diff < 1e-5, `mean loss differs from the reference by ${diff}`);
  // windows shorter than the row give every token a prediction too
  assert.equal(evaluateIds(model, Int32Array.from(ids.subarray(0, 24)), 5).tokens, 23);
});

test('learning-rate schedule and option validation', () => {
  const s = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, decaySteps: 110 };
  assert.ok(Math.abs(learningRateAt(0, s) - 1e-4) < 1e-12);
  assert.ok(Math.abs(learningRateAt(9, s) - 1e-3) < 1e-12);
  assert.ok(Math.abs(learningRateAt(60, s) - (1e-4 + 0.5 * 9e-4)) < 1e-12, 'halfway through the cosine');
  assert.equal(learningRateAt(500, s), 1e-4);
  assert.throws(() => resolveTrainOptions({ stepz: 5 }), /unknown training option 'stepz'/);
  assert.throws(() => resolveTrainOptions({ batchSize: 0 }), /batchSize/);
  assert.equal(resolveTrainOptions({ steps: 50 }).decaySteps, 50);
});

test('the AdamW step matches a hand-computed update', () => {
  const backend = op.zeros([1]).backend;
  const p = Float32Array.of(1, -2), g = Float32Array.of(0.5, 0.1), m = new Float32Array(2), v = new Float32Array(2);
  backend.adamw(p, g, m, v, { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 1 });
  // step 1: m̂ = g, v̂ = g², update = g/|g| = ±1, plus decay lr·wd·p
  assert.ok(Math.abs(p[0] - (1 - 0.1 * (1 + 0.1 * 1))) < 1e-6);
  assert.ok(Math.abs(p[1] - (-2 - 0.1 * (1 + 0.1 * -2))) < 1e-6);
});
