// Config forms real checkpoints come in: Llama 3 (rope_scaling llama3), Mistral, SmolLM (llama with
// tied embeddings), and the old top-level rope_theta. Each becomes a random tiny model, is saved as
// a Hugging Face folder and as GGUF, loaded back, and must give the same logits and config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGgufFile } from '../src/io/lazy.js';
import { configFromHf, type LlamaConfig } from '../src/models/config.js';
import { llamaInverseFrequencies } from '../src/models/families/llama/index.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import { loadModel, saveGgufModel, saveHfModel } from '../src/node.js';

const base = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_act: 'silu', hidden_size: 64, intermediate_size: 96,
  num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-5, vocab_size: 300,
};

const CONFIGS: Record<string, Record<string, unknown>> = {
  'Llama 3 (rope_scaling llama3)': {
    ...base, rope_theta: 500000.0, tie_word_embeddings: false,
    rope_scaling: { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192 },
  },
  'Mistral': { ...base, architectures: ['MistralForCausalLM'], model_type: 'mistral', rope_theta: 1000000.0, sliding_window: null, tie_word_embeddings: false },
  'SmolLM (tied embeddings)': { ...base, rope_theta: 10000.0, tie_word_embeddings: true },
  'old-style top-level rope_theta': { ...base, rope_theta: 50000.0 },
};

function logits(model: Model, ids: Int32Array): Float32Array {
  return noGrad(() => tidy(() => model.forward(op.tensor(ids, [2, ids.length / 2])).logits.data().slice() as Float32Array));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

for (const [name, json] of Object.entries(CONFIGS)) {
  test(`${name}: HF folder and GGUF round trips keep the config and the logits`, () => {
    const config = configFromHf(json);
    const model = Model.init(config, new op.Rng(7));
    const ids = Int32Array.from({ length: 2 * 20 }, (_, i) => (i * 37 + 11) % 300);
    const expected = logits(model, ids);
    const dir = mkdtempSync(join(tmpdir(), 'glasslm-cfg-'));
    try {
      saveHfModel(model, join(dir, 'hf'));
      saveGgufModel(model, join(dir, 'm.gguf'));
      const log: string[] = [];
      for (const path of [join(dir, 'hf'), join(dir, 'm.gguf')]) {
        const back = loadModel(path);
        assert.deepEqual(back.config, config, `${path}: config`);
        const d = maxDiff(logits(back, ids), expected);
        log.push(`${path.endsWith('.gguf') ? 'gguf' : 'hf'} ${d.toExponential(2)}`);
        assert.ok(d <= 1e-5, `${name} via ${path}: logits differ by ${d}`);
      }
      console.log(`${name}: ${log.join(', ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('Llama 3 inverse frequencies match the Hugging Face formula, and GGUF rope_freqs holds their ratios', () => {
  const c = configFromHf(CONFIGS['Llama 3 (rope_scaling llama3)']) as LlamaConfig;
  // transformers' _compute_llama3_parameters, in float64
  const D = 16, theta = 500000, factor = 8, low = 1, high = 4, old = 8192;
  const lowWavelen = old / low, highWavelen = old / high;
  const expected: number[] = [];
  const regimes = new Set<string>();
  for (let i = 0; i < D; i += 2) {
    const inv = 1 / theta ** (i / D);
    const wavelen = (2 * Math.PI) / inv;
    let scaled = wavelen > lowWavelen ? inv / factor : inv;
    if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
      const smooth = (old / wavelen - low) / (high - low);
      scaled = (1 - smooth) * (scaled / factor) + smooth * scaled;
      regimes.add('smoothed');
    } else regimes.add(wavelen > lowWavelen ? 'divided' : 'kept');
    expected.push(scaled);
  }
  assert.deepEqual([...regimes].sort(), ['divided', 'kept', 'smoothed'], 'the test covers all three bands');
  const actual = llamaInverseFrequencies(c);
  assert.equal(actual.length, D / 2);
  for (let j = 0; j < D / 2; j++) assert.ok(Math.abs(actual[j] - expected[j]) <= 1e-6 * expected[j], `inv_freq[${j}] ${actual[j]} vs ${expected[j]}`);

  const dir = mkdtempSync(join(tmpdir(), 'glasslm-rope-'));
  try {
    const path = join(dir, 'm.gguf');
    saveGgufModel(Model.init(c, new op.Rng(1)), path);
    const f = openGgufFile(path);
    const t = f.tensors.find((x) => x.name === 'rope_freqs.weight')!;
    const factors = new Float32Array(D / 2);
    t.readInto(factors);
    f.close();
    for (let j = 0; j < D / 2; j++) {
      const unscaled = 1 / theta ** ((2 * j) / D);
      assert.ok(Math.abs(unscaled / factors[j] - expected[j]) <= 1e-6 * expected[j], `rope_freqs[${j}]`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Llama 3 GGUF from llama.cpp (rope_freqs.weight, no glasslm keys) loads with the same scaling', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { readGguf } = await import('../src/io/gguf/read.js');
  const { writeGguf } = await import('../src/io/gguf/write.js');
  const { GgmlType } = await import('../src/io/gguf/constants.js');
  const config = configFromHf(CONFIGS['Llama 3 (rope_scaling llama3)']);
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-rope-'));
  try {
    const path = join(dir, 'm.gguf');
    saveGgufModel(Model.init(config, new op.Rng(3)), path);
    const file = readGguf(readFileSync(path));
    for (const key of [...file.metadata.keys()]) if (key.startsWith('glasslm.')) file.metadata.delete(key);
    const tensors = [...file.tensors.values()].map((t) => ({ ...t, type: GgmlType.F32 }));
    writeFileSync(path, writeGguf({ metadata: file.metadata, tensors }));
    assert.deepEqual(loadModel(path).config, config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
