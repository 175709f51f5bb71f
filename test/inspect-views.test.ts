// The logit lens, direct logit attribution and activation patching against independently computed
// numbers: the model's own logits from a plain forward pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directLogitAttribution } from '../src/inspect/attribution.js';
import { runWithCache } from '../src/inspect/cache.js';
import { logitLens } from '../src/inspect/lens.js';
import { activationPatching, runPatched, type Patch } from '../src/inspect/patching.js';
import * as op from '../src/ops/index.js';
import { noGrad } from '../src/tensor/engine.js';
import type { Model } from '../src/models/model.js';
import { maxAbsDiff, referenceIds, referenceModel } from './inspect-helpers.js';
import { skipUnlessShared } from './shared.js';

function plainLogits(model: Model, ids: number[]): Float32Array {
  return Float32Array.from(noGrad(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length], 'int32')).logits).floats());
}

for (const name of ['gpt2-tiny', 'llama-tiny', 'qwen2-tiny']) {
  const skip = skipUnlessShared('reference', name);

  test(`${name}: the logit lens's last layer equals the model's logits`, { skip }, () => {
    const model = referenceModel(name);
    const ids = referenceIds(name);
    const lens = logitLens(model, ids, { k: 3, keepLogits: true, target: ids[5] });
    for (const k of [0, -1, 1.5]) assert.throws(() => logitLens(model, ids, { k }), /k \(tokens per cell\) must be a whole number/, `k ${k}`);
    assert.equal(lens.layers.length, model.config.layers + 1);
    const want = plainLogits(model, ids);
    const diff = maxAbsDiff(lens.finalLogits!.flat(), want);
    assert.ok(diff < 1e-5, `lens last layer differs from logits by ${diff}`);
    // the top-1 of the last row is the argmax of the real logits
    const V = model.config.vocabSize;
    for (let t = 0; t < ids.length; t++) {
      const row = want.subarray(t * V, (t + 1) * V);
      assert.equal(lens.cells[model.config.layers][t].ids[0], row.indexOf(Math.max(...row)));
    }
    assert.equal(lens.target!.ranks.length, model.config.layers + 1);
  });

  test(`${name}: direct logit attribution parts sum to the logit within 1e-4`, { skip }, () => {
    const model = referenceModel(name);
    const ids = referenceIds(name);
    const want = plainLogits(model, ids);
    const V = model.config.vocabSize;
    for (const [pos, token, wrong] of [[ids.length - 1, 7, undefined], [10, 100, 200]] as const) {
      const a = directLogitAttribution(model, ids, { position: pos, token, wrong });
      const expected = want[pos * V + token] - (wrong === undefined ? 0 : want[pos * V + wrong]);
      const sum = a.parts.reduce((s, p) => s + p.value, 0);
      assert.ok(Math.abs(sum - expected) < 1e-4, `parts sum to ${sum}, the logit is ${expected}`);
      const c = model.config;
      assert.equal(a.parts.filter((p) => p.kind === 'head').length, c.layers * c.heads);
      assert.equal(a.parts.filter((p) => p.kind === 'mlp').length, c.layers);
    }
  });

  test(`${name}: patching everything restores the clean logits; patching nothing gives the corrupted ones`, { skip }, () => {
    const model = referenceModel(name);
    const clean = referenceIds(name);
    const corrupted = clean.map((id, i) => (i % 3 === 1 ? (id + 17) % model.config.vocabSize : id));
    const L = model.config.layers;
    const names: string[] = [];
    for (let l = 0; l < L; l++) names.push(`blocks.${l}.hook_resid_pre`, `blocks.${l}.attn.hook_z`, `blocks.${l}.hook_mlp_out`);
    const { cache } = runWithCache(model, clean, { names });
    const allZ: Patch[] = [];
    for (let l = 0; l < L; l++) allZ.push({ name: `blocks.${l}.attn.hook_z` }, { name: `blocks.${l}.hook_mlp_out` });
    const rows: Patch[][] = [
      [{ name: 'blocks.0.hook_resid_pre' }], // every position of the first residual
      [...allZ, { name: 'blocks.0.hook_resid_pre' }], // every head and MLP output, and the embeddings
      [], // nothing
    ];
    const logits = runPatched(model, cache, corrupted, rows).floats();
    const n = clean.length * model.config.vocabSize;
    const cleanLogits = plainLogits(model, clean), corruptedLogits = plainLogits(model, corrupted);
    assert.ok(maxAbsDiff(cleanLogits, corruptedLogits) > 1e-2, 'the corruption matters');
    for (const r of [0, 1]) {
      const d = maxAbsDiff(logits.subarray(r * n, (r + 1) * n), cleanLogits);
      assert.ok(d < 1e-5, `row ${r}: patched logits differ from clean by ${d}`);
    }
    const d = maxAbsDiff(logits.subarray(2 * n, 3 * n), corruptedLogits);
    assert.ok(d < 1e-5, `unpatched logits differ from corrupted by ${d}`);
  });

  test(`${name}: the patching sweep restores 1 at the changed position of layer 0 and 0 before it`, { skip }, () => {
    const model = referenceModel(name);
    const clean = referenceIds(name).slice(0, 12);
    const corrupted = [...clean];
    corrupted[4] = (clean[4] + 5) % model.config.vocabSize;
    const p = activationPatching(model, clean, corrupted, { answer: 10, wrong: 20 });
    assert.equal(p.resid.length, model.config.layers);
    // layer 0, position 4 is the only difference: patching it there restores the whole clean run
    assert.ok(Math.abs(p.resid[0][4] - 1) < 1e-4, `resid[0][4] = ${p.resid[0][4]}`);
    // positions before the change are equal in both runs: patching them does nothing
    for (let t = 0; t < 4; t++) assert.ok(Math.abs(p.resid[0][t]) < 1e-4, `resid[0][${t}] = ${p.resid[0][t]}`);
    assert.equal(p.heads[0].length, model.config.heads);
  });
}
