// The package entries expose the library: the main entry ("." in package.json exports) loads
// models and tokenizers from bytes; the Node entry ("./node") adds path-based loading.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
const entry = (name: string) => import(join(projectRoot, pkg.exports[name].default));
const STORY = 'Once upon a time, there was a little girl named Lily.';

test('the main entry loads stories260K.bin + tok512.bin from bytes and generates llama2.c\'s story', { skip: skipUnlessShared('data', 'models', 'stories260K') }, async () => {
  const glasslm = await entry('.');
  const dir = sharedPath('data', 'models', 'stories260K')!;
  const files = { 'stories260K.bin': readFileSync(join(dir, 'stories260K.bin')), 'tok512.bin': readFileSync(join(dir, 'tok512.bin')) };
  const model = glasslm.loadModelFromFiles(files);
  const tok = glasslm.loadTokenizerFromFiles(files);
  const out = glasslm.generateText(model, tok, '', { temperature: 0, maxTokens: 40 });
  assert.ok(out.text.startsWith(STORY), out.text);
  assert.equal(typeof glasslm.inspect.logitLens, 'function');
  assert.equal(typeof glasslm.ops.matmul, 'function');
  assert.equal(glasslm.loadModel, undefined, 'path loaders belong to glasslm/node');
});

test('the Node entry loads by path, and re-exports the main entry', { skip: skipUnlessShared('data', 'models', 'stories260K') }, async () => {
  const glasslm = await entry('./node');
  const main = await entry('.');
  const dir = sharedPath('data', 'models', 'stories260K')!;
  const model = glasslm.loadModel(join(dir, 'stories260K.bin'));
  const tok = glasslm.loadTokenizer(join(dir, 'tok512.bin'));
  const out = glasslm.generateText(model, tok, '', { temperature: 0, maxTokens: 40 });
  assert.ok(out.text.startsWith(STORY), out.text);
  for (const name of Object.keys(main)) {
    if (name === 'Trainer' || name === 'io') continue; // extended with folder checkpoints / file helpers
    assert.equal(glasslm[name], main[name], `glasslm/node re-exports ${name}`);
  }
  assert.ok(glasslm.Trainer.prototype instanceof main.Trainer);
  assert.equal(typeof glasslm.io.openGgufFile, 'function');
  assert.equal(glasslm.io.openGgufBytes, main.io.openGgufBytes);
});
