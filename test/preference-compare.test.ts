// Before/after comparison: per-token log-probabilities against a direct log-softmax computation;
// a base against itself with a zero-initialised adapter differs by exactly nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLora } from '../src/lora/adapter.js';
import * as op from '../src/ops/index.js';
import { noGrad } from '../src/tensor/engine.js';
import { compareModels } from '../src/preference/compare.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import { tinyModel } from './preference-helpers.js';

const TOK = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .');

test('compare: answers, per-token log p under both models (checked by log-softmax), lens grids of the same ids', () => {
  const A = tinyModel('gpt2', 1, TOK.vocabSize), B = tinyModel('llama', 2, TOK.vocabSize);
  const r = compareModels({ name: 'a', model: A, adapter: null }, { name: 'b', model: B, adapter: null }, TOK, ['the cat'], { maxTokens: 5 });
  const p = r.prompts[0];
  assert.equal(p.answers[0].tokens.length, 5);
  const prompt = TOK.encodeOrdinary('the cat');
  for (const ans of p.answers) {
    const seq = [...prompt, ...ans.tokens.map((t) => t.id)];
    for (const [model, key] of [[A, 'logProbA'], [B, 'logProbB']] as const) {
      const lp = noGrad(() => op.logSoftmax(model.forward(op.tensor(Int32Array.from(seq), [1, seq.length])).logits).toArray());
      const V = TOK.vocabSize;
      ans.tokens.forEach((t, i) => {
        const pos = prompt.length - 1 + i;
        assert.ok(Math.abs(t[key] - lp[pos * V + seq[pos + 1]]) < 1e-5, `${ans.by} token ${i} ${key}`);
      });
    }
    ans.tokens.forEach((t) => assert.ok(Math.abs(t.diff - (t.logProbB - t.logProbA)) < 1e-12));
  }
  // greedy: A's own answer starts with A's argmax after the prompt
  assert.deepEqual(p.lens.a.ids, p.lens.b.ids);
  assert.equal(p.lens.a.cells.length, A.config.layers + 1);
});

test('a base against itself with a zero-initialised LoRA adapter: identical answers, every difference 0', () => {
  const model = tinyModel('llama', 5, TOK.vocabSize);
  const adapter = createLora(model.config, { rank: 2, alpha: 4, dropout: 0, targets: 'all-linear' }, new op.Rng(1));
  const r = compareModels({ name: 'base', model, adapter: null }, { name: 'base + adapter', model, adapter }, TOK, ['a b', 'zz'], { maxTokens: 4 });
  for (const p of r.prompts) {
    assert.equal(p.answers[0].text, p.answers[1].text);
    for (const a of p.answers) for (const t of a.tokens) assert.equal(t.diff, 0);
  }
  assert.equal(model.adapter, null, 'the model is left as it was');
});
