// llama2.c checkpoints: stories260K.bin must equal the Hugging Face conversion in
// ../shared/reference/stories260K-hf tensor for tensor, and v0/v1/v2 must round-trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLlama2c, llama2cToHfConfig } from '../src/io/llama2c.js';
import { writeLlama2c } from '../src/io/llama2c-write.js';
import { readSafetensorsFile } from '../src/io/safetensors-file.js';
import { interleavedToHalves, halvesToInterleaved } from '../src/io/permute.js';
import { sharedPath, skipUnlessShared } from './shared.js';

const BIN = ['data', 'models', 'stories260K', 'stories260K.bin'];
const HF = ['reference', 'stories260K-hf'];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('permute: interleaved (pairs 2i,2i+1) <-> halves (pairs i, i+hd/2), by hand', () => {
  // 1 head, headDim 4, 1 column: interleaved rows [a0 b0 a1 b1] -> halves [a0 a1 b0 b1]
  const inter = new Float32Array([10, 20, 11, 21]);
  assert.deepEqual([...interleavedToHalves(inter, 4, 1)], [10, 11, 20, 21]);
  assert.deepEqual([...halvesToInterleaved(new Float32Array([10, 11, 20, 21]), 4, 1)], [10, 20, 11, 21]);
  // 2 heads of 2 rows x 2 cols: headDim 2 has one pair, so the order does not change
  const w = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...interleavedToHalves(w, 4, 2)], [...w]);
});

test('stories260K.bin equals the HF reference conversion', { skip: skipUnlessShared(...BIN) || skipUnlessShared(...HF, 'model.safetensors') }, () => {
  const ckpt = readLlama2c(readFileSync(sharedPath(...BIN)!));
  assert.equal(ckpt.version, 0);
  assert.deepEqual(ckpt.config, { dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, sharedClassifier: true });
  const ref = readSafetensorsFile(sharedPath(...HF, 'model.safetensors')!);
  assert.deepEqual([...ckpt.tensors.keys()].sort(), [...ref.keys()].sort(), 'same parameter names (tied head: no lm_head.weight)');
  let worst = 0;
  for (const [name, t] of ckpt.tensors) {
    const r = ref.get(name)!;
    assert.deepEqual(t.shape, r.shape, name);
    worst = Math.max(worst, maxAbsDiff(t.data, r.data));
  }
  console.log(`stories260K: ${ckpt.tensors.size} tensors, max |diff| vs HF = ${worst}`);
  assert.equal(worst, 0);
});

test('llama2cToHfConfig matches the reference config.json', { skip: skipUnlessShared(...BIN) || skipUnlessShared(...HF, 'config.json') }, () => {
  const ckpt = readLlama2c(readFileSync(sharedPath(...BIN)!));
  const mine = llama2cToHfConfig(ckpt.config);
  const ref = JSON.parse(readFileSync(sharedPath(...HF, 'config.json')!, 'utf8'));
  for (const key of ['architectures', 'model_type', 'hidden_act', 'hidden_size', 'intermediate_size', 'num_attention_heads', 'num_key_value_heads',
    'num_hidden_layers', 'head_dim', 'vocab_size', 'max_position_embeddings', 'rms_norm_eps', 'tie_word_embeddings', 'rope_parameters']) {
    assert.deepEqual(mine[key], ref[key], key);
  }
  assert.equal(mine.rope_theta, ref.rope_parameters.rope_theta);
});

test('llama2.c v0 / v1 round-trip exactly, v2 within half a quantization step', { skip: skipUnlessShared(...BIN) }, () => {
  const orig = readLlama2c(readFileSync(sharedPath(...BIN)!));
  for (const version of [0, 1] as const) {
    const back = readLlama2c(writeLlama2c(orig.config, orig.tensors, { version }));
    assert.equal(back.version, version);
    assert.deepEqual(back.config, orig.config);
    for (const [name, t] of orig.tensors) assert.equal(maxAbsDiff(back.tensors.get(name)!.data, t.data), 0, `v${version} ${name}`);
  }
  const v2 = readLlama2c(writeLlama2c(orig.config, orig.tensors, { version: 2, groupSize: 64 }));
  assert.equal(v2.version, 2);
  assert.equal(v2.groupSize, 64);
  assert.deepEqual(v2.config, orig.config);
  for (const [name, t] of orig.tensors) {
    let amax = 0;
    for (const x of t.data) amax = Math.max(amax, Math.abs(x));
    // norms stay float32; quantized weights are off by at most scale/2 <= amax/254
    const tol = name.includes('norm') ? 0 : amax / 254 + 1e-7;
    assert.ok(maxAbsDiff(v2.tensors.get(name)!.data, t.data) <= tol, `v2 ${name}`);
  }
});

test('llama2.c: untied classifier (negative vocab_size) gives lm_head.weight', { skip: skipUnlessShared(...BIN) }, () => {
  const orig = readLlama2c(readFileSync(sharedPath(...BIN)!));
  const config = { ...orig.config, sharedClassifier: false };
  const tensors = new Map(orig.tensors);
  const head = new Float32Array(512 * 64).map((_, i) => (i % 7) - 3);
  tensors.set('lm_head.weight', { name: 'lm_head.weight', shape: [512, 64], data: head });
  for (const version of [0, 1] as const) {
    const bytes = writeLlama2c(config, tensors, { version });
    if (version === 0) assert.equal(new DataView(bytes.buffer).getInt32(20, true), -512);
    const back = readLlama2c(bytes);
    assert.equal(back.config.sharedClassifier, false);
    assert.deepEqual([...back.tensors.get('lm_head.weight')!.data], [...head]);
  }
});

test('llama2.c: malformed headers and sizes are refused with clear errors', { skip: skipUnlessShared(...BIN) }, () => {
  const bytes = readFileSync(sharedPath(...BIN)!);
  assert.throws(() => readLlama2c(bytes.subarray(0, 20)), /shorter than the 28-byte header/);
  assert.throws(() => readLlama2c(bytes.subarray(0, bytes.length - 4)), /needs 1056540 bytes, file has 1056536/);
  const bad = Uint8Array.from(bytes);
  new DataView(bad.buffer).setInt32(12, 7, true); // n_heads 7 does not divide dim 64
  assert.throws(() => readLlama2c(bad), /not divisible by n_heads/);
  new DataView(bad.buffer).setInt32(12, 0x7fffffff, true);
  assert.throws(() => readLlama2c(bad), /n_heads/);
  const v9 = new Uint8Array(256);
  new DataView(v9.buffer).setUint32(0, 0x616b3432, true);
  new DataView(v9.buffer).setInt32(4, 9, true);
  assert.throws(() => readLlama2c(v9), /unsupported version 9/);
});
