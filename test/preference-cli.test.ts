// The preference commands end to end on the built-in model with tiny inputs: dpo, reward, score,
// rl and compare run; bad data and bad reward modules are clear one-line errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error, write = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

test('dpo, reward, score, rl and compare run on the built-in model; errors are clear', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-pref-cli-'));
  const pairs = join(dir, 'pairs.jsonl');
  writeFileSync(pairs, ['Lily', 'Tom', 'Sue', 'Max'].map((n) => JSON.stringify({ prompt: `${n} asked for the ball.`, chosen: ` ${n} said thank you.`, rejected: ` ${n} was mean.` })).join('\n'));
  const common = ['--steps', '1', '--batch-size', '2', '--context', '32', '--held-out', '0.5'];
  let r = await run(['dpo', '--data', pairs, '--out', join(dir, 'dpo'), '--loss', 'ipo', '--beta', '0.5', ...common]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /step 0: held-out loss/);
  assert.ok(existsSync(join(dir, 'dpo', 'train-state.safetensors')) && existsSync(join(dir, 'dpo', 'loss.svg')));
  r = await run(['reward', '--data', pairs, '--out', join(dir, 'rm'), ...common]);
  assert.equal(r.code, 0, r.err);
  r = await run(['score', '--model', join(dir, 'rm'), '--prompt', 'Hi.', '--answer', ' Hello.', '--answer', ' Go away.', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).answers.length, 2);
  const prompts = join(dir, 'prompts.jsonl');
  writeFileSync(prompts, '{"prompt": "Once upon a time"}\n');
  writeFileSync(join(dir, 'throws.mjs'), 'export default () => { throw new Error("no judge today"); };');
  writeFileSync(join(dir, 'len.mjs'), 'export default (p, c) => c.length;');
  const rl = ['rl', '--prompts', prompts, '--steps', '1', '--batch-size', '1', '--group', '2', '--max-tokens', '4', '--context', '32'];
  r = await run([...rl, '--reward-fn', join(dir, 'throws.mjs'), '--out', join(dir, 'rl-bad')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /glasslm rl: reward function .*throws\.mjs threw on completion .*: no judge today/);
  r = await run([...rl, '--reward-fn', join(dir, 'len.mjs'), '--out', join(dir, 'rl')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mean of the last 1 steps:  reward/);
  r = await run([...rl, '--reward-model', join(dir, 'rm'), '--out', join(dir, 'rl-rm')]);
  assert.equal(r.code, 0, r.err);
  r = await run(['compare', '--b', join(dir, 'dpo'), '--prompt', 'Tom asked for the ball.', '--max-tokens', '3', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).prompts[0].answers.length, 2);
  // bad input: one clear line each
  writeFileSync(join(dir, 'bad.jsonl'), '{"prompt": "a", "chosen": "b"}\n');
  r = await run(['dpo', '--data', join(dir, 'bad.jsonl'), '--out', join(dir, 'x'), ...common]);
  assert.equal(r.code, 1);
  assert.match(r.err, /glasslm dpo: .*bad\.jsonl:1: key 'rejected': is missing/);
  r = await run(['dpo', '--data', pairs, '--out', join(dir, 'y'), '--loss', 'kto']);
  assert.match(r.err, /--loss must be one of sigmoid, ipo, hinge, got 'kto'/);
  r = await run(['rl', '--prompts', prompts, '--out', join(dir, 'z')]);
  assert.match(r.err, /give one reward: --reward-model DIR or --reward-fn MODULE/);
});
