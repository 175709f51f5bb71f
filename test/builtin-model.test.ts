// The committed built-in model: it loads by default, it is a trained model (far below the uniform
// loss on held-out TinyStories text), and the main job (`npm start` = glasslm demo) runs on it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelAndTokenizer } from '../src/cli/model-args.js';
import { evaluateText } from '../src/train/evaluate.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

test('the built-in model is trained: held-out TinyStories loss far below uniform', { skip: skipUnlessShared('data', 'corpora', 'tinystories-2MiB.txt') }, () => {
  const { model, tokenizer } = loadModelAndTokenizer({});
  assert.equal(model.config.vocabSize, 4096);
  const text = readFileSync(sharedPath('data', 'corpora', 'tinystories-2MiB.txt')!, 'utf8');
  const heldOut = text.slice(text.length - 4000); // from the last 5%, never trained on
  const r = evaluateText(model, tokenizer, heldOut);
  console.log(`built-in model on 4 KB of held-out text: ${r.lossPerToken.toFixed(3)} nats/token, ${r.bitsPerByte.toFixed(3)} bits/byte (uniform: ${Math.log(4096).toFixed(3)} nats/token)`);
  assert.ok(r.lossPerToken < 3.5, `loss ${r.lossPerToken} (measured 3.03 on the whole validation split)`);
  assert.ok(r.bitsPerByte < 1.4, `bits per byte ${r.bitsPerByte}`);
});

test('npm start (glasslm demo) tells a story on the built-in model and explains it', () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'demo', '--max-tokens', '30', '--threads', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^glasslm demo: llama model from .*models\/builtin, 3\.15M parameters/m);
  assert.match(r.stdout, /Once upon a time/);
  assert.match(r.stdout, /the prompt became 5 tokens/);
  assert.match(r.stdout, /averaged \d+\.\d%/);
});
