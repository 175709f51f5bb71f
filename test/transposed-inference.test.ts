// GPT-2's Conv1D matrices held transposed for decoding (Model.transposeConv1D, what `glasslm
// generate`, chat and serve do): the model still matches Hugging Face's reference outputs, on the
// reference backend and on WebAssembly (one and two threads, the decode step and batched rows);
// model.weight() hands back the stored (in, out) matrix bit for bit; the views that read weights
// agree with the untouched model, and so does a LoRA adapter; training, saving and a later
// quantize are refused with a reason.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backend/cpu/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { BatchEngine } from '../src/generate/batch.js';
import { directLogitAttribution } from '../src/inspect/attribution.js';
import { readSafetensorsFile } from '../src/io/safetensors-file.js';
import type { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import { resolveTrainOptions } from '../src/train/options.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadHfModel, saveHfModel, Trainer } from '../src/node.js';
import { createLora } from '../src/lora/adapter.js';

const skip = skipUnlessShared('reference', 'gpt2-tiny');
const dir = sharedPath('reference', 'gpt2-tiny');
const reference = dir ? readSafetensorsFile(join(dir, 'reference.safetensors')) : null;

/** Largest |a - b| over two float arrays of one length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Logits of every decoded position, prompt `prefill` first, then `tokens` one at a time through the decode step where it runs. */
function stepLogits(model: Model, prefill: number[], tokens: number[]): Float32Array[] {
  const cache = model.createKVCache(1);
  try {
    return noGrad(() => {
      tidy(() => model.forward(op.tensor(Int32Array.from(prefill), [1, prefill.length]), { kvCache: cache }));
      return tokens.map((t) => {
        const step = model.decodeStep(cache);
        if (step) {
          step.run(t);
          return Float32Array.from(step.logits);
        }
        return tidy(() => Float32Array.from(model.forward(op.tensor(Int32Array.of(t), [1, 1]), { kvCache: cache }).logits.data()));
      });
    });
  } finally {
    cache.dispose();
  }
}

const wasm1 = await createWasmBackend({ threads: 1 }), wasm2 = await createWasmBackend({ threads: 2 });
after(() => {
  wasm1.dispose();
  wasm2.dispose();
});

for (const [label, backend] of [['cpu', createCpuBackend()], ['wasm × 1', wasm1], ['wasm × 2', wasm2]] as const) {
  test(`gpt2-tiny with its Conv1D matrices transposed matches Hugging Face (${label})`, { skip }, () => {
    setBackend(backend);
    const model = loadHfModel(dir!), plain = loadHfModel(dir!);
    try {
      const stored = new Map([...model.params].map(([n, t]) => [n, Float32Array.from(t.floats())]));
      assert.equal(model.transposeConv1D(), 4 * model.config.layers, 'c_attn, attn.c_proj, c_fc and mlp.c_proj of every layer');
      assert.equal(model.transposeConv1D(), 0, 'a second call finds nothing left to transpose');
      assert.equal(model.inferenceOnly, true);
      const c_fc = model.transposed.get('transformer.h.0.mlp.c_fc.weight')!;
      assert.deepEqual([...c_fc.shape], [model.config.mlpHidden, model.config.dim], 'held (out, in)');

      // the forward against the reference numbers (the tolerance of reference-models.test.ts)
      const ids = reference!.get('input_ids')!;
      const logits = noGrad(() => tidy(() => Float32Array.from(model.forward(op.tensor(ids.data, ids.shape, 'int32')).logits.data())));
      const d = maxDiff(logits, reference!.get('logits')!.data);
      assert.ok(d <= 1e-4, `logits differ from Hugging Face's by ${d}`);

      // decoding token by token (the decode step on wasm) gives the untouched model's logits
      const V = model.config.vocabSize, tokens = Array.from({ length: 10 }, (_, i) => (i * 7919 + 13) % V);
      const a = stepLogits(model, [1, 5, 9], tokens), b = stepLogits(plain, [1, 5, 9], tokens);
      a.forEach((row, i) => assert.ok(maxDiff(row, b[i]) <= 1e-5, `position ${i}: ${maxDiff(row, b[i])}`));

      // rows decoded together in a batch (the server's path: a few-row product per matrix) give each row's greedy tokens alone
      const prompts = [[1, 2, 3], [40, 41], [7, 8, 9, 10]];
      const engine = new BatchEngine(model, 4), alone = new BatchEngine(plain, 4);
      const run = (e: BatchEngine, list: number[][]) => {
        list.forEach((p, id) => e.add({ id, promptIds: p, maxTokens: 6, temperature: 0 }));
        const out = list.map(() => [] as number[]);
        for (let s = 0; s < 12; s++) for (const ev of e.step()) if (ev.type === 'token') out[ev.request].push(ev.id);
        return out;
      };
      const together = run(engine, prompts);
      prompts.forEach((p, i) => assert.deepEqual(together[i], run(alone, [p])[0], `prompt ${i}: batched on the transposed model = alone on the stored one`));
      engine.dispose();
      alone.dispose();

      // model.weight() gives the stored (in, out) matrix back, bit for bit
      for (const [name, values] of stored) {
        const w = model.weight(name);
        assert.deepEqual([...w.shape], [...plain.params.get(name)!.shape], `${name}: shape`);
        assert.deepEqual(w.floats(), values, `${name}: values`);
        if (!model.params.has(name)) w.dispose();
      }
    } finally {
      model.dispose();
      plain.dispose();
    }
  });
}

test('a transposed model: the views that read weights agree; training, saving and quantizing are refused with the reason', { skip }, () => {
  setBackend(wasm2);
  const model = loadHfModel(dir!), plain = loadHfModel(dir!);
  try {
    model.transposeConv1D();
    const parts = directLogitAttribution(model, [1, 2, 3, 4, 5]).parts, expected = directLogitAttribution(plain, [1, 2, 3, 4, 5]).parts;
    const scale = Math.max(...expected.map((p) => Math.abs(p.value)));
    parts.forEach((p, i) => {
      assert.equal(p.name, expected[i].name);
      assert.ok(Math.abs(p.value - expected[i].value) <= 1e-5 * scale, `${p.name}: ${p.value} vs ${expected[i].value}`);
    });
    // a LoRA adapter on every linear layer adds the same update to the transposed model's products
    const adapter = createLora(model.config, { rank: 4, alpha: 8, dropout: 0, targets: 'all-linear' }, new op.Rng(1));
    const rng = new op.Rng(2);
    for (const l of adapter.layers.values()) { const b = l.B.floats(); for (let i = 0; i < b.length; i++) b[i] = rng.normal() * 0.3; }
    const ids = op.tensor(Int32Array.of(1, 7, 3, 9, 4), [1, 5]);
    const bare = noGrad(() => tidy(() => Float32Array.from(plain.forward(ids).logits.data())));
    model.adapter = adapter;
    plain.adapter = adapter;
    const withA = noGrad(() => tidy(() => Float32Array.from(model.forward(ids).logits.data())));
    const withB = noGrad(() => tidy(() => Float32Array.from(plain.forward(ids).logits.data())));
    assert.ok(maxDiff(withA, bare) > 1e-3, 'the adapter changes the logits');
    assert.ok(maxDiff(withA, withB) <= 1e-5, `with the adapter: ${maxDiff(withA, withB)}`);
    model.adapter = null;
    plain.adapter = null;
    adapter.dispose();
    assert.throws(() => new Trainer(model, { train: new Int32Array(100), val: new Int32Array(100) }, resolveTrainOptions({ steps: 1, contextLength: 8 })), /transposed for decoding.*training needs its float weights/);
    const out = mkdtempSync(join(tmpdir(), 'glasslm-transposed-'));
    try {
      assert.throws(() => saveHfModel(model, out), /transposed for decoding.*load it again/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    assert.throws(() => model.quantize('q8_0'), /quantize the model before transposeConv1D/);
  } finally {
    model.dispose();
    plain.dispose();
  }
});

test('a Llama-family model has no (in, out) matrices: transposeConv1D changes nothing', { skip: skipUnlessShared('reference', 'llama-tiny') }, () => {
  setBackend(wasm1);
  const model = loadHfModel(sharedPath('reference', 'llama-tiny')!);
  try {
    assert.equal(model.transposeConv1D(), 0);
    assert.equal(model.inferenceOnly, false);
  } finally {
    model.dispose();
  }
});
