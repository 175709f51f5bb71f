// `glasslm forward` end to end: the saved logits equal Hugging Face's, and bad input is a clear error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

function glasslm(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args], { encoding: 'utf8' });
}

test('forward --save writes the reference logits and hidden states', { skip: skipUnlessShared('reference', 'gpt2-tiny') }, () => {
  const dir = sharedPath('reference', 'gpt2-tiny')!;
  const ref = readSafetensors(readFileSync(join(dir, 'reference.safetensors')));
  const ids = Array.from(ref.get('input_ids')!.data.subarray(0, 24));
  const out = join(mkdtempSync(join(tmpdir(), 'glasslm-')), 'out.safetensors');
  const r = glasslm('forward', '--model', dir, '--ids', ids.join(','), '--save', out);
  assert.equal(r.status, 0, r.stderr);
  const saved = readSafetensors(readFileSync(out));
  const logits = saved.get('logits')!;
  assert.deepEqual(logits.shape, [1, 24, 512]);
  const expected = ref.get('logits')!.data.subarray(0, 24 * 512);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(logits.data[i] - expected[i]));
  assert.ok(worst < 1e-4, `logits differ by ${worst}`);
  for (let i = 0; i <= 3; i++) assert.ok(saved.has(`hidden_states.${i}`), `hidden_states.${i} saved`);
});

test('forward refuses bad input with a message naming the problem', { skip: skipUnlessShared('reference', 'gpt2-tiny') }, () => {
  const dir = sharedPath('reference', 'gpt2-tiny')!;
  const cases: [string[], RegExp][] = [
    [['--model', dir, '--ids', '1,2,512'], /outside the vocabulary of 512/],
    [['--model', dir, '--ids', Array(65).fill(1).join(',')], /exceed the context window of 64/],
    [['--model', join(dir, 'missing'), '--ids', '1'], /does not exist/],
    [['--model', dir, '--ids', '1,-2'], /not a token id/],
    [['--model', dir, '--ids', '1,,2'], /entry 2 is empty .* a token id is missing between commas/],
    [['--model', dir, '--ids', ','], /--ids is empty/],
    [['--model', dir, '--ids', '1', '--frobnicate'], /Unknown option '--frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = glasslm('forward', ...args);
    assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});
