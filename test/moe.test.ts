// Mixture of experts: the routed MLP against a plain float64 loop written here, its gradients
// (router and the chosen experts' weights) against finite differences, only the chosen experts
// computed (an expert full of NaN never touches the tokens it did not get), the load-balancing
// loss against a hand-computed example, KV-cache decoding, and Mixtral / Qwen2-MoE round trips
// through Hugging Face folders (per-expert and fused tensors) and GGUF.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backward } from '../src/autograd/backward.js';
import { writeSafetensorsFile } from '../src/io/safetensors-file.js';
import { configFromHf, configToHf } from '../src/models/config.js';
import { HookContext } from '../src/models/hooks.js';
import { Projections } from '../src/models/linear.js';
import { loadModel, saveGgufModel, saveHfModel } from '../src/node.js';
import { Model } from '../src/models/model.js';
import { type MoeLayer, loadBalancingLoss, routedMlp } from '../src/models/moe.js';
import type { LinearSpec } from '../src/models/family.js';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import type { Tensor } from '../src/tensor/tensor.js';

const rng = new op.Rng(2024);
const C = 4, E = 4, F = 3, S = 5;

/** A routed layer's parameters (float64, trainable), Mixtral-named, with an optional shared expert. */
function layer(opts: { normTopK: boolean; shared: boolean; topK?: number }) {
  const params = new Map<string, Tensor>();
  const specs: LinearSpec[] = [];
  const add = (name: string, out: number, inDim: number) => {
    const t = op.randn([out, inDim], rng, 0.7, 'float64');
    t.requiresGrad = true;
    params.set(name, t);
    specs.push({ weight: name, in: inDim, out, layout: 'out-in', module: name, layer: 0, adaptable: true });
  };
  add('router', E, C);
  for (let e = 0; e < E; e++) add(`e${e}.gate`, F, C), add(`e${e}.up`, F, C), add(`e${e}.down`, C, F);
  if (opts.shared) add('s.gate', S, C), add('s.up', S, C), add('s.down', C, S), add('s.g', 1, C);
  const m: MoeLayer = {
    experts: E, topK: opts.topK ?? 2, normTopK: opts.normTopK, router: 'router',
    expert: (e) => ({ gate: `e${e}.gate`, up: `e${e}.up`, down: `e${e}.down` }),
    ...(opts.shared ? { shared: { gate: 's.gate', up: 's.up', down: 's.down', gateWeight: 's.g' } } : {}),
  };
  return { m, params, w: { params, proj: new Projections(params, new Map(), specs) } };
}

/** The routed MLP written out in float64 with plain loops: every expert on every token, then the top k kept. */
function naive(m: MoeLayer, params: Map<string, Tensor>, x: Float64Array, N: number): Float64Array {
  const W = (name: string) => params.get(name)!.data() as Float64Array;
  const matvec = (w: Float64Array, v: ArrayLike<number>, rows: number, cols: number) => Array.from({ length: rows }, (_, r) => { let s = 0; for (let c = 0; c < cols; c++) s += w[r * cols + c] * v[c]; return s; });
  const silu = (z: number) => z / (1 + Math.exp(-z));
  const mlp = (names: { gate: string; up: string; down: string }, v: ArrayLike<number>, hidden: number) => {
    const g = matvec(W(names.gate), v, hidden, C), u = matvec(W(names.up), v, hidden, C);
    return matvec(W(names.down), g.map((z, i) => silu(z) * u[i]), C, hidden);
  };
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    const v = x.subarray(n * C, (n + 1) * C);
    const logits = matvec(W(m.router), v, E, C);
    const order = logits.map((_, e) => e).sort((a, b) => logits[b] - logits[a] || a - b).slice(0, m.topK);
    const max = Math.max(...logits);
    const all = logits.map((l) => Math.exp(l - max));
    const total = all.reduce((a, b) => a + b, 0);
    const chosenSum = order.reduce((a, e) => a + all[e], 0);
    for (const e of order) {
      const weight = m.normTopK ? all[e] / chosenSum : all[e] / total;
      const y = mlp(m.expert(e), v, F);
      for (let c = 0; c < C; c++) out[n * C + c] += weight * y[c];
    }
    if (m.shared) {
      const y = mlp(m.shared, v, S);
      const g = 1 / (1 + Math.exp(-matvec(W(m.shared.gateWeight), v, 1, C)[0]));
      for (let c = 0; c < C; c++) out[n * C + c] += g * y[c];
    }
  }
  return out;
}

for (const opts of [{ normTopK: true, shared: false }, { normTopK: false, shared: true }]) {
  const label = opts.shared ? 'Qwen2-MoE-style (shared expert, no renormalisation)' : 'Mixtral-style (softmax over the top 2)';

  test(`${label}: routed MLP equals a plain loop over every expert`, () => {
    const { m, params, w } = layer(opts);
    const x = op.randn([2, 3, C], rng, 1, 'float64');
    const got = noGrad(() => routedMlp(m, w, x, new HookContext(), 'mlp.')).data() as Float64Array;
    const want = naive(m, params, x.data() as Float64Array, 6);
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
    assert.ok(d < 1e-12, `differ by ${d}`);
  });

  test(`${label}: gradients of the router, the chosen experts and the input match finite differences`, () => {
    const { m, params, w } = layer(opts);
    const x = op.randn([1, 5, C], rng, 1, 'float64');
    x.requiresGrad = true;
    const probe = op.randn([1, 5, C], rng, 1, 'float64');
    const loss = () => op.sum(op.mul(routedMlp(m, w, x, new HookContext(), 'mlp.'), probe));
    tidy(() => backward(loss()));
    let worst = 0, checked = 0;
    const h = 1e-6;
    for (const t of [x, ...params.values()]) {
      const data = t.data() as Float64Array, grad = t.grad ? (t.grad.data() as Float64Array) : new Float64Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const saved = data[i];
        data[i] = saved + h;
        const up = noGrad(() => tidy(() => loss().item()));
        data[i] = saved - h;
        const down = noGrad(() => tidy(() => loss().item()));
        data[i] = saved;
        const numeric = (up - down) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - grad[i]) / Math.max(1, Math.abs(numeric)));
        checked++;
      }
    }
    console.log(`gradcheck routed MLP (${label}): ${checked} values, max relative difference ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-6, `gradient differs from finite differences by ${worst}`);
    assert.ok(params.get('router')!.grad!.data().some((g) => g !== 0), 'the router learns');
  });
}

test('only the chosen experts run: an expert full of NaN reaches exactly the tokens routed to it', () => {
  const { m, params, w } = layer({ normTopK: true, shared: false });
  for (const n of ['e1.gate', 'e1.up', 'e1.down']) params.get(n)!.data().fill(NaN);
  const ctx = new HookContext({ cache: ['mlp.hook_router_weights'] });
  const x = op.randn([1, 12, C], rng, 1, 'float64');
  const out = noGrad(() => routedMlp(m, w, x, ctx, 'mlp.')).data();
  const weights = ctx.cache.get('mlp.hook_router_weights')!.data();
  let routed = 0;
  for (let n = 0; n < 12; n++) {
    const toE1 = weights[n * E + 1] !== 0;
    routed += toE1 ? 1 : 0;
    for (let c = 0; c < C; c++) assert.equal(Number.isNaN(out[n * C + c]), toE1, `token ${n}`);
  }
  assert.ok(routed > 0 && routed < 12, `expert 1 got ${routed} of 12 tokens`);
});

test('load-balancing loss equals a hand-computed example (E 2, top 1, two layers)', () => {
  // layer 1 tokens: logits [0, ln 3] -> p = [1/4, 3/4], chooses 1; [ln 3, 0] -> [3/4, 1/4], chooses 0
  // layer 2 token:  [0, 0] -> [1/2, 1/2], chooses 0 (tie: the lower index); [0, ln 3] -> chooses 1
  // f = [2/4, 2/4]; P = mean p = [(1/4 + 3/4 + 1/2 + 1/4) / 4, (3/4 + 1/4 + 1/2 + 3/4) / 4] = [7/16, 9/16]
  // loss = E · Σ f·P = 2 · (1/2 · 7/16 + 1/2 · 9/16) = 1
  const l3 = Math.log(3);
  const a = op.tensor([0, l3, l3, 0], [2, 2], 'float64'), b = op.tensor([0, 0, 0, l3], [2, 2], 'float64');
  assert.ok(Math.abs(loadBalancingLoss([a, b], 2, 1).item() - 1) < 1e-12);
  // unbalanced: every token chooses expert 0 with p0 = 3/4: loss = 2 · (1 · 3/4) = 1.5
  const c = op.tensor([l3, 0, l3, 0, l3, 0], [3, 2], 'float64');
  assert.ok(Math.abs(loadBalancingLoss([c], 2, 1).item() - 1.5) < 1e-12);
  // top 2 of 3, uniform logits: f = [2/3, 2/3, 2/3], P = [1/3 …]: loss = 3 · 3 · (2/3 · 1/3) = 2
  assert.ok(Math.abs(loadBalancingLoss([op.zeros([4, 3], 'float64')], 3, 2).item() - 2) < 1e-12);
});

const base = { hidden_act: 'silu', hidden_size: 64, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-5, vocab_size: 97, rope_theta: 10000, tie_word_embeddings: false };
const MIXTRAL = { ...base, architectures: ['MixtralForCausalLM'], model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 2, router_aux_loss_coef: 0.02 };
const QWEN2MOE = { ...base, architectures: ['Qwen2MoeForCausalLM'], model_type: 'qwen2_moe', num_experts: 6, num_experts_per_tok: 2, moe_intermediate_size: 32, shared_expert_intermediate_size: 64, norm_topk_prob: false };

function run(model: Model, ids: number[]): Float32Array {
  return noGrad(() => tidy(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length], 'int32')).logits.data().slice() as Float32Array));
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

for (const [name, json] of [['Mixtral', MIXTRAL], ['Qwen2-MoE', QWEN2MOE]] as const) {
  test(`${name}: config.json round trip, KV cache equals recompute, HF folder and GGUF (f32, q8_0) round trips`, () => {
    const config = configFromHf(json);
    assert.deepEqual(configFromHf(configToHf(config)), config);
    const model = Model.init(config, new op.Rng(3));
    const ids = [5, 17, 3, 88, 41, 2, 9, 60, 33];
    const full = run(model, ids);
    // KV cache, one token at a time
    const cache = model.createKVCache(1);
    let worst = 0;
    noGrad(() => ids.forEach((id, t) => tidy(() => {
      worst = Math.max(worst, maxDiff(model.forward(op.tensor(Int32Array.from([id]), [1, 1], 'int32'), { kvCache: cache }).logits.data(), full.subarray(t * 97, (t + 1) * 97)));
    })));
    cache.dispose();
    assert.ok(worst <= 1e-5, `KV cache differs by ${worst}`);
    const dir = mkdtempSync(join(tmpdir(), 'glasslm-moe-'));
    try {
      saveHfModel(model, join(dir, 'hf'));
      saveGgufModel(model, join(dir, 'f32.gguf'));
      saveGgufModel(model, join(dir, 'q8.gguf'), { dtype: 'q8_0' });
      const log: string[] = [];
      for (const [kind, bound] of [['hf', 0], ['f32.gguf', 0], ['q8.gguf', 0.05]] as const) {
        const back = loadModel(join(dir, kind));
        assert.deepEqual(back.config, config, kind);
        const d = maxDiff(run(back, ids), full);
        log.push(`${kind} ${d.toExponential(2)}`);
        assert.ok(d <= bound, `${kind}: logits differ by ${d}`);
      }
      console.log(`${name}: KV cache ${worst.toExponential(2)}; ${log.join(', ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('Mixtral from a Hugging Face folder with fused experts (mlp.experts.gate_up_proj, down_proj, mlp.gate)', () => {
  const config = configFromHf(MIXTRAL);
  const model = Model.init(config, new op.Rng(9));
  const ids = [7, 3, 64, 12, 90, 45];
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-fused-'));
  try {
    const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
    const Fh = 64, Cd = 64, Ex = 4;
    const get = (n: string) => model.params.get(n)!.data() as Float32Array;
    for (const [name, t] of model.params) if (!name.includes('block_sparse_moe')) tensors.push({ name, shape: [...t.shape], data: t.data() as Float32Array });
    for (let l = 0; l < 2; l++) {
      const p = `model.layers.${l}.block_sparse_moe.`;
      const gateUp = new Float32Array(Ex * 2 * Fh * Cd), down = new Float32Array(Ex * Cd * Fh);
      for (let e = 0; e < Ex; e++) {
        gateUp.set(get(`${p}experts.${e}.w1.weight`), e * 2 * Fh * Cd);
        gateUp.set(get(`${p}experts.${e}.w3.weight`), e * 2 * Fh * Cd + Fh * Cd);
        down.set(get(`${p}experts.${e}.w2.weight`), e * Cd * Fh);
      }
      tensors.push({ name: `model.layers.${l}.mlp.experts.gate_up_proj`, shape: [Ex, 2 * Fh, Cd], data: gateUp });
      tensors.push({ name: `model.layers.${l}.mlp.experts.down_proj`, shape: [Ex, Cd, Fh], data: down });
      tensors.push({ name: `model.layers.${l}.mlp.gate.weight`, shape: [Ex, Cd], data: get(`${p}gate.weight`) });
    }
    mkdirSync(join(dir, 'hf'));
    writeSafetensorsFile(join(dir, 'hf', 'model.safetensors'), tensors, { format: 'pt' });
    writeFileSync(join(dir, 'hf', 'config.json'), JSON.stringify(MIXTRAL));
    assert.equal(maxDiff(run(loadModel(join(dir, 'hf')), ids), run(model, ids)), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config.json errors for mixtures glasslm does not run', () => {
  assert.throws(() => configFromHf({ ...MIXTRAL, num_experts_per_tok: 5 }), /exceeds num_local_experts/);
  assert.throws(() => configFromHf({ ...MIXTRAL, router_jitter_noise: 0.1 }), /router_jitter_noise/);
  assert.throws(() => configFromHf({ ...QWEN2MOE, decoder_sparse_step: 2 }), /decoder_sparse_step/);
  assert.throws(() => configFromHf({ ...QWEN2MOE, mlp_only_layers: [1] }), /mlp_only_layers/);
});
