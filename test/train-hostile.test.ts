// Training runs against hostile settings and folders: a diverging loss stops the run and keeps
// the last good checkpoint; one run owns an --out folder (a lock a killed run does not leave
// stuck); an --out that is a file or read-only is refused with a clear message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.js';
import { loadHfModel } from '../src/models/load-file.js';
import { loadCheckpoint } from '../src/train/checkpoint-file.js';
import { type TrainJob, runTraining } from '../src/train/run.js';
import { projectRoot } from './shared.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glasslm-train-hostile-'));

function corpus(dir: string): string {
  const path = join(dir, 'corpus.txt');
  writeFileSync(path, Array.from({ length: 300 }, (_, i) => `the cat sat on the mat ${i % 7}. the dog ran ${i % 5}.`).join('\n'));
  return path;
}

function job(out: string, data: string, options: TrainJob['options'] = {}, resume = false): TrainJob {
  return {
    data: [data], out, valFraction: 0.1, tokenizer: { char: true },
    model: { arch: 'gpt2', layers: 1, heads: 2, dim: 16, contextLength: 16 },
    options: { steps: 30, batchSize: 2, warmupSteps: 0, evalInterval: 0, evalBatches: 1, checkpointInterval: 1, seed: 3, ...options },
    resume,
  };
}

test('--lr 1e30: the run stops with an error when the loss becomes non-finite, and the last checkpoint stays finite and loadable', () => {
  const dir = tmp(), data = corpus(dir), out = join(dir, 'run');
  const steps: number[] = [];
  // with weight decay, lr 1e30 is refused before the run (each step would scale the weights by 1 − 1e29)
  assert.throws(() => runTraining(job(out, data, { lr: 1e30 })), /learning rate times the weight decay/);
  assert.ok(!existsSync(out), 'nothing written for a refused run');
  assert.throws(() => runTraining(job(out, data, { lr: 1e30, weightDecay: 0 }), { onStep: (r) => { steps.push(r.loss); } }), (e: unknown) => {
    assert.match((e as Error).message, /loss .*(NaN|infinit|finite)/i);
    assert.match((e as Error).message, /checkpoint .*step \d+/);
    return true;
  });
  assert.ok(steps.length < 30, `stopped early (${steps.length} steps)`);
  const state = loadCheckpoint(out);
  assert.ok(state.state.step < 30);
  for (const [name, t] of state.params) assert.ok((t.data as Float32Array).every(Number.isFinite), `${name} in train-state is finite`);
  const model = readSafetensors(readFileSync(join(out, 'model.safetensors')));
  for (const [name, t] of model) assert.ok((t.data as Float32Array).every(Number.isFinite), `${name} in model.safetensors is finite`);
  loadHfModel(out); // loads (every weight finite)
});

test('one run owns an --out folder: a second run is refused while the first lives; a killed run leaves no stuck lock', async () => {
  const dir = tmp(), data = corpus(dir), out = join(dir, 'run');
  const script = `
    import { runTraining } from ${JSON.stringify(join(projectRoot, 'dist/src/train/run.js'))};
    runTraining(${JSON.stringify(job(out, data, { steps: 1_000_000 }))}, { onSave: () => process.stdout.write('s') });`;
  writeFileSync(join(dir, 'child.mjs'), script);
  const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the first run ended (${code}) before saving`)));
    });
    // the first run is alive: a second one on the same folder is refused, naming its PID
    assert.throws(() => runTraining(job(out, data, { steps: 2 }, true)), new RegExp(`in use .*${child.pid}|${child.pid}.*in use`));
    assert.throws(() => runTraining(job(out, data, { steps: 2 })), /already holds a training run|in use/);
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  // the killed run's lock is stale: a resumed run takes the folder over and finishes
  const before = loadCheckpoint(out).state.step;
  const { trainer } = runTraining(job(out, data, { steps: before + 2 }, true));
  assert.equal(trainer.step, before + 2);
  assert.ok(!readdirSync(out).some((f) => f.endsWith('.lock')), 'the lock is released at the end');
});

test('an --out that is a file, or a folder that cannot be written, is refused with a clear message', () => {
  const dir = tmp(), data = corpus(dir);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => runTraining(job(file, data)), /a-file.* is a file|not a folder/);
  assert.throws(() => runTraining(job(join(file, 'sub'), data)), /a-file.* is a file|not a folder/);
  if (process.getuid?.() === 0) {
    // root writes anywhere chmod allows; Linux's /sys refuses even root
    if (!existsSync('/sys/kernel')) return;
    assert.throws(() => runTraining(job('/sys/glasslm-out', data)), /cannot create the output folder \/sys\/glasslm-out: (permission denied|read-only)/);
    assert.throws(() => runTraining(job('/sys/kernel', data)), /\/sys\/kernel.*(read-only|cannot write|permission|not permitted)/i);
    return;
  }
  const ro = join(dir, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  try {
    assert.throws(() => runTraining(job(ro, data)), /read-only|cannot write|not writable|permission/i);
    assert.throws(() => runTraining(job(join(ro, 'sub'), data)), /cannot create|read-only|permission/i);
    assert.ok(!existsSync(join(ro, 'sub')));
  } finally {
    chmodSync(ro, 0o755);
  }
});
