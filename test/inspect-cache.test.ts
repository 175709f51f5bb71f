// Hooks and the activation cache: a do-nothing hook changes no bit; every documented name is
// visited on both architectures; a filtered cache holds only what was asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockHookNames, cacheBytes, hookNames, runWithCache, runWithHooks } from '../src/inspect/cache.js';
import type { HookFn } from '../src/models/hooks.js';
import * as op from '../src/ops/index.js';
import { noGrad } from '../src/tensor/engine.js';
import { referenceIds, referenceModel } from './inspect-helpers.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadModel } from '../src/node.js';

for (const name of ['gpt2-tiny', 'llama-tiny']) {
  // A hook registered on hook_attn_scores switches the attention from the fused op to the written-out
  // softmax(q·kᵀ)·v so that a replacement can flow; that path rounds differently, so it is checked
  // to 1e-5 below instead of bit for bit. hook_pattern reads the fused kernel's own probabilities.
  test(`${name}: hooks that return nothing or the value unchanged leave every logit bit equal`, { skip: skipUnlessShared('reference', name) }, () => {
    const model = referenceModel(name);
    const ids = referenceIds(name);
    const plain = noGrad(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length], 'int32')).logits).toArray();
    const all = hookNames(model.config);
    assert.ok(all.some((n) => n.endsWith('attn.hook_pattern')));
    let calls = 0;
    const reader: HookFn = () => { calls++; };
    const identity: HookFn = (v) => v;
    for (const hook of [reader, identity]) {
      const hooks = new Map(all.map((n) => [n, hook] as const));
      const hooked = runWithHooks(model, ids, hooks).toArray();
      assert.equal(hooked.length, plain.length);
      for (let i = 0; i < plain.length; i++) assert.ok(Object.is(hooked[i], plain[i]), `logit ${i} differs: ${hooked[i]} vs ${plain[i]}`);
    }
    assert.equal(calls, all.length, 'the reading hook ran once per hook point');
  });

  test(`${name}: caching everything visits exactly the documented hook names`, { skip: skipUnlessShared('reference', name) }, () => {
    const model = referenceModel(name);
    const { cache } = runWithCache(model, referenceIds(name), { filter: () => true });
    const c = model.config;
    for (let l = 0; l < c.layers; l++) {
      const got = [...cache.keys()].filter((k) => k.startsWith(`blocks.${l}.`)).sort();
      assert.deepEqual(got, blockHookNames(c, l).sort(), `layer ${l}`);
    }
    const top = [...cache.keys()].filter((k) => !k.startsWith('blocks.')).sort();
    assert.deepEqual(top, (c.arch === 'gpt2' ? ['hook_embed', 'hook_pos_embed', 'ln_final.hook_normalized'] : ['hook_embed', 'ln_final.hook_normalized']).sort());
    // spelled out once more by hand, independent of blockHookNames, for one layer
    const mlp = c.arch === 'gpt2' ? ['mlp.hook_pre', 'mlp.hook_post'] : ['mlp.hook_pre', 'mlp.hook_pre_linear', 'mlp.hook_post'];
    for (const n of ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post', 'hook_attn_out', 'hook_mlp_out', 'ln1.hook_normalized', 'ln2.hook_normalized',
      'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern', 'attn.hook_z', ...mlp]) assert.ok(cache.has(`blocks.1.${n}`), n);
    const T = referenceIds(name).length;
    assert.deepEqual(cache.get('blocks.0.attn.hook_pattern')!.shape, [1, c.heads, T, T]);
    assert.deepEqual(cache.get('blocks.0.hook_resid_post')!.shape, [1, T, c.dim]);
  });
}

test('llama-tiny: read-only hooks on hook_attn_scores and hook_pattern change the logits by < 1e-5; replacing the pattern changes them', { skip: skipUnlessShared('reference', 'llama-tiny') }, () => {
  const model = referenceModel('llama-tiny');
  const ids = referenceIds('llama-tiny');
  const plain = runWithHooks(model, ids, {}).toArray();
  let seen = 0;
  const hooks: Record<string, HookFn> = {};
  for (let l = 0; l < model.config.layers; l++) {
    hooks[`blocks.${l}.attn.hook_attn_scores`] = () => { seen++; };
    hooks[`blocks.${l}.attn.hook_pattern`] = (p) => p;
  }
  const same = runWithHooks(model, ids, hooks).toArray();
  assert.equal(seen, model.config.layers);
  let worst = 0;
  for (let i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(plain[i] - same[i]));
  assert.ok(worst < 1e-5, `written-out attention differs from the fused one by ${worst}`);
  const uniform = runWithHooks(model, ids, { 'blocks.0.attn.hook_pattern': (p) => op.scale(op.add(op.scale(p, 0), op.ones(p.shape)), 1) }).toArray();
  assert.ok(uniform.some((v, i) => Math.abs(v - plain[i]) > 1e-3), 'replacing the pattern changes the logits');
});

test('stories260K: a cache filtered to resid_post is a small part of the full cache', { skip: skipUnlessShared('data', 'models', 'stories260K', 'stories260K.bin') }, () => {
  const model = loadModel(sharedPath('data', 'models', 'stories260K', 'stories260K.bin')!);
  const ids = Array.from({ length: 100 }, (_, i) => 1 + ((i * 37) % 500));
  const full = runWithCache(model, ids, { filter: () => true });
  const filtered = runWithCache(model, ids, { filter: (n) => n.endsWith('hook_resid_post') });
  const fullBytes = cacheBytes(full.cache), filteredBytes = cacheBytes(filtered.cache);
  // by hand: 5 layers × 100 positions × 64 floats × 4 bytes
  assert.equal(filteredBytes, 5 * 100 * 64 * 4);
  assert.ok(fullBytes > 10 * filteredBytes);
  console.log(`# stories260K, 100 tokens: full cache ${full.cache.size} tensors ${fullBytes} bytes; resid_post only ${filtered.cache.size} tensors ${filteredBytes} bytes`);
});
