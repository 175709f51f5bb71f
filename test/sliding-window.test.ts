// Mistral's sliding-window attention: the mask against a hand-worked one, the model against full
// attention when the window covers the sequence, against a shorter sequence when it does not
// (RoPE depends on relative positions only, so a one-layer model's last position sees exactly what
// a run of its last W tokens sees), the KV-cache path against full recompute, and the config
// through config.json and GGUF.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { causalMask } from '../src/models/attention-block.js';
import { configFromHf, configToHf, type LlamaConfig } from '../src/models/config.js';
import { loadModel } from '../src/models/load-file.js';
import { Model } from '../src/models/model.js';
import { saveGgufModel, saveHfModel } from '../src/models/save-file.js';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';

const I = -Infinity;
const mistral = (extra: Record<string, unknown> = {}) => ({
  architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_act: 'silu', hidden_size: 32, intermediate_size: 48,
  num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-5,
  vocab_size: 97, rope_theta: 10000, tie_word_embeddings: false, sliding_window: 3, ...extra,
});

function run(model: Model, ids: number[]): Float32Array {
  return noGrad(() => tidy(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length], 'int32')).logits.data().slice() as Float32Array));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

test('the sliding-window mask, worked by hand (window 2; with and without a cache offset)', () => {
  // 4 queries at positions 0..3 over keys 0..3: each sees itself and the one before
  const m = tidy(() => Array.from(causalMask(4, 4, 0, op.zeros([1]), 2).data()));
  assert.deepEqual(m, [
    0, I, I, I,
    0, 0, I, I,
    I, 0, 0, I,
    I, I, 0, 0,
  ]);
  // 2 new queries at positions 3, 4 after 3 cached keys (offset 3, keys 0..4), window 3
  const c = tidy(() => Array.from(causalMask(2, 5, 3, op.zeros([1]), 3).data()));
  assert.deepEqual(c, [
    I, 0, 0, 0, I,
    I, I, 0, 0, 0,
  ]);
  // no window: the plain causal mask
  const full = tidy(() => Array.from(causalMask(3, 3, 0, op.zeros([1])).data()));
  assert.deepEqual(full, [0, I, I, 0, 0, I, 0, 0, 0]);
});

test('config.json sliding_window: Mistral reads it, writes it back; a window covering the context is no window', () => {
  const c = configFromHf(mistral()) as LlamaConfig;
  assert.equal(c.slidingWindow, 3);
  assert.equal(configToHf(c).model_type, 'mistral');
  assert.equal(configToHf(c).sliding_window, 3);
  assert.deepEqual(configFromHf(configToHf(c)), c);
  assert.equal((configFromHf(mistral({ sliding_window: 64 })) as LlamaConfig).slidingWindow, undefined);
  assert.equal((configFromHf(mistral({ sliding_window: null })) as LlamaConfig).slidingWindow, undefined);
  assert.throws(() => configFromHf(mistral({ sliding_window: 0 })), /sliding_window' must be a positive integer/);
  assert.throws(() => configFromHf({ ...mistral(), model_type: 'qwen2', use_sliding_window: true }), /use_sliding_window/);
});

test('a window at least as long as the sequence gives exactly full attention; a shorter one changes the logits', () => {
  const windowed = configFromHf(mistral({ sliding_window: 8 })) as LlamaConfig;
  const { slidingWindow: _, ...plain } = windowed;
  const a = Model.init(windowed, new op.Rng(5));
  const b = new Model(plain as LlamaConfig, a.params);
  const ids = [5, 17, 3, 88, 41, 2, 9, 60];
  assert.equal(maxDiff(run(a, ids), run(b, ids)), 0, 'window 8 over 8 tokens is full attention');
  const short = new Model({ ...windowed, slidingWindow: 3 }, a.params);
  assert.ok(maxDiff(run(short, ids), run(b, ids)) > 1e-3, 'window 3 changes the logits of later positions');
  // the first 3 positions see the same keys either way
  assert.ok(maxDiff(run(short, ids).subarray(0, 3 * 97), run(b, ids).subarray(0, 3 * 97)) <= 1e-6);
});

test('one layer, window W: the last position equals a full-attention run of the last W tokens (RoPE is relative)', () => {
  const cfg = configFromHf(mistral({ num_hidden_layers: 1, sliding_window: 4 })) as LlamaConfig;
  const model = Model.init(cfg, new op.Rng(11));
  const ids = [12, 7, 33, 90, 4, 61, 25, 8, 70, 3];
  const V = 97, T = ids.length;
  const windowed = run(model, ids).subarray((T - 1) * V, T * V);
  const lastW = run(model, ids.slice(T - 4)).subarray(3 * V, 4 * V); // 4 tokens: the window never hides anything
  const d = maxDiff(windowed, lastW);
  console.log(`sliding window 4 over 10 tokens vs the last 4 alone: max abs difference ${d.toExponential(2)}`);
  assert.ok(d <= 1e-5, `differ by ${d}`);
});

test('sliding window with the KV cache: token-by-token decoding equals full recompute', () => {
  const cfg = configFromHf(mistral({ sliding_window: 3 })) as LlamaConfig;
  const model = Model.init(cfg, new op.Rng(13));
  const ids = [1, 50, 23, 77, 5, 64, 30, 12, 95];
  const full = run(model, ids);
  const cache = model.createKVCache(1);
  let worst = 0;
  noGrad(() => {
    // a 2-token prompt, then one token at a time
    tidy(() => {
      const r = model.forward(op.tensor(Int32Array.from(ids.slice(0, 2)), [1, 2], 'int32'), { kvCache: cache });
      worst = Math.max(worst, maxDiff(r.logits.data(), full.subarray(0, 2 * 97)));
    });
    for (let t = 2; t < ids.length; t++) {
      tidy(() => {
        const r = model.forward(op.tensor(Int32Array.from([ids[t]]), [1, 1], 'int32'), { kvCache: cache });
        worst = Math.max(worst, maxDiff(r.logits.data(), full.subarray(t * 97, (t + 1) * 97)));
      });
    }
  });
  cache.dispose();
  console.log(`sliding window 3: KV cache vs full recompute, max abs difference ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-5, `differ by ${worst}`);
});

test('a Mistral model with a sliding window round-trips through a HF folder and GGUF', () => {
  const cfg = configFromHf(mistral());
  const model = Model.init(cfg, new op.Rng(17));
  const ids = [3, 14, 15, 92, 65, 35, 89, 79];
  const expected = run(model, ids);
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-swa-'));
  try {
    saveHfModel(model, join(dir, 'hf'));
    saveGgufModel(model, join(dir, 'm.gguf'));
    for (const path of [join(dir, 'hf'), join(dir, 'm.gguf')]) {
      const back = loadModel(path);
      assert.deepEqual(back.config, cfg, path);
      assert.ok(maxDiff(run(back, ids), expected) <= 1e-6, path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
