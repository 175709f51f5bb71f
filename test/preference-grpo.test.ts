// GRPO: group advantages, the clipped objective and the k3 KL term against hand-computed values,
// gradients by finite differences, a user's reward function that throws or returns a non-number
// gives a clear error naming it, and a run resumed after a kill continues exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupAdvantages, grpoLoss } from '../src/preference/grpo-loss.js';
import { runGrpo, type GrpoJob } from '../src/preference/grpo-run.js';
import { loadRewardModule } from '../src/preference/reward-module.js';
import { rewardFromFunction } from '../src/preference/reward-source.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import * as op from '../src/ops/index.js';
import { maxGradError, tinyModel } from './preference-helpers.js';

test('group advantages: (r − mean) / (std + 1e-4) within each group, std with n − 1', () => {
  // groups [1, 2] and [3, 6]: means 1.5 and 4.5; std √(2·0.5²/1) = √0.5 and √(2·1.5²/1) = √4.5
  const a = groupAdvantages([1, 2, 3, 6], 2);
  const expected = [-0.5 / (Math.SQRT1_2 + 1e-4), 0.5 / (Math.SQRT1_2 + 1e-4), -1.5 / (Math.sqrt(4.5) + 1e-4), 1.5 / (Math.sqrt(4.5) + 1e-4)];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(a[i] - expected[i]) < 1e-12, `${a[i]} vs ${expected[i]}`);
  assert.ok(Math.abs(a[0] + 0.7070067953266834) < 1e-12); // python3: 0.5/(sqrt(0.5)+1e-4)
  assert.deepEqual(Array.from(groupAdvantages([5, 5, 5], 3)), [0, 0, 0], 'equal rewards carry no signal');
  assert.throws(() => groupAdvantages([1, 2, 3], 2), /not whole groups of 2/);
});

test('clipped objective and k3 KL equal the hand-computed loss and gradient', () => {
  // completion 0 (A = 1, two tokens): ℓ = (−1, −2), ℓ_old = (−1.1, −2), ℓ_ref = (−1, −1.5)
  //   ratios e^0.1 = 1.10517 (inside [0.8, 1.2]) and 1; KL: 0 and e^0.5 − 0.5 − 1 = 0.148721
  // completion 1 (A = 1, one token): ℓ = −0.5, ℓ_old = −1, ℓ_ref = −0.5: ratio e^0.5 = 1.6487 is clipped to 1.2
  // β = 0.04: J0 = (e^0.1 + 1) − 0.04·0.148721, J1 = 1.2; L = −(J0/2 + J1/1)/2 (python3: −1.1248055168119107)
  const logp = op.tensor(Float64Array.of(-1, -2, -0.5, 0), [2, 2]);
  logp.requiresGrad = true;
  const old = [-1.1, -2, -1, 0], ref = [-1, -1.5, -0.5, 0], mask = [1, 1, 1, 0], adv = [1, 1];
  const s = { clip: 0.2, klCoef: 0.04 };
  const { loss, stats } = grpoLoss(logp, old, ref, mask, adv, s);
  assert.ok(Math.abs(loss.item() + 1.1248055168119107) < 1e-12, `loss ${loss.item()}`);
  assert.ok(Math.abs(stats.kl - 0.03718031767503205) < 1e-12, `kl ${stats.kl}`); // (0.148721/2 + 0)/2
  assert.ok(Math.abs(stats.clipped - 1 / 3) < 1e-12);
  // dL/dℓ: −e^0.1/4 and −(1 − 0.04(1 − e^0.5))/4; 0 where clipping binds (python3)
  const err = maxGradError(() => grpoLoss(logp, old, ref, mask, adv, s).loss, [logp]);
  const g = logp.grad!.toArray();
  assert.ok(Math.abs(g[0] + 0.27629272951891193) < 1e-12 && Math.abs(g[1] + 0.25648721270700126) < 1e-12 && g[2] === 0 && g[3] === 0, `gradient ${g}`);
  assert.ok(err < 1e-7, `gradient vs finite differences ${err}`);
});

test("a user's reward function that throws or returns a non-number is a clear error naming it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-rl-'));
  const item = [{ prompt: 'p', completion: 'abc' }];
  assert.deepEqual(rewardFromFunction((_p: string, c: string) => c.length, 'len.mjs').score(item), [3]);
  assert.throws(() => rewardFromFunction(() => { throw new Error('boom'); }, 'bad.mjs').score(item), /reward function bad\.mjs threw on completion "abc": boom/);
  assert.throws(() => rewardFromFunction(() => 'high', 'str.mjs').score(item), /reward function str\.mjs returned string "high".*must return a finite number/);
  assert.throws(() => rewardFromFunction(() => NaN, 'nan.mjs').score(item), /returned NaN/);
  assert.throws(() => rewardFromFunction(async () => 1, 'async.mjs').score(item), /returned a Promise/);
  writeFileSync(join(dir, 'ok.mjs'), 'export default (prompt, completion) => completion.split("a").length - 1;');
  writeFileSync(join(dir, 'none.mjs'), 'export const x = 1;');
  writeFileSync(join(dir, 'obj.mjs'), 'export default { score: 1 };');
  assert.deepEqual((await loadRewardModule(join(dir, 'ok.mjs'))).score([{ prompt: '', completion: 'banana' }]), [3]);
  await assert.rejects(loadRewardModule(join(dir, 'none.mjs')), /none\.mjs: the module has no default export/);
  await assert.rejects(loadRewardModule(join(dir, 'obj.mjs')), /obj\.mjs: its default export must be a function/);
  await assert.rejects(loadRewardModule(join(dir, 'missing.mjs')), /reward function module '.*missing\.mjs' does not exist/);
});

test('GRPO resumed after a kill continues exactly; logs reward, KL, length, entropy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-grpo-'));
  const tok = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .');
  writeFileSync(join(dir, 'prompts.jsonl'), ['say a', 'tell b', 'write c'].map((p) => JSON.stringify({ prompt: p })).join('\n'));
  const reward = rewardFromFunction((_p: string, c: string) => c.split('a').length - 1, 'count-a');
  const job = (out: string, resume = false): GrpoJob => ({
    prompts: join(dir, 'prompts.jsonl'), out: join(dir, out), resume,
    grpo: { groupSize: 3, maxTokens: 6, temperature: 1, clip: 0.2, klCoef: 0.04, updatesPerBatch: 2 },
    options: { steps: 4, batchSize: 2, contextLength: 24, lr: 3e-3, warmupSteps: 1, checkpointInterval: 2, seed: 4 },
  });
  const base = () => ({ model: tinyModel('llama', 9, tok.vocabSize), tokenizer: tok, path: 'tiny' });
  const straight: number[][] = [];
  const a = runGrpo(job('straight'), base(), reward, { onStep: (r) => straight.push([r.loss, r.reward, r.kl, r.length, r.entropy]) });
  for (const row of straight) assert.ok(row.every(Number.isFinite), `logged ${row}`);
  assert.ok(straight[0][2] === 0 || straight[0][2] < 1e-9, 'KL to the reference is 0 before the first update');
  assert.ok(straight[3][2] > 0, 'KL grows once the policy moves');
  const first: number[][] = [], second: number[][] = [];
  assert.throws(() => runGrpo(job('run'), base(), reward, { onStep: (r) => first.push([r.loss, r.reward, r.kl, r.length, r.entropy]), onSave: (_d, s) => { if (s === 2) throw new Error('killed'); } }), /killed/);
  const b = runGrpo(job('run', true), base(), reward, { onStep: (r) => second.push([r.loss, r.reward, r.kl, r.length, r.entropy]) });
  assert.deepEqual([...first, ...second], straight);
  for (const [name, t] of a.policy.params) assert.deepEqual(b.policy.params.get(name)!.toArray(), t.toArray(), name);
  // with LoRA the base (the reference) stays bit for bit, and the adapter is saved in PEFT's layout
  const lb = base();
  const before = [...lb.model.params].map(([n, t]) => [n, t.toArray()] as const);
  const l = runGrpo({ ...job('lora'), lora: { rank: 2, alpha: 4, dropout: 0, targets: 'all-linear' } }, lb, reward);
  for (const [n, v] of before) assert.deepEqual(lb.model.params.get(n)!.toArray(), v, n);
  assert.ok([...l.trainable.values()].some((t) => t.toArray().some((x) => x !== 0)), 'the adapter trained');
  assert.ok(existsSync(join(dir, 'lora', 'adapter_model.safetensors')) && existsSync(join(dir, 'lora', 'adapter_config.json')));
});
