// matmulBias: without gradients the product accumulates into an output that starts as the bias;
// it must equal matmul then add (computed in float64 here), on both backends, for the shapes the
// models use (rows of a prompt, one decoded row, batches) and for transposed weights (nn.Linear).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { createCpuBackend } from '../src/backend/cpu/index.js';
import * as op from '../src/ops/index.js';
import { noGrad, setBackend, getBackend } from '../src/tensor/engine.js';

test('matmulBias equals x · W + b (float64 reference), on the cpu and wasm backends, with and without gradients', async () => {
  const previous = getBackend();
  const wasm = await createWasmBackend({ threads: 2 });
  try {
    for (const backend of [createCpuBackend(), wasm]) {
      setBackend(backend);
      const rng = new op.Rng(9);
      for (const [lead, k, n, transposed] of [[[1, 1], 64, 96, false], [[2, 7], 33, 40, false], [[37], 128, 300, true], [[1, 1], 768, 2304, false]] as const) {
        const rows = (lead as readonly number[]).reduce((p, d) => p * d, 1);
        const x = Array.from({ length: rows * k }, () => rng.normal()), w = Array.from({ length: k * n }, () => rng.normal()), b = Array.from({ length: n }, () => rng.normal());
        const X = op.tensor(x, [...lead, k]), B = op.tensor(b, [n]);
        // transposed: W given as (n, k) and read through its transpose, as nn.Linear stores it
        const W = transposed ? op.transpose(op.tensor(Array.from({ length: n * k }, (_, i) => w[(i % k) * n + Math.floor(i / k)]), [n, k])) : op.tensor(w, [k, n]);
        for (const grad of [false, true]) {
          const y = grad ? op.matmulBias(X, W, B).toArray() : noGrad(() => op.matmulBias(X, W, B).toArray());
          assert.deepEqual(op.matmulBias(X, W, B).shape, [...lead, n]);
          let worst = 0;
          for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
            let s = b[j];
            for (let t = 0; t < k; t++) s += x[r * k + t] * w[t * n + j];
            worst = Math.max(worst, Math.abs(y[r * n + j] - s));
          }
          assert.ok(worst < 1e-4 * Math.sqrt(k), `${backend.name} ${JSON.stringify([lead, k, n, transposed, grad])}: differs by ${worst}`);
        }
      }
    }
  } finally {
    setBackend(previous);
    wasm.dispose();
  }
});
