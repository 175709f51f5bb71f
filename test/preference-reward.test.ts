// The reward model: its head against a hand computation on the final hidden states, padding does
// not change a reward, training ranks a toy preference right, and a saved model loads back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as op from '../src/ops/index.js';
import { noGrad } from '../src/tensor/engine.js';
import { RewardModel } from '../src/preference/reward-model.js';
import { loadRewardModel, runRewardTraining, scorePairs } from '../src/preference/reward-train.js';
import { tokenizePairs } from '../src/preference/dpo-run.js';
import { parsePreferenceData } from '../src/preference/data.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import { tinyModel } from './preference-helpers.js';

const TOK = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .,!?:');

test('reward = final hidden state of the last token · score, computed by hand; padding changes nothing', () => {
  for (const arch of ['gpt2', 'llama'] as const) {
    const rm = RewardModel.init(tinyModel(arch, 4, TOK.vocabSize), new op.Rng(8));
    const examples = [{ prompt: TOK.encode('ab'), completion: TOK.encode('cd e') }, { prompt: TOK.encode('x'), completion: TOK.encode('y') }];
    const batched = noGrad(() => rm.rewards(examples).toArray());
    const w = rm.score.toArray(), D = rm.body.config.dim;
    examples.forEach((e, b) => {
      const seq = [...e.prompt, ...e.completion];
      // the model's own hidden states (Hugging Face's last entry is after the final norm), one sequence alone
      const hs = noGrad(() => rm.body.forward(op.tensor(Int32Array.from(seq), [1, seq.length]), { hiddenStates: true }).hiddenStates!);
      const last = hs[hs.length - 1].toArray().slice((seq.length - 1) * D, seq.length * D);
      let r = 0;
      for (let i = 0; i < D; i++) r += last[i] * w[i];
      assert.ok(Math.abs(batched[b] - r) < 1e-5, `${arch} row ${b}: ${batched[b]} vs ${r}`);
    });
  }
  assert.throws(() => new RewardModel(tinyModel('gpt2'), op.zeros([2, 16])), /must be \(1, 16\)/);
});

test('a reward model learns a toy preference, is saved, and loads back with the same rewards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-rm-'));
  const lines = [];
  for (let i = 0; i < 20; i++) lines.push(JSON.stringify({ prompt: `q${'abcde'[i % 5]}: `, chosen: i % 2 ? 'thank you kindly.' : 'yes, with pleasure.', rejected: i % 2 ? 'shut up!' : 'no, go away!' }));
  writeFileSync(join(dir, 'pairs.jsonl'), lines.join('\n'));
  const evals: number[] = [];
  const job = (out: string, resume = false) => ({
    data: join(dir, 'pairs.jsonl'), out: join(dir, out), heldOutFraction: 0.25, resume,
    options: { steps: 15, batchSize: 4, contextLength: 32, lr: 3e-3, warmupSteps: 1, evalInterval: 5, checkpointInterval: 5, seed: 2 },
  });
  const base = () => ({ model: tinyModel('llama', 6, TOK.vocabSize), tokenizer: TOK, path: 'tiny' });
  const straight: number[] = [];
  const { trainer, final } = runRewardTraining(job('rm'), base(), { onEval: (e) => evals.push(e.accuracy), onStep: (r) => straight.push(r.loss) });
  // killed after the checkpoint at step 5, then resumed: the same losses, bit for bit
  const resumed: number[] = [];
  assert.throws(() => runRewardTraining(job('rm2'), base(), { onStep: (r) => resumed.push(r.loss), onSave: (_d, s) => { if (s === 5) throw new Error('killed'); } }), /killed/);
  runRewardTraining(job('rm2', true), base(), { onStep: (r) => resumed.push(r.loss) });
  assert.deepEqual(resumed, straight);
  assert.equal(final!.accuracy, 1, `held-out pair accuracy by evaluation: ${evals.join(', ')}`);
  assert.ok(final!.margin > trainer.evals[0].margin);
  const loaded = loadRewardModel(join(dir, 'rm'));
  const pairs = tokenizePairs(parsePreferenceData(lines.join('\n'), 'p'), TOK, 32);
  assert.deepEqual(scorePairs(loaded, pairs, 4), scorePairs(trainer.rm, pairs, 4));
  assert.throws(() => loadRewardModel(join(dir, 'nothing')), /is not a reward model folder/);
});
