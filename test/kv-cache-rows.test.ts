// Continuous batching in the model: KV-cache rows that hold different sequences (each at its own
// position) decode together in one batched forward, and every row's logits equal that sequence
// decoded alone (within 1e-5), on the CPU reference backend and on the WebAssembly backend.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { loadHfModel } from '../src/models/load-file.js';
import type { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { getBackend, noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import { sharedPath, skipUnlessShared } from './shared.js';

/** Logits (vocab) of each step: the prompt prefilled, then each of `next` fed one at a time, alone (batch 1). */
function alone(model: Model, prompt: number[], next: number[]): Float32Array[] {
  const cache = model.createKVCache(1);
  const out: Float32Array[] = [];
  noGrad(() => tidy(() => {
    out.push(Float32Array.from(model.forward(op.tensor(Int32Array.from(prompt), [1, prompt.length]), { kvCache: cache, lastPositionOnly: true }).logits.data()));
    for (const id of next) out.push(Float32Array.from(model.forward(op.tensor(Int32Array.of(id), [1, 1]), { kvCache: cache }).logits.data()));
  }));
  cache.dispose();
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function checkRows(name: string, model: Model, label: string): void {
  const V = model.config.vocabSize;
  const rng = new op.Rng(11);
  const prompts = [5, 9, 13].map((n) => Array.from({ length: n }, () => rng.int(V)));
  const steps = 6;
  const next = prompts.map(() => Array.from({ length: steps }, () => rng.int(V)));
  const expected = prompts.map((p, b) => alone(model, p, next[b]));
  const cache = model.createKVCache(3);
  let worst = 0;
  noGrad(() => tidy(() => {
    // each prompt prefilled into its own row (a view sharing the cache's storage and lengths)
    prompts.forEach((p, b) => {
      const row = cache.rows(b, 1);
      const logits = model.forward(op.tensor(Int32Array.from(p), [1, p.length]), { kvCache: row, lastPositionOnly: true }).logits.data();
      worst = Math.max(worst, maxDiff(logits, expected[b][0]));
      row.dispose();
    });
    assert.deepEqual(Array.from(cache.lengths), [5, 9, 13]);
    // then one batched forward per step: three rows at positions 5, 9, 13 (+ step)
    for (let s = 0; s < steps; s++) {
      const ids = Int32Array.from(next, (n) => n[s]);
      const logits = model.forward(op.tensor(ids, [3, 1]), { kvCache: cache }).logits.data(); // (3, 1, V)
      for (let b = 0; b < 3; b++) worst = Math.max(worst, maxDiff(logits.subarray(b * V, (b + 1) * V), expected[b][s + 1]));
    }
  }));
  assert.deepEqual(Array.from(cache.lengths), [11, 15, 19]);
  console.log(`${name} (${label}): batched rows vs each alone, max abs logit difference ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5, `${name} (${label}): batched logits differ by ${worst}`);
  cache.dispose();
}

for (const name of ['gpt2-tiny', 'llama-tiny']) {
  test(`${name}: rows of different lengths decode together as each alone (cpu)`, { skip: skipUnlessShared('reference', name) }, () => {
    checkRows(name, loadHfModel(sharedPath('reference', name)!), 'cpu');
  });

  test(`${name}: rows of different lengths decode together as each alone (wasm)`, { skip: skipUnlessShared('reference', name) }, async () => {
    const wasm = await createWasmBackend({ threads: 1 });
    const previous = setBackend(wasm);
    try {
      const model = loadHfModel(sharedPath('reference', name)!);
      assert.equal(getBackend().name, wasm.name);
      checkRows(name, model, 'wasm');
      model.dispose();
    } finally {
      setBackend(previous);
      wasm.dispose();
    }
  });
}

test('copyRow: a copied row continues exactly as its source; a finished row can be overwritten (compaction)', { skip: skipUnlessShared('reference', 'llama-tiny') }, () => {
  const model = loadHfModel(sharedPath('reference', 'llama-tiny')!);
  const V = model.config.vocabSize;
  const prompt = [3, 17, 99, 250, 7];
  const expected = alone(model, prompt, [42, 43]);
  const cache = model.createKVCache(2);
  noGrad(() => tidy(() => {
    const row1 = cache.rows(1, 1);
    model.forward(op.tensor(Int32Array.from(prompt), [1, prompt.length]), { kvCache: row1 });
    row1.dispose();
    cache.copyRow(1, 0); // row 0 now holds the same prompt
    assert.deepEqual(Array.from(cache.lengths), [5, 5]);
    for (const [s, id] of [42, 43].entries()) {
      const logits = model.forward(op.tensor(Int32Array.of(id, id), [2, 1]), { kvCache: cache }).logits.data();
      for (let b = 0; b < 2; b++) assert.ok(maxDiff(logits.subarray(b * V, (b + 1) * V), expected[s + 1]) < 1e-5, `row ${b} step ${s}`);
    }
  }));
  assert.throws(() => cache.rows(1, 2), /outside the KV cache's 2 rows/);
  cache.dispose();
});
