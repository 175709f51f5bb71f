// The inspect commands end to end on stories260K: JSON output agrees with the model's own logits,
// files are written, and bad input is a clear one-line error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as op from '../src/ops/index.js';
import { noGrad } from '../src/tensor/engine.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';
import { loadModel } from '../src/node.js';

const skip = skipUnlessShared('data', 'models', 'stories260K', 'stories260K.bin');
const dir = join('data', 'models', 'stories260K');
const modelArgs = () => ['--model', sharedPath(dir, 'stories260K.bin')!, '--tokenizer', sharedPath(dir, 'tok512.bin')!];

function glasslm(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args], { encoding: 'utf8' });
}

test('lens --json: the last row\'s top tokens are the argmax of the model\'s logits; --html writes an SVG page', { skip }, () => {
  const html = join(mkdtempSync(join(tmpdir(), 'glasslm-')), 'lens.html');
  const r = glasslm('lens', 'Once upon a time', ...modelArgs(), '--json', '--html', html);
  assert.equal(r.status, 0, r.stderr);
  const lens = JSON.parse(r.stdout);
  const model = loadModel(sharedPath(dir, 'stories260K.bin')!);
  const ids: number[] = lens.ids;
  const logits = noGrad(() => model.forward(op.tensor(Int32Array.from(ids), [1, ids.length], 'int32')).logits).floats();
  const V = model.config.vocabSize;
  for (let t = 0; t < ids.length; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    assert.equal(lens.cells[lens.cells.length - 1][t].ids[0], row.indexOf(Math.max(...row)), `position ${t}`);
  }
  assert.match(readFileSync(html, 'utf8'), /<svg[\s\S]*<\/svg>[\s\S]*<\/html>/);
});

test('attribute, attention, patch, neurons and vectors run and print', { skip }, () => {
  const cases: [string[], RegExp][] = [
    [['attribute', 'Once upon a time, there was a little girl named Lily. She', '--token', 'was', '--wrong', 'had', '--no-color'], /parts sum to/],
    [['attention', 'Lily saw a cat. Lily saw a', '--layer', '1', '--head', '2', '--query=-1', '--no-color'], /induction score[\s\S]*rollout/],
    [['patch', '--clean', 'There was a girl named Lily. One day,', '--corrupted', 'There was a girl named Tim. One day,', '--answer', 'she', '--wrong', 'he', '--no-color'], /resid_pre patched/],
    [['neurons', 'Once upon a time', '--top', '3'], /most active MLP neurons/],
    [['vectors', 'tokens', 'Lily', '--top', '3'], /nearest tokens/],
  ];
  for (const [args, out] of cases) {
    const r = glasslm(...args, ...modelArgs());
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, out);
  }
});

test('bad input is a clear error, never a stack', { skip }, () => {
  const cases: [string[], RegExp][] = [
    [['patch', '--clean', 'Lily and Ben', '--corrupted', 'Lily and Timmy Smith'], /must be the same length/],
    [['lens', 'Once', '--target', 'Once upon'], /is 2 tokens/],
    [['attention', 'Once', '--layer', '9'], /--layer 9 is outside 0..4/],
    [['attribute', 'Once', '--position', '7'], /position 7 is outside/],
    [['vectors', 'frobnicate'], /unknown action 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = glasslm(...args, ...modelArgs());
    assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});
