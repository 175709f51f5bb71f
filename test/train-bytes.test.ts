// Training with checkpoints as bytes (what a page does: train in the tab, download the folder,
// resume from it): a run resumed with Trainer.fromCheckpoint(readTrainState(bytes)) gives exactly
// the losses of an uninterrupted run; the files load as a model with the trained parameters; the
// Node folder checkpoint writes the same files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CharTokenizer, Model, STATE_FILE, Trainer, loadModelFromFiles, loadTokenizerFromFiles, modelConfigFor, ops,
  readTrainState, resolveTrainOptions, splitTokens,
} from '../src/index.js';
import { Trainer as NodeTrainer } from '../src/node.js';

const TEXT = Array.from({ length: 300 }, (_, i) => `the cat sat on the mat ${i % 7}. the dog ran to the park ${i % 5}.`).join('\n');

function setUp() {
  const tok = CharTokenizer.fromText(TEXT);
  const data = splitTokens(Int32Array.from(tok.encode(TEXT)), 0.1);
  const options = resolveTrainOptions({ contextLength: 16, steps: 6, batchSize: 4, warmupSteps: 2, evalBatches: 2, gradAccumSteps: 2, seed: 9 });
  const config = modelConfigFor({ arch: 'llama', layers: 2, heads: 2, kvHeads: 1, dim: 32, contextLength: 16 }, tok.vocabSize);
  return { tok, data, options, model: Model.init(config, new ops.Rng(options.seed)) };
}

test('resuming from checkpoint bytes continues exactly; the files load as the trained model', () => {
  const a = setUp();
  const straight = new Trainer(a.model, a.data, a.options, a.tok);
  const losses: number[] = [];
  while (!straight.done) losses.push(straight.trainStep().loss);

  const b = setUp();
  const first = new Trainer(b.model, b.data, b.options, b.tok);
  const resumed: number[] = [];
  for (let i = 0; i < 3; i++) resumed.push(first.trainStep().loss);
  const files = first.checkpointFiles();
  assert.deepEqual([...files.keys()], ['config.json', 'tokenizer.json', 'model.safetensors', STATE_FILE]);
  const second = Trainer.fromCheckpoint(readTrainState(files.get(STATE_FILE)!), b.data, loadTokenizerFromFiles(files));
  assert.equal(second.step, 3);
  while (!second.done) resumed.push(second.trainStep().loss);
  assert.deepEqual(resumed, losses, 'per-step losses after resuming from bytes are bit-identical');
  assert.ok(losses[5] < losses[0], `the loss falls: ${losses[0]} -> ${losses[5]}`);

  const saved = second.checkpointFiles();
  const model = loadModelFromFiles(saved);
  for (const [name, t] of model.params) assert.deepEqual(t.toArray(), second.model.params.get(name)!.toArray(), name);
  assert.deepEqual(loadTokenizerFromFiles(saved).encode('the cat'), a.tok.encode('the cat'));
  assert.throws(() => readTrainState(saved.get('model.safetensors')!), /carries no training state/);
});

test('the Node Trainer writes the same files into a folder, and resumes from it', () => {
  const s = setUp();
  const trainer = new NodeTrainer(s.model, s.data, s.options, s.tok);
  trainer.trainStep();
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-train-bytes-'));
  try {
    trainer.save(dir);
    const files = trainer.checkpointFiles();
    // the folder holds the files plus the manifest naming their step (checkpoint-commit.ts)
    assert.deepEqual(readdirSync(dir).sort(), [...files.keys(), 'checkpoint.json'].sort());
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).step, 1);
    for (const [name, bytes] of files) assert.ok(readFileSync(join(dir, name)).equals(bytes), `${name} on disk equals checkpointFiles()`);
    const back = NodeTrainer.resume(dir, s.data, s.tok);
    assert.ok(back instanceof NodeTrainer);
    assert.equal(back.step, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
