// The package entry point (package.json "main") exposes the library: load, tokenize, generate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

test('the package entry loads a model and a tokenizer and generates llama2.c\'s story', { skip: skipUnlessShared('data', 'models', 'stories260K') }, async () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  const glasslm = await import(join(projectRoot, pkg.main));
  const dir = sharedPath('data', 'models', 'stories260K')!;
  const model = glasslm.loadModel(join(dir, 'stories260K.bin'));
  const tok = glasslm.loadTokenizer(join(dir, 'tok512.bin'));
  const out = glasslm.generateText(model, tok, '', { temperature: 0, maxTokens: 40 });
  assert.ok(out.text.startsWith('Once upon a time, there was a little girl named Lily.'), out.text);
  assert.equal(typeof glasslm.inspect.logitLens, 'function');
  assert.equal(typeof glasslm.ops.matmul, 'function');
});
