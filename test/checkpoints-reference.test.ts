// Checkpoints against Hugging Face (../shared/reference): every reference model, and stories260K
// from its llama2.c file, written as GGUF (F32, F16, Q8_0) and as Hugging Face folders (single
// and sharded), loaded back, must reproduce the reference logits. Max differences are printed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsFile } from '../src/io/safetensors-file.js';
import { writeSafetensorsShards } from '../src/io/safetensors-file.js';
import type { NamedTensor } from '../src/io/types.js';
import type { Model } from '../src/models/model.js';
import { type GgufDtype } from '../src/models/save.js';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadModel, saveGgufModel, saveHfModel } from '../src/node.js';

/** Largest |logits(model, ids) - expected|. */
function logitDiff(model: Model, ids: NamedTensor, expected: NamedTensor): number {
  return noGrad(() => tidy(() => {
    const out = model.forward(op.tensor(ids.data, ids.shape, 'int32')).logits;
    assert.deepEqual([...out.shape], expected.shape);
    const a = out.data();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - expected.data[i]));
    return worst;
  }));
}

/**
 * Bounds on the logit difference after a round trip through each dtype, set from measurements
 * (tiny random models / stories260K, max over prompts): F32 2.2e-7 / 1.4e-5; F16 3.9e-4 / 1.3e-2;
 * Q8_0 9.8e-3 / 0.45 (stories260K's weights are real and its logits large).
 */
const BOUND: Record<GgufDtype, { tiny: number; stories: number }> = {
  f32: { tiny: 1e-4, stories: 1e-4 },
  f16: { tiny: 1e-3, stories: 3e-2 },
  q8_0: { tiny: 2e-2, stories: 0.6 },
};

interface Case { name: string; source: string[]; ref: string[]; prompts: string[]; stories: boolean }
const CASES: Case[] = [
  { name: 'gpt2-tiny', source: ['reference', 'gpt2-tiny'], ref: ['reference', 'gpt2-tiny'], prompts: [''], stories: false },
  { name: 'llama-tiny', source: ['reference', 'llama-tiny'], ref: ['reference', 'llama-tiny'], prompts: [''], stories: false },
  { name: 'qwen2-tiny', source: ['reference', 'qwen2-tiny'], ref: ['reference', 'qwen2-tiny'], prompts: [''], stories: false },
  { name: 'stories260K-hf', source: ['reference', 'stories260K-hf'], ref: ['reference', 'stories260K-hf'], prompts: ['bos.', 'random_a.', 'random_b.'], stories: true },
  { name: 'stories260K.bin', source: ['data', 'models', 'stories260K', 'stories260K.bin'], ref: ['reference', 'stories260K-hf'], prompts: ['bos.', 'random_a.', 'random_b.'], stories: true },
];

function maxOverPrompts(model: Model, c: Case): number {
  const ref = readSafetensorsFile(join(sharedPath(...c.ref)!, 'reference.safetensors'));
  let worst = 0;
  for (const p of c.prompts) worst = Math.max(worst, logitDiff(model, ref.get(`${p}input_ids`)!, ref.get(`${p}logits`)!));
  return worst;
}

for (const c of CASES) {
  test(`${c.name}: GGUF F32/F16/Q8_0 and HF folders reproduce the reference logits`, { skip: skipUnlessShared(...c.source) || skipUnlessShared(...c.ref) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'glasslm-ckpt-'));
    try {
      const original = loadModel(sharedPath(...c.source)!);
      const log: string[] = [`${c.name}: loaded ${maxOverPrompts(original, c).toExponential(2)}`];
      for (const dtype of ['f32', 'f16', 'q8_0'] as const) {
        const path = join(dir, `${dtype}.gguf`);
        saveGgufModel(original, path, { dtype });
        const m = loadModel(path);
        const d = maxOverPrompts(m, c);
        log.push(`gguf ${dtype} ${d.toExponential(2)}`);
        const bound = BOUND[dtype][c.stories ? 'stories' : 'tiny'];
        assert.ok(d <= bound, `${c.name} through GGUF ${dtype}: logits differ by ${d} > ${bound}`);
        if (dtype === 'f32') {
          // GGUF -> HF folder -> load
          saveHfModel(m, join(dir, 'hf'));
          const back = loadModel(join(dir, 'hf'));
          const dh = maxOverPrompts(back, c);
          log.push(`gguf -> hf ${dh.toExponential(2)}`);
          assert.ok(dh <= 1e-4, `${c.name} GGUF -> HF folder: ${dh}`);
          back.dispose();
        }
        m.dispose();
      }
      console.log(log.join(', '));
      original.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a 2-shard safetensors folder with an index loads to the same logits', { skip: skipUnlessShared('reference', 'llama-tiny') }, () => {
  const src = sharedPath('reference', 'llama-tiny')!;
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-shards-'));
  try {
    const model = loadModel(src);
    saveHfModel(model, dir); // config.json (and a single model.safetensors, removed below)
    rmSync(join(dir, 'model.safetensors'));
    const tensors = [...model.params].map(([name, t]) => ({ name, shape: [...t.shape], data: t.data() as Float32Array }));
    const total = tensors.reduce((s, t) => s + t.data.byteLength, 0);
    const shards = writeSafetensorsShards(dir, tensors, Math.ceil(total * 0.75));
    assert.equal(shards.length, 2);
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    const d = maxOverPrompts(loadModel(dir), CASES[1]);
    console.log(`llama-tiny from 2 shards: ${d.toExponential(2)}`);
    assert.ok(d <= 1e-4, `sharded: ${d}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Q8_0 GGUF keeps norms and biases F32 and falls back to F16 for rows not a multiple of 32', { skip: skipUnlessShared('reference', 'stories260K-hf') }, async () => {
  const { openGgufFile } = await import('../src/io/lazy.js');
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-q8-'));
  try {
    const path = join(dir, 'q8.gguf');
    saveGgufModel(loadModel(sharedPath('reference', 'stories260K-hf')!), path, { dtype: 'q8_0' });
    const f = openGgufFile(path);
    const types = new Map(f.tensors.map((t) => [t.name, t.dtype]));
    f.close();
    assert.equal(types.get('blk.0.attn_norm.weight'), 'F32');
    assert.equal(types.get('output_norm.weight'), 'F32');
    assert.equal(types.get('blk.0.attn_q.weight'), 'Q8_0'); // rows of 64
    assert.equal(types.get('blk.0.ffn_down.weight'), 'F16'); // rows of 172
    assert.equal(types.get('token_embd.weight'), 'Q8_0');
    assert.equal(types.has('output.weight'), false, 'tied head: no output.weight');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
