// The logit lens reads one layer's logits at a time: its memory is one T × vocab block, not one
// per layer (GPT-2-small over 1,000 tokens needed 4.4 GB and failed before this).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { logitLens } from '../src/inspect/lens.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { getBackend, setBackend } from '../src/tensor/engine.js';

test('the logit lens holds one layer of logits at a time', async () => {
  const previous = getBackend();
  const backend = await createWasmBackend({ threads: 1 });
  setBackend(backend);
  try {
    const V = 8192, T = 250, L = 24;
    const model = Model.init({ arch: 'gpt2', vocabSize: V, contextLength: 256, dim: 64, layers: L, heads: 4, mlpHidden: 128, normEps: 1e-5 } as never, new op.Rng(3));
    const ids = Array.from({ length: T }, (_, i) => (i * 37) % V);
    logitLens(model, ids.slice(0, 8), { k: 3 }); // the first run's scratch, not the lens's logits
    const before = backend.memoryBytes();
    const lens = logitLens(model, ids, { k: 3 });
    const grown = backend.memoryBytes() - before, oneLayer = T * V * 4;
    assert.equal(lens.cells.length, L + 1);
    console.log(`memory grown by the lens: ${(grown / 2 ** 20).toFixed(1)} MiB; one layer's logits ${(oneLayer / 2 ** 20).toFixed(1)} MiB, all ${L + 1} layers' ${((L + 1) * oneLayer / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(grown < 0.4 * (L + 1) * oneLayer, `the lens grew the memory by ${grown} bytes, near all ${L + 1} layers' logits (${oneLayer} bytes each)`);
    model.dispose();
  } finally {
    setBackend(previous);
    backend.dispose();
  }
});
