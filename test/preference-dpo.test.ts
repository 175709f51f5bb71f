// DPO training: resume after a kill continues exactly; the frozen reference is unchanged bit for
// bit after training while the policy moves; held-out preference accuracy rises on a toy task.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BaseModel, runDpo, tokenizePairs, type DpoJob } from '../src/preference/dpo-run.js';
import { DpoTrainer } from '../src/preference/dpo-trainer.js';
import { CopyReference, frozenCopy } from '../src/preference/reference.js';
import { parsePreferenceData } from '../src/preference/data.js';
import { resolveTrainOptions } from '../src/train/options.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import { tinyModel } from './preference-helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glasslm-dpo-'));
const TOK = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .,!?:');

/** A toy preference set: the chosen answer is polite, the rejected one rude. */
function toyPairs(n: number): string {
  const names = ['sam', 'ann', 'bob', 'kim', 'lee', 'max', 'zoe'];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const who = names[i % names.length];
    lines.push(JSON.stringify({ prompt: `ask ${who}: `, chosen: 'yes please, thank you.', rejected: 'no, go away!' }));
  }
  return lines.join('\n');
}

function job(dir: string, data: string, resume = false): DpoJob {
  return {
    data, out: join(dir, 'run'), heldOutFraction: 0.25, resume,
    settings: { loss: 'sigmoid', beta: 0.5, precomputeReference: false },
    options: { steps: 6, batchSize: 3, contextLength: 32, lr: 3e-3, warmupSteps: 1, evalInterval: 3, checkpointInterval: 3, seed: 5 },
  };
}

const base = (): BaseModel => ({ model: tinyModel('llama', 7, TOK.vocabSize), tokenizer: TOK, path: 'tiny-llama' });

test('DPO resumed after a kill gives exactly the losses and weights of an uninterrupted run', () => {
  const dir = tmp(), data = join(dir, 'pairs.jsonl');
  writeFileSync(data, toyPairs(16));
  const straight: number[] = [];
  const a = runDpo({ ...job(dir, data), out: join(dir, 'straight') }, base(), { onStep: (r) => straight.push(r.loss) });
  const first: number[] = [];
  assert.throws(() => runDpo(job(dir, data), base(), { onStep: (r) => first.push(r.loss), onSave: (_d, step) => { if (step === 3) throw new Error('killed'); } }), /killed/);
  const second: number[] = [];
  const b = runDpo(job(dir, data, true), base(), { onStep: (r) => second.push(r.loss) });
  assert.equal(b.trainer.step, 6);
  assert.deepEqual([...first, ...second], straight, 'per-step losses after resume are bit-identical');
  for (const [name, t] of a.trainer.policy.params) assert.deepEqual(b.trainer.policy.params.get(name)!.toArray(), t.toArray(), name);
  assert.deepEqual(b.trainer.evals.map((e) => e.step), [0, 3, 6]);
  assert.deepEqual(b.final, a.final);
  // resuming from another model, or without --resume over a run, is refused
  assert.throws(() => runDpo(job(dir, data, true), { ...base(), path: 'other' }, {}), /started from 'tiny-llama', not 'other'/);
  assert.throws(() => runDpo(job(dir, data), base(), {}), /already holds a training run/);
});

test('LoRA DPO: the base (the reference) is unchanged bit for bit, the adapter trains, resume is exact', () => {
  const dir = tmp(), data = join(dir, 'pairs.jsonl');
  writeFileSync(data, toyPairs(16));
  const lora = { rank: 2, alpha: 4, dropout: 0.1, targets: 'all-linear' as const };
  const loraJob = (out: string, resume = false): DpoJob => ({ ...job(dir, data, resume), out: join(dir, out), lora });
  const b0 = base();
  const before = new Map([...b0.model.params].map(([n, t]) => [n, Buffer.from(t.floats().slice().buffer)]));
  const straight: number[] = [];
  const a = runDpo(loraJob('straight'), b0, { onStep: (r) => straight.push(r.loss) });
  for (const [name, t] of b0.model.params) assert.ok(Buffer.from(t.floats().slice().buffer).equals(before.get(name)!), `base parameter ${name} changed`);
  assert.ok([...a.trainer.trainable.values()].some((t) => t.toArray().some((v) => v !== 0)));
  assert.ok(a.final!.margin > 0, `held-out margin ${a.final!.margin}`);
  const first: number[] = [], second: number[] = [];
  assert.throws(() => runDpo(loraJob('run'), base(), { onStep: (r) => first.push(r.loss), onSave: (_d, step) => { if (step === 3) throw new Error('killed'); } }), /killed/);
  runDpo(loraJob('run', true), base(), { onStep: (r) => second.push(r.loss) });
  assert.deepEqual([...first, ...second], straight, 'per-step losses after resume are bit-identical');
});

test('the reference is unchanged bit for bit after DPO, the policy moves, held-out accuracy rises', () => {
  const pairs = tokenizePairs(parsePreferenceData(toyPairs(24), 'toy.jsonl'), TOK, 32);
  const policy = tinyModel('gpt2', 11, TOK.vocabSize);
  const reference = new CopyReference(frozenCopy(policy));
  const before = new Map([...reference.model.params].map(([n, t]) => [n, Buffer.from(t.floats().slice().buffer)]));
  const startPolicy = new Map([...policy.params].map(([n, t]) => [n, t.toArray()]));
  const options = resolveTrainOptions({ steps: 12, batchSize: 4, contextLength: 32, lr: 3e-3, warmupSteps: 1, seed: 3 });
  const trainer = new DpoTrainer(policy, reference, { train: pairs.slice(0, 18), heldOut: pairs.slice(18) }, options, { loss: 'ipo', beta: 0.5, precomputeReference: false });
  const start = trainer.evaluate();
  assert.equal(start.margin, 0, 'policy = reference at the start: every reward is 0');
  while (!trainer.done) trainer.trainStep();
  const end = trainer.evaluate();
  for (const [name, t] of reference.model.params) {
    assert.ok(Buffer.from(t.floats().slice().buffer).equals(before.get(name)!), `reference parameter ${name} changed`);
    assert.equal(t.requiresGrad, false);
  }
  assert.ok([...policy.params].some(([n, t]) => t.toArray().some((v, i) => v !== startPolicy.get(n)![i])), 'the policy trained');
  assert.ok(end.margin > start.margin && end.accuracy > 0.5, `held-out margin ${start.margin} -> ${end.margin}, accuracy ${start.accuracy} -> ${end.accuracy}`);
  // precomputed reference scores give the same statistics as scoring the reference each time
  const pre = new DpoTrainer(policy, reference, { train: pairs.slice(0, 18), heldOut: pairs.slice(18) }, options, { loss: 'ipo', beta: 0.5, precomputeReference: true });
  assert.deepEqual(pre.evaluate(), end);
});
