// Int8 inference without the float copies: quantize('q8_0', { keepFloat: false }) drops every
// matrix it holds as Q8_0 (the memory llama.cpp would use), runs exactly as the float-keeping
// quantized model does, gives dequantized matrices to the views that read weights, and refuses
// training and saving. A GGUF file of Q8_0 matrices runs as int8 from the CLI by default.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelAndTokenizer } from '../src/cli/model-args.js';
import { directLogitAttribution } from '../src/inspect/attribution.js';
import { logitLens } from '../src/inspect/lens.js';
import { Model } from '../src/models/model.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import * as op from '../src/ops/index.js';
import { getBackend, noGrad, setBackend } from '../src/tensor/engine.js';
import { resolveTrainOptions } from '../src/train/options.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadHfModel, loadModel, saveGgufModel, saveHfModel, Trainer } from '../src/node.js';

for (const name of ['gpt2-tiny', 'llama-tiny']) { // llama-tiny has a separate (untied) output head
  test(`${name}: int8 without float copies runs as the float-keeping int8 model, and refuses training and saving`, { skip: skipUnlessShared('reference', name) }, () => {
    const dir = sharedPath('reference', name)!;
    const keeping = loadHfModel(dir), dropping = loadHfModel(dir);
    const floats = new Map([...keeping.params].map(([n, t]) => [n, Float32Array.from(t.floats())]));
    keeping.quantize('q8_0');
    dropping.quantize('q8_0', { keepFloat: false });
    assert.equal(keeping.inferenceOnly, false);
    assert.equal(dropping.inferenceOnly, true);
    assert.ok(dropping.params.size < keeping.params.size, 'matrices were dropped');
    assert.equal(dropping.numParameters, keeping.numParameters);
    const ids = op.tensor(Int32Array.from({ length: 12 }, (_, i) => (i * 41) % 512), [1, 12]);
    // a tied token table is looked up from its int8 rows: give the float-keeping model those rows too
    const table = name === 'gpt2-tiny' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
    if (!dropping.params.has(table)) {
      const rows = dropping.weight(table);
      (keeping.params.get(table)!.data() as Float32Array).set(rows.floats());
      rows.dispose();
    }
    const a = noGrad(() => keeping.forward(ids).logits.toArray()), b = noGrad(() => dropping.forward(ids).logits.toArray());
    assert.deepEqual(b, a, 'the same int8 products');
    // and against the float model: within the Q8_0 bound of the float comparison in quantized.test.ts
    const exact = noGrad(() => loadHfModel(dir).forward(ids).logits.toArray());
    const scale = Math.max(...exact.map(Math.abs));
    assert.ok(Math.max(...b.map((v, i) => Math.abs(v - exact[i]))) < 0.02 * scale, 'int8 logits stay close to float');
    // a dropped matrix comes back dequantized: within 0.6 of a Q8_0 step of the float one (half a
    // step of rounding, and the scale rounded to float16)
    for (const [n, original] of floats) {
      if (dropping.params.has(n)) continue;
      const w = dropping.weight(n), back = w.floats();
      assert.deepEqual([...w.shape], [...keeping.params.get(n)!.shape], `${n}: shape`);
      const step = Math.max(...original.map(Math.abs)) / 127;
      for (let i = 0; i < original.length; i++) assert.ok(Math.abs(back[i] - original[i]) <= 0.6 * step, `${n}[${i}]: ${back[i]} vs ${original[i]}`);
      w.dispose();
    }
    // the logit lens reads its last row through the int8 head, as the forward does: the same logits
    const lens = logitLens(dropping, [1, 2, 3, 4, 5], { keepLogits: true });
    const forward = noGrad(() => dropping.forward(op.tensor([1, 2, 3, 4, 5], [1, 5], 'int32')).logits.toArray());
    assert.deepEqual(lens.finalLogits!.flat(), forward, 'lens last row = model logits');
    // the views that read weights still work (the attribution reads every attention output matrix)
    const parts = directLogitAttribution(dropping, [1, 2, 3, 4, 5]).parts;
    const reference = directLogitAttribution(keeping, [1, 2, 3, 4, 5]).parts;
    const partScale = Math.max(...reference.map((p) => Math.abs(p.value)));
    parts.forEach((p, i) => assert.ok(Math.abs(p.value - reference[i].value) < 5e-3 * partScale, `${p.name}: ${p.value} vs ${reference[i].value}`));
    assert.throws(() => new Trainer(dropping, { train: new Int32Array(100), val: new Int32Array(100) }, resolveTrainOptions({ steps: 1, contextLength: 8 })), /training needs its float weights/);
    const out = mkdtempSync(join(tmpdir(), 'glasslm-q8-'));
    try {
      assert.throws(() => saveHfModel(dropping, out), /only as int8/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    assert.throws(() => dropping.quantize('q8_0'), /already quantized/);
  });
}

test('a GGUF file of Q8_0 matrices runs as int8 from the CLI unless --dtype f32 is given', { skip: skipUnlessShared('reference', 'gpt2-tiny') || skipUnlessShared('data', 'models', 'stories260K') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-q8-gguf-'));
  try {
    const model = loadHfModel(sharedPath('reference', 'gpt2-tiny')!);
    const path = join(dir, 'tiny-q8_0.gguf');
    saveGgufModel(model, path, { dtype: 'q8_0' });
    const tokenizer = join(sharedPath('data', 'models', 'stories260K')!, 'tok512.bin'); // any vocabulary of ≤ 512
    const asInt8 = loadModelAndTokenizer({ model: path, tokenizer });
    assert.equal(asInt8.model.inferenceOnly, true);
    assert.ok(asInt8.model.quantized.size > 0);
    const asFloat = loadModelAndTokenizer({ model: path, tokenizer, dtype: 'f32' });
    assert.equal(asFloat.model.quantized.size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading with dtype q8_0 quantizes matrix by matrix: the same model, in a fraction of the memory', async () => {
  const config = { arch: 'gpt2' as const, vocabSize: 300, contextLength: 64, dim: 256, layers: 4, heads: 4, mlpHidden: 1024, normEps: 1e-5 };
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-q8-load-'));
  const previous = getBackend();
  try {
    const path = join(dir, 'model-q8_0.gguf');
    const source = Model.init(config, new op.Rng(4));
    saveGgufModel(source, path, { dtype: 'q8_0' });
    source.dispose();
    const ids = op.tensor(Int32Array.from({ length: 10 }, (_, i) => (i * 29) % 300), [1, 10]);
    const highWater: Record<string, number> = {};
    const logits: Record<string, number[]> = {};
    for (const how of ['quantize after loading', 'quantize while loading']) {
      const backend = await createWasmBackend({ threads: 1 }); // its allocator's top is the memory high-water mark
      setBackend(backend);
      const model = how === 'quantize while loading' ? loadModel(path, { dtype: 'q8_0' }) : loadModel(path);
      if (how === 'quantize after loading') model.quantize('q8_0', { keepFloat: false });
      highWater[how] = backend.usedBytes();
      logits[how] = noGrad(() => model.forward(op.tensor(ids.toArray() as number[], [1, 10], 'int32')).logits.toArray());
      model.dispose();
      backend.dispose();
      setBackend(previous);
    }
    assert.deepEqual(logits['quantize while loading'], logits['quantize after loading']);
    const ratio = highWater['quantize while loading'] / highWater['quantize after loading'];
    console.log(`memory high-water mark, int8 while loading / after loading a float copy: ${ratio.toFixed(2)}`);
    assert.ok(ratio < 0.6, `loading int8 used ${ratio} of the memory of loading floats first`);
    assert.throws(() => loadModel(path, { dtype: 'q4' as never }), /unknown weight type/);
  } finally {
    setBackend(previous);
    rmSync(dir, { recursive: true, force: true });
  }
});
