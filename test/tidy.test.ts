// tidy() frees what its function made, also when the function throws: a long-running process (the
// server answering a view that fails half-way, say out of memory) must not keep that memory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as op from '../src/ops/index.js';
import { tidy } from '../src/tensor/engine.js';
import type { Tensor } from '../src/tensor/tensor.js';

test('a tidy that throws disposes every tensor it made, nested scopes too, and the error goes on', () => {
  const made: Tensor[] = [];
  const outside = op.tensor(Float32Array.from([1, 2, 3]), [3]);
  assert.throws(() => tidy(() => {
    const a = op.tensor(Float32Array.from([1, 2, 3]), [3]);
    const b = op.add(a, outside);
    made.push(a, b);
    tidy(() => {
      const c = op.mul(b, b);
      made.push(c);
      return c; // survives the inner scope, belongs to the outer one
    });
    throw new Error('half-way');
  }), /half-way/);
  for (const t of made) assert.equal(t.isDisposed, true, 'made inside the failed scope: freed');
  assert.equal(outside.isDisposed, false, 'made before the scope: untouched');
  const kept = tidy(() => op.add(outside, outside));
  assert.equal(kept.isDisposed, false, 'a successful tidy still returns its result alive');
  assert.deepEqual(Array.from(kept.data() as Float32Array), [2, 4, 6]);
});
