// The committed built-in model: it loads by default, it is a trained model (far below the uniform
// loss on held-out TinyStories text), and the main job (`npm start` = glasslm demo) runs on it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelAndTokenizer } from '../src/cli/model-args.js';
import { evaluateText } from '../src/train/evaluate.js';
import { evaluateDocuments } from '../src/train/evaluate-documents.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { setBackend } from '../src/tensor/engine.js';

// the WebAssembly backend as the CLI runs it (one thread: the test runner runs two files at once)
setBackend(await createWasmBackend({ threads: 1, sharedMemory: false }));

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

// stories260K (llama2.c, 260K parameters, trained on the whole 2 GB TinyStories set) is the peer: on
// the stories the built-in model never saw (each file's last 5%), each story scored from each model's
// own document start, the built-in model must predict the text at least as well, in bits per byte.
const STORIES260K = sharedPath('data', 'models', 'stories260K', 'stories260K.bin');
const TOK512 = sharedPath('data', 'models', 'stories260K', 'tok512.bin');
for (const file of ['tinystories-2MiB.txt', 'tinystories-v2-gpt4-1.4MB.txt']) {
  test(`held-out stories of ${file}: the built-in model is at least as good as stories260K in bits per byte`, { skip: skipUnlessShared('data', 'corpora', file) || skipUnlessShared('data', 'models', 'stories260K', 'stories260K.bin') }, () => {
    const text = readFileSync(sharedPath('data', 'corpora', file)!, 'utf8');
    const ours = loadModelAndTokenizer({});
    const peer = loadModelAndTokenizer({ model: STORIES260K, tokenizer: TOK512 });
    const a = evaluateDocuments(ours.model, ours.tokenizer, text, ours.model.contextLength, 0.05);
    const b = evaluateDocuments(peer.model, peer.tokenizer, text, peer.model.contextLength, 0.05);
    console.log(`${file}, ${a.documents} held-out stories (${a.bytes} bytes): built-in ${a.bitsPerByte.toFixed(4)} bits/byte, stories260K ${b.bitsPerByte.toFixed(4)}`);
    assert.equal(a.bytes, b.bytes, 'the same stories');
    assert.ok(a.bitsPerByte <= b.bitsPerByte, `built-in ${a.bitsPerByte} > stories260K ${b.bitsPerByte}`);
  });
}

test('npm start (glasslm demo) tells a story on the built-in model and explains it', () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'demo', '--max-tokens', '30', '--threads', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^glasslm demo: llama model from .*models\/builtin, 3\.15M parameters/m);
  assert.match(r.stdout, /Once upon a time/);
  assert.match(r.stdout, /the prompt became 5 tokens/);
  assert.match(r.stdout, /averaged \d+\.\d%/);
});
