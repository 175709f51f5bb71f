// The inspect views on a mixture-of-experts model: the logit lens's last row is the model's own
// logits; direct logit attribution splits each MLP per expert and its parts sum to the logit, with
// exactly 0 from experts a token did not choose; activation patching restores a one-token change;
// a hook that returns the router weights unchanged changes nothing, one that re-routes does; the
// expert-usage view agrees with a top-k of the router logits taken here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directLogitAttribution } from '../src/inspect/attribution.js';
import { runWithCache, runWithHooks } from '../src/inspect/cache.js';
import { expertUsage } from '../src/inspect/experts.js';
import { logitLens } from '../src/inspect/lens.js';
import { activationPatching } from '../src/inspect/patching.js';
import { configFromHf } from '../src/models/config.js';
import { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { tidy } from '../src/tensor/engine.js';

const base = { hidden_act: 'silu', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-5, vocab_size: 61, rope_theta: 10000, tie_word_embeddings: false };
const models = {
  Mixtral: configFromHf({ ...base, model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 2 }),
  'Qwen2-MoE': configFromHf({ ...base, model_type: 'qwen2_moe', num_experts: 5, num_experts_per_tok: 2, moe_intermediate_size: 16, shared_expert_intermediate_size: 24 }),
};
const ids = [3, 17, 42, 8, 55, 21, 9];

/** A model with larger weights than Model.init's, so routing and logits are far from uniform. */
function makeModel(config: (typeof models)['Mixtral']): Model {
  const m = Model.init(config, new op.Rng(21));
  for (const [name, t] of m.params) if (t.rank === 2 && !name.includes('norm')) t.data().forEach((v, i, a) => { a[i] = v * 8; });
  return m;
}

for (const [name, config] of Object.entries(models)) {
  test(`${name}: lens, attribution per expert, patching, hooks, expert usage`, () => {
    const model = makeModel(config);
    const logits = tidy(() => Array.from(runWithCache(model, ids).logits.floats()));
    const V = 61, T = ids.length;
    // lens: the last row is the model's logits
    const lens = logitLens(model, ids, { keepLogits: true });
    let d = 0;
    lens.finalLogits!.forEach((row, t) => row.forEach((v, i) => { d = Math.max(d, Math.abs(v - logits[t * V + i])); }));
    assert.ok(d <= 1e-5, `lens last row differs from the logits by ${d}`);
    // attribution: per-expert parts, summing to the logit; experts not chosen at the position contribute 0
    const attr = directLogitAttribution(model, ids);
    assert.ok(Math.abs(attr.total - attr.logit) <= 1e-4 * Math.max(1, Math.abs(attr.logit)), `parts sum ${attr.total}, logit ${attr.logit}`);
    const usage = expertUsage(model, ids);
    for (const layer of usage.layers) {
      const chosen = new Set(layer.tokens[T - 1].experts.map((x) => x.expert));
      const expertParts = attr.parts.filter((p) => p.layer === layer.layer && p.expert !== undefined);
      assert.equal(expertParts.length, usage.experts);
      for (const p of expertParts) if (!chosen.has(p.expert!)) assert.equal(p.value, 0, `${p.name} was not chosen`);
      assert.ok(expertParts.some((p) => p.value !== 0));
    }
    // expert usage against a top-2 of the router logits taken here
    const names = [0, 1].map((l) => `blocks.${l}.mlp.hook_router_logits`);
    tidy(() => {
      const { cache } = runWithCache(model, ids, { names });
      names.forEach((n, l) => {
        const lg = cache.get(n)!.floats(), E = usage.experts;
        for (let t = 0; t < T; t++) {
          const row = Array.from(lg.subarray(t * E, (t + 1) * E));
          const top = row.map((_, e) => e).sort((a, b) => row[b] - row[a]).slice(0, 2).sort();
          assert.deepEqual(usage.layers[l].tokens[t].experts.map((x) => x.expert).sort(), top, `layer ${l} token ${t}`);
        }
        assert.equal(usage.layers[l].counts.reduce((a, b) => a + b, 0), 2 * T);
      });
      for (const t of cache.values()) t.dispose();
    });
    // hooks: returning the router weights unchanged changes nothing; sending every token to expert 0 alone changes the logits
    const same = tidy(() => Array.from(runWithHooks(model, ids, { 'blocks.0.mlp.hook_router_weights': (w) => w }).floats()));
    assert.deepEqual(same, logits);
    const rerouted = tidy(() => Array.from(runWithHooks(model, ids, {
      'blocks.0.mlp.hook_router_weights': (w) => {
        const one = op.zeros(w.shape);
        const d1 = one.floats();
        for (let i = 0; i < d1.length; i += w.shape[2]) d1[i] = 1;
        return one;
      },
    }).floats()));
    assert.ok(rerouted.some((v, i) => Math.abs(v - logits[i]) > 1e-3), 're-routing changes the output');
    // patching: clean and corrupted differ at position 2 only; patching layer 0's residual there restores fully
    const corrupted = [...ids];
    corrupted[2] = 11;
    const p = activationPatching(model, ids, corrupted, { answer: 5, wrong: 7 });
    assert.ok(Math.abs(p.resid[0][2] - 1) < 1e-3, `restored ${p.resid[0][2]}`);
    assert.ok(Math.abs(p.resid[0][0]) < 1e-3, `position 0 restores ${p.resid[0][0]}`);
  });
}

test('expert usage refuses a dense model', () => {
  const dense = Model.init(configFromHf({ ...base, model_type: 'llama' }), new op.Rng(1));
  assert.throws(() => expertUsage(dense, ids), /no mixture of experts/);
});
