// LoRA: an adapter with B = 0 changes nothing; merging equals running unmerged; gradients match
// finite differences; tensors carry PEFT's names and shapes; an int8 base passes gradients on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoraAdapter, createLora, selectModules, type LoraLayer } from '../src/lora/index.js';
import { loadLora, parseLoraSpec, saveLora } from '../src/lora/files.js';
import { Model } from '../src/models/model.js';
import { configFromHf, type ModelConfig } from '../src/models/config.js';
import * as op from '../src/ops/index.js';
import { keep, noGrad, tidy } from '../src/tensor/engine.js';
import { backward } from '../src/autograd/backward.js';
import { readSafetensors } from '../src/io/safetensors.js';

const GPT2 = { model_type: 'gpt2', vocab_size: 40, n_embd: 32, n_layer: 2, n_head: 2, n_positions: 16 };
const LLAMA = { model_type: 'llama', vocab_size: 40, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 64, max_position_embeddings: 16 };
const ids = op.tensor([3, 1, 4, 1, 5, 9, 2, 6], [2, 4], 'int32');

/** Sets every B of an adapter to random values (a trained adapter). */
function randomizeB(adapter: LoraAdapter, rng: op.Rng): void {
  for (const l of adapter.layers.values()) {
    const b = l.B.floats();
    for (let i = 0; i < b.length; i++) b[i] = rng.normal() * 0.5;
  }
}

for (const [arch, hf, targets] of [['GPT-2 (Conv1D)', GPT2, ['c_attn', 'c_proj', 'c_fc']], ['Llama', LLAMA, 'all-linear']] as const) {
  test(`${arch}: B = 0 leaves every logit bit-identical; merged equals unmerged within 1e-5`, () => {
    const config = configFromHf(hf);
    const model = Model.init(config, new op.Rng(1));
    const base = tidy(() => model.forward(ids).logits.toArray());
    const adapter = createLora(config, { rank: 4, alpha: 8, dropout: 0, targets: targets as string[] | 'all-linear' }, new op.Rng(2));
    model.adapter = adapter;
    const zeroB = tidy(() => model.forward(ids).logits.toArray());
    assert.deepEqual(zeroB, base, 'B = 0: bit-identical');
    randomizeB(adapter, new op.Rng(3));
    const adapted = tidy(() => model.forward(ids).logits.toArray());
    const changed = adapted.reduce((m, x, i) => Math.max(m, Math.abs(x - base[i])), 0);
    assert.ok(changed > 1e-3, `a trained adapter changes the logits (${changed})`);
    adapter.mergeInto(model);
    assert.equal(model.adapter, null);
    const merged = tidy(() => model.forward(ids).logits.toArray());
    const diff = merged.reduce((m, x, i) => Math.max(m, Math.abs(x - adapted[i])), 0);
    console.log(`${arch}: merged vs unmerged max |Δlogit| ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-5, `merged vs unmerged: ${diff}`);
  });
}

test('LoRA gradients (A and B, through Conv1D and Linear) match central finite differences in float64', () => {
  for (const hf of [GPT2, LLAMA]) {
    const config = configFromHf({ ...hf, n_embd: 8, hidden_size: 8, intermediate_size: 16, n_layer: 1, num_hidden_layers: 1 });
    const f32 = Model.init(config, new op.Rng(5));
    const params = new Map([...f32.params].map(([n, t]) => [n, keep(op.tensor(Float64Array.from(t.floats()), t.shape, 'float64'))]));
    const model = new Model(config, params);
    const rng = new op.Rng(6);
    const layers = new Map<string, LoraLayer>();
    for (const m of selectModules(config, 'all-linear')) {
      const t = (shape: number[]) => keep(op.randn(shape, rng, 0.3, 'float64'));
      layers.set(m.name, { module: m, A: t([2, m.in]), B: t([m.out, 2]), scale: 1.5 });
    }
    const adapter = new LoraAdapter({ rank: 2, alpha: 3, dropout: 0, targets: 'all-linear' }, layers);
    model.adapter = adapter;
    model.setTrainable(false);
    for (const t of adapter.params().values()) t.requiresGrad = true;
    const x = op.tensor([1, 7, 2, 9, 4], [1, 5], 'int32');
    const y = op.tensor([7, 2, -1, 4, 3], [1, 5], 'int32');
    const loss = () => model.forward(x, { targets: y }).loss!;
    tidy(() => backward(loss()));
    let worst = 0;
    const h = 1e-6;
    for (const [name, p] of adapter.params()) {
      const data = p.data() as Float64Array, grad = p.grad!.data();
      for (let i = 0; i < data.length; i += 3) {
        const saved = data[i];
        data[i] = saved + h;
        const up = noGrad(() => tidy(() => loss().item()));
        data[i] = saved - h;
        const down = noGrad(() => tidy(() => loss().item()));
        data[i] = saved;
        const numeric = (up - down) / (2 * h);
        const d = Math.abs(numeric - grad[i]) / Math.max(1, Math.abs(numeric));
        if (d > worst) worst = d;
        assert.ok(d < 1e-6, `${config.arch} ${name}[${i}]: analytic ${grad[i]}, numeric ${numeric}`);
      }
    }
    console.log(`LoRA gradcheck ${config.arch}: max relative difference ${worst.toExponential(2)}`);
  }
});

test('PEFT layout: names and shapes as PEFT saves them; files round-trip; a scale suffix parses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-lora-'));
  try {
    const gpt2 = configFromHf(GPT2);
    const a = createLora(gpt2, { rank: 4, alpha: 16, dropout: 0.05, targets: ['c_attn', 'c_fc'] }, new op.Rng(1));
    randomizeB(a, new op.Rng(2));
    saveLora(a, dir, gpt2, 'tiny-gpt2');
    const file = readSafetensors(readFileSync(join(dir, 'adapter_model.safetensors')));
    const shapes = Object.fromEntries([...file].map(([n, t]) => [n, t.shape]));
    // PEFT: lora_A is nn.Linear(in, r) -> weight (r, in); lora_B is nn.Linear(r, out) -> (out, r); Conv1D's in/out from its (in, out) weight
    assert.deepEqual(shapes, {
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight': [4, 32],
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight': [96, 4],
      'base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight': [4, 32],
      'base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight': [128, 4],
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight': [4, 32],
      'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight': [96, 4],
      'base_model.model.transformer.h.1.mlp.c_fc.lora_A.weight': [4, 32],
      'base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight': [128, 4],
    });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.peft_type, 'LORA');
    assert.equal(cfg.task_type, 'CAUSAL_LM');
    assert.equal(cfg.r, 4);
    assert.equal(cfg.lora_alpha, 16);
    assert.equal(cfg.fan_in_fan_out, true);
    assert.deepEqual(cfg.target_modules, ['c_attn', 'c_fc']);
    // read back: the same outputs
    const model = Model.init(gpt2, new op.Rng(9));
    model.adapter = a;
    const before = tidy(() => model.forward(ids).logits.toArray());
    model.adapter = loadLora(dir, gpt2);
    assert.deepEqual(tidy(() => model.forward(ids).logits.toArray()), before);
    // Llama names: q_proj (H·D, C), k_proj/v_proj (Hkv·D, C)
    const llama = configFromHf(LLAMA);
    const l = createLora(llama, { rank: 2, alpha: 2, dropout: 0, targets: ['q_proj', 'k_proj'] }, new op.Rng(1));
    const names = Object.fromEntries([...l.params()].map(([n, t]) => [n, [...t.shape]]));
    assert.deepEqual(names['base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight'], [32, 2]);
    assert.deepEqual(names['base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight'], [16, 2]);
    assert.deepEqual(names['base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight'], [2, 32]);
    assert.throws(() => loadLora(dir, llama), /adapts 'transformer\.h\.0\.attn\.c_attn', which is not a linear layer of this model/);
    assert.throws(() => createLora(llama, { rank: 2, alpha: 2, dropout: 0, targets: ['c_attn'] }, new op.Rng(1)), /LoRA target 'c_attn' names no linear layer/);
    assert.deepEqual(parseLoraSpec(`${dir}:0.5`), { dir, multiplier: 0.5 });
    assert.deepEqual(parseLoraSpec(dir), { dir, multiplier: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LoRA on an int8 (Q8_0) base: gradients flow through the frozen int8 products to every adapter', () => {
  const config: ModelConfig = configFromHf(LLAMA);
  const grads = (quantize: boolean, prompt: number[]): Map<string, Float32Array> => {
    const model = Model.init(config, new op.Rng(1));
    if (quantize) model.quantize('q8_0', { keepFloat: false });
    const adapter = createLora(config, { rank: 4, alpha: 8, dropout: 0, targets: 'all-linear' }, new op.Rng(2));
    randomizeB(adapter, new op.Rng(3));
    model.adapter = adapter;
    for (const t of adapter.params().values()) t.requiresGrad = true;
    // 2 rows of 3 (under the int8 kernel's dense threshold) and 2 rows of 8 (the dense path)
    const T = prompt.length / 2;
    tidy(() => backward(model.forward(op.tensor(prompt, [2, T], 'int32'), { targets: op.tensor(prompt.map((x) => (x + 1) % 40), [2, T], 'int32') }).loss!));
    return new Map([...adapter.params()].map(([n, t]) => [n, Float32Array.from(t.grad!.floats())]));
  };
  for (const prompt of [[1, 2, 3, 4, 5, 6], Array.from({ length: 16 }, (_, i) => (i * 7) % 40)]) {
    const f = grads(false, prompt), q = grads(true, prompt);
    for (const [name, g] of f) {
      const gq = q.get(name)!;
      let dot = 0, nf = 0, nq = 0;
      for (let i = 0; i < g.length; i++) { dot += g[i] * gq[i]; nf += g[i] * g[i]; nq += gq[i] * gq[i]; }
      assert.ok(nq > 0, `${name}: a gradient reaches it on the int8 base`);
      const cos = dot / Math.sqrt(nf * nq);
      assert.ok(cos > 0.99, `${name}: int8 and float gradients agree (cosine ${cos})`);
    }
  }
});
