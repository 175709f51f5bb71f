// Generation: the KV cache gives the same logits as recomputing the sequence; greedy output of the
// real stories260K model matches llama2.c's; sampling is reproducible with a seed; limits are enforced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import { generateIds, generateText } from '../src/generate/generate.js';
import { Sampler, nucleusIds, topKIds } from '../src/generate/sampler.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadHfModel, loadModel, loadTokenizer } from '../src/node.js';

for (const name of ['gpt2-tiny', 'llama-tiny', 'qwen2-tiny']) {
  test(`${name}: KV-cache logits equal a full recomputation`, { skip: skipUnlessShared('reference', name) }, () => {
    const model = loadHfModel(sharedPath('reference', name)!);
    const rng = new op.Rng(5);
    const ids = Int32Array.from({ length: 20 }, () => rng.int(512));
    noGrad(() => tidy(() => {
      const full = model.forward(op.tensor(ids, [1, 20])).logits.data();
      const cache = model.createKVCache(1);
      // a prefill of 7, then single tokens, then a chunk of 5
      const chunks = [[0, 7], ...Array.from({ length: 8 }, (_, i) => [7 + i, 8 + i]), [15, 20]];
      let worst = 0;
      for (const [a, b] of chunks) {
        const step = model.forward(op.tensor(ids.slice(a, b), [1, b - a]), { kvCache: cache }).logits.data();
        for (let i = 0; i < step.length; i++) worst = Math.max(worst, Math.abs(step[i] - full[a * 512 + i]));
      }
      console.log(`${name}: KV cache vs full recompute, max abs difference ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-5, `KV-cache logits differ by ${worst}`);
      cache.dispose();
    }));
  });
}

const stories = ['data', 'models', 'stories260K'];

test('stories260K.bin + tok512.bin: greedy story from BOS, as llama2.c prints it', { skip: skipUnlessShared(...stories, 'stories260K.bin') }, () => {
  const model = loadModel(join(sharedPath(...stories)!, 'stories260K.bin'));
  const tok = loadTokenizer(join(sharedPath(...stories)!, 'tok512.bin'));
  const r = generateText(model, tok, '', { temperature: 0, maxTokens: 60 });
  assert.ok(r.text.startsWith('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.'), r.text);
});

test('a seed makes sampling reproducible; different seeds differ', { skip: skipUnlessShared(...stories, 'stories260K.bin') }, () => {
  const model = loadModel(join(sharedPath(...stories)!, 'stories260K.bin'));
  const run = (seed: number) => [...generateIds(model, [1], { temperature: 1, topK: 40, topP: 0.95, seed, maxTokens: 30 })].map((t) => t.id);
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

test('sampler: top-k 1 is greedy, top-p keeps the nucleus, probabilities are the model\'s', () => {
  const logits = [1, 3, 2, 0.5];
  const z = logits.reduce((s, l) => s + Math.exp(l), 0);
  const greedy = new Sampler({ temperature: 0 }).sample(logits);
  assert.equal(greedy.id, 1);
  assert.ok(Math.abs(greedy.prob - Math.exp(3) / z) < 1e-12);
  const k1 = new Sampler({ temperature: 1.5, topK: 1, seed: 3 });
  for (let i = 0; i < 20; i++) assert.equal(k1.sample(logits).id, 1);
  // p(1) = 0.61, p(2) = 0.22: top-p 0.7 keeps tokens 1 and 2 only
  const nucleus = new Sampler({ temperature: 1, topP: 0.7, seed: 3 });
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) seen.add(nucleus.sample(logits).id);
  assert.deepEqual([...seen].sort(), [1, 2]);
  assert.throws(() => new Sampler({ topP: 0 }), /top-p/);
  assert.throws(() => new Sampler({ temperature: -1 }), /temperature/);
});

test('top-k and top-p candidates equal a full sort (ties: the lower id first)', () => {
  const rng = new op.Rng(21);
  for (const V of [1, 5, 100, 5000]) {
    // rounded logits make many ties
    const logits = Array.from({ length: V }, () => Math.round(rng.normal() * 8) / 4);
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
    for (const k of [1, 2, 7, 40, V]) assert.deepEqual(Array.from(topKIds(logits, Math.min(k, V))), order.slice(0, Math.min(k, V)), `top-${k} of ${V}`);
    const max = Math.max(...logits);
    const w = logits.map((l) => Math.exp(l - max));
    const total = w.reduce((a, b) => a + b, 0);
    for (const p of [0.01, 0.3, 0.9, 0.999, 1]) {
      let n = 0, cum = 0;
      while (n < V && cum < p * total) cum += w[order[n++]];
      assert.deepEqual(nucleusIds(w, p), order.slice(0, n), `top-p ${p} of ${V}`);
      const k = Math.min(40, V), kept = order.slice(0, k), keptTotal = kept.reduce((s, id) => s + w[id], 0);
      let m = 0, c = 0;
      while (m < k && c < p * keptTotal) c += w[kept[m++]];
      assert.deepEqual(nucleusIds(w, p, kept), kept.slice(0, m), `top-k then top-p ${p} of ${V}`);
    }
  }
});

test('the context window is enforced unless truncation is asked for', { skip: skipUnlessShared('reference', 'gpt2-tiny') }, () => {
  const model = loadHfModel(sharedPath('reference', 'gpt2-tiny')!);
  const long = Array.from({ length: 70 }, (_, i) => i);
  assert.throws(() => generateIds(model, long, { maxTokens: 1 }).next(), /70 tokens; the context window is 64 tokens/);
  const out = [...generateIds(model, long, { maxTokens: 5, temperature: 0, truncate: true })];
  assert.equal(out.length, 1, 'one token fits after a truncated 63-token prompt');
  assert.equal(out[0].position, 63);
});
