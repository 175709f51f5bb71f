// GPT-2 without biases (nanoGPT's bias=False, config "bias": false): the same function as GPT-2
// whose biases are all zero. The biased model is checked against Hugging Face elsewhere; here the
// bias-free one must give its logits and the gradients of every shared parameter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backward } from '../src/autograd/backward.js';
import { configFromHf, parameterShapes } from '../src/models/config.js';
import { Model, nextTokenTargets } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { tidy } from '../src/tensor/engine.js';
import { modelConfigFor } from '../src/train/run.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadHfModel, saveHfModel } from '../src/node.js';

test('GPT-2 without biases equals GPT-2 with zero biases: logits and every gradient', { skip: skipUnlessShared('reference', 'gpt2-tiny') }, () => {
  const biased = loadHfModel(sharedPath('reference', 'gpt2-tiny')!);
  const config = { ...biased.config, bias: false } as const;
  const expected = parameterShapes(config);
  assert.ok(![...expected.keys()].some((n) => n.endsWith('.bias')), 'no bias parameters');
  const plain = new Model(config, new Map([...biased.params].filter(([n]) => expected.has(n)).map(([n, t]) => [n, op.contiguous(t)])));
  for (const [n, t] of biased.params) if (n.endsWith('.bias')) (t.data() as Float32Array).fill(0);
  biased.setTrainable(true);
  plain.setTrainable(true);
  const rng = new op.Rng(3);
  const ids = op.tensor(Int32Array.from({ length: 2 * 12 }, () => rng.int(biased.config.vocabSize)), [2, 12]);
  tidy(() => {
    const a = biased.forward(ids, { targets: nextTokenTargets(ids) });
    const b = plain.forward(ids, { targets: nextTokenTargets(ids) });
    const la = a.logits.data(), lb = b.logits.data();
    let worst = 0;
    for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i] - lb[i]));
    assert.ok(worst <= 1e-6, `logits differ by ${worst}`);
    backward(a.loss!);
    backward(b.loss!);
  });
  for (const [n, t] of plain.params) {
    const ga = biased.params.get(n)!.grad!.data(), gb = t.grad!.data();
    for (let i = 0; i < ga.length; i++) assert.ok(Math.abs(ga[i] - gb[i]) <= 1e-6, `grad ${n}[${i}]: ${gb[i]} vs ${ga[i]}`);
  }
});

test('a bias-free GPT-2 is saved with "bias": false and loads back; bad values are errors', () => {
  const config = modelConfigFor({ arch: 'gpt2', layers: 1, heads: 2, dim: 8, contextLength: 16, bias: false }, 20);
  const model = Model.init(config, new op.Rng(1));
  assert.equal(model.numParameters, 20 * 8 + 16 * 8 + 8 + 8 * 24 + 8 * 8 + 8 + 8 * 32 + 32 * 8 + 8);
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-nobias-'));
  try {
    saveHfModel(model, dir);
    assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).bias, false);
    const back = loadHfModel(dir);
    assert.equal(back.config.arch === 'gpt2' && back.config.bias, false);
    assert.equal(back.numParameters, model.numParameters);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => configFromHf({ model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 1, vocab_size: 20, bias: 'no' }), /'bias' must be true or false/);
  assert.throws(() => modelConfigFor({ arch: 'llama', layers: 1, heads: 2, dim: 8, contextLength: 16, bias: true }, 20), /Llama architecture has no biases/);
});
