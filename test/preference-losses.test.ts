// DPO's losses (sigmoid, IPO, hinge) and the Bradley–Terry loss against hand-computed values,
// their gradients against finite differences, and completion log-probabilities against an
// unbatched computation through log-softmax.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import { bradleyTerryLoss, preferenceLoss } from '../src/preference/losses.js';
import { completionBatch, encodeExample, sequenceLogProbs } from '../src/preference/logprobs.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import { maxGradError, param64, tinyModel } from './preference-helpers.js';

// Two pairs, β = 0.1. Pair 1: πc −10, πr −12, ρc −11, ρr −11, so h = (−10+11) − (−12+11) = 2.
// Pair 2: πc −5, πr −4, ρc −6, ρr −6, so h = 1 − 2 = −1.
const pc = [-10, -5], pr = [-12, -4], rc = [-11, -6], rr = [-11, -6], beta = 0.1;
// by hand (a calculator): −log σ(0.2) = log(1 + e^−0.2) = 0.5981388693815918; −log σ(−0.1) = log(1 + e^0.1) = 0.744396660073571
// dL/dh = −β σ(−βh): −0.1·σ(−0.2) = −0.04501660026875222; −0.1·σ(0.1) = −0.052497918747894
const HAND = {
  sigmoid: { loss: (0.5981388693815918 + 0.744396660073571) / 2, dh: [-0.04501660026875222, -0.052497918747894] },
  // IPO: (h − 1/(2β))² = (2 − 5)² = 9 and (−1 − 5)² = 36; dL/dh = 2(h − 5) = −6, −12
  ipo: { loss: (9 + 36) / 2, dh: [-6, -12] },
  // hinge: max(0, 1 − βh) = 0.8 and 1.1; dL/dh = −β for both (βh < 1)
  hinge: { loss: (0.8 + 1.1) / 2, dh: [-0.1, -0.1] },
};

test('DPO sigmoid, IPO and hinge losses and gradients equal the hand-computed values', () => {
  for (const type of ['sigmoid', 'ipo', 'hinge'] as const) {
    const c = param64(pc), r = param64(pr);
    const { loss, stats } = preferenceLoss(type, beta, c, r, rc, rr);
    assert.ok(Math.abs(loss.item() - HAND[type].loss) < 1e-12, `${type} loss ${loss.item()} vs ${HAND[type].loss}`);
    const err = maxGradError(() => preferenceLoss(type, beta, c, r, rc, rr).loss, [c, r]);
    assert.ok(err < 1e-8, `${type}: gradient vs finite differences ${err}`);
    // dL/dπc = dh/B, dL/dπr = −dh/B
    for (let i = 0; i < 2; i++) {
      assert.ok(Math.abs(c.grad!.data()[i] - HAND[type].dh[i] / 2) < 1e-12, `${type} dL/dπc[${i}]`);
      assert.ok(Math.abs(r.grad!.data()[i] + HAND[type].dh[i] / 2) < 1e-12, `${type} dL/dπr[${i}]`);
    }
    // rewards β(π − ρ): chosen 0.1, 0.1; rejected −0.1, 0.2; pair 2 is ranked wrongly
    assert.ok(Math.abs(stats.chosenReward - 0.1) < 1e-12);
    assert.ok(Math.abs(stats.rejectedReward - 0.05) < 1e-12);
    assert.ok(Math.abs(stats.margin - 0.05) < 1e-12);
    assert.equal(stats.accuracy, 0.5);
  }
  // the hinge is flat once βh ≥ 1: h = 20 at β = 0.1
  const c = param64([0]), r = param64([-20]);
  const { loss } = preferenceLoss('hinge', 0.1, c, r, [0], [0]);
  assert.equal(loss.item(), 0);
  assert.throws(() => preferenceLoss('sigmoid', 0, c, r, [0], [0]), /β must be a number > 0/);
  assert.throws(() => preferenceLoss('kto' as never, 0.1, c, r, [0], [0]), /unknown preference loss 'kto'/);
});

test('Bradley–Terry loss: −log σ(rc − rr) by hand, gradient by finite differences', () => {
  // rewards (1.5, 0.2) and (−0.3, 0.4): −log σ(1.3) = log(1 + e^−1.3), −log σ(−0.7) = log(1 + e^0.7) (python3 math.log)
  const c = param64([1.5, -0.3]), r = param64([0.2, 0.4]);
  const { loss, accuracy, margin } = bradleyTerryLoss(c, r);
  assert.ok(Math.abs(loss.item() - (0.24100845383299216 + 1.103186048885458) / 2) < 1e-12, `BT loss ${loss.item()}`);
  assert.equal(accuracy, 0.5);
  assert.ok(Math.abs(margin - 0.3) < 1e-12);
  assert.ok(maxGradError(() => bradleyTerryLoss(c, r).loss, [c, r]) < 1e-8);
});

test('token log-probabilities: gradient by finite differences, and −mean equals cross-entropy', () => {
  const logits = op.randn([2, 3, 5], new op.Rng(1), 1, 'float64');
  logits.requiresGrad = true;
  const targets = op.tensor(Int32Array.of(1, -1, 4, 0, 2, -1), [2, 3]);
  const w = op.randn([2, 3], new op.Rng(2), 1, 'float64');
  assert.ok(maxGradError(() => op.sum(op.mul(op.tokenLogProbs(logits, targets), w)), [logits]) < 1e-8);
  noGrad(() => {
    const lp = op.tokenLogProbs(logits, targets).data();
    assert.equal(lp[1], 0);
    assert.equal(lp[5], 0);
    const ce = op.crossEntropy(logits, targets).item();
    assert.ok(Math.abs(-(lp[0] + lp[2] + lp[3] + lp[4]) / 4 - ce) < 1e-12);
  });
  assert.throws(() => op.tokenLogProbs(logits, op.tensor(Int32Array.of(9, 0, 0, 0, 0, 0), [2, 3])), /target 9 is outside the vocabulary/);
});

test('batched, padded completion log-probabilities equal each example run alone through log-softmax', () => {
  const tok = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .!?');
  for (const arch of ['gpt2', 'llama'] as const) {
    const model = tinyModel(arch);
    const examples = [
      encodeExample(tok, 'the cat ', 'sat.', { maxLength: 32 }),
      encodeExample(tok, 'a', 'dog ran far away!', { maxLength: 32 }),
      encodeExample(tok, 'why is the sky', ' blue?', { maxLength: 32 }),
    ];
    const batched = noGrad(() => sequenceLogProbs(model, examples).toArray() as number[]);
    examples.forEach((e, b) => {
      const seq = [...e.prompt, ...e.completion];
      const expected = noGrad(() => tidy(() => {
        const logp = op.logSoftmax(model.forward(op.tensor(Int32Array.from(seq), [1, seq.length])).logits).data();
        const V = model.config.vocabSize;
        let s = 0;
        for (let i = 0; i < e.completion.length; i++) { const pos = e.prompt.length - 1 + i; s += logp[pos * V + seq[pos + 1]]; }
        return s;
      }));
      assert.ok(Math.abs(batched[b] - expected) < 1e-4, `${arch} example ${b}: ${batched[b]} vs ${expected}`);
    });
  }
  // the window: prompt keeps its end (at least half), completion its start
  const e = encodeExample(tok, 'abcdefghij', 'klmnopqrst', { maxLength: 8 });
  assert.equal(tok.decode(e.prompt), 'ghij');
  assert.equal(tok.decode(e.completion), 'klmn');
  const b = completionBatch([{ prompt: [1, 2], completion: [3] }, { prompt: [4], completion: [5, 6] }]);
  assert.deepEqual(b.ids.toArray(), [1, 2, 4, 5]);
  assert.deepEqual(b.targets.toArray(), [-1, 3, 5, 6]);
});
