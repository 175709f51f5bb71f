// Documents: the split at story boundaries that train and eval --documents share, the token layout
// [sep, story, sep, story, ...], and scoring each story from the model's own document start,
// checked against hand-worked examples and a log-softmax computed here from the model's logits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model, modelConfigFor, ops, trainBpe } from '../src/index.js';
import { firstHeldOutDocument, splitDocuments } from '../src/train/documents.js';
import { splitFileTokens, tokenizeText } from '../src/train/data-file.js';
import { evaluateDocuments } from '../src/train/evaluate-documents.js';
import { noGrad } from '../src/tensor/engine.js';

const TEXT = 'Tom ran.\n<|endoftext|>\n  Sue sat down.  \n<|endoftext|>\n\n<|endoftext|>\nA cat.\n';

test('documents are the trimmed, non-empty pieces between separators, with their start', () => {
  const docs = splitDocuments(TEXT);
  assert.deepEqual(docs.map((d) => d.text), ['Tom ran.', 'Sue sat down.', 'A cat.']);
  for (const d of docs) assert.equal(TEXT.slice(d.start, d.start + d.text.length), d.text);
  // hand-worked: 77 characters; the last 30% starts at floor(77 × 0.7) = 53; 'Sue…' starts at 25, 'A cat.' at 70
  assert.equal(TEXT.length, 77);
  assert.equal(docs[1].start, 25);
  assert.equal(docs[2].start, 70);
  assert.equal(firstHeldOutDocument(docs, TEXT.length, 0.3), 2);
  assert.equal(firstHeldOutDocument(docs, TEXT.length, 0.7), 1); // cut at 23: 'Sue' (25) is the first after it
  assert.equal(firstHeldOutDocument(docs, TEXT.length, 0), 3);
  assert.throws(() => firstHeldOutDocument(docs, TEXT.length, 1), /held-out fraction must be in \[0, 1\)/);
});

test('a file of documents tokenizes as [sep, story, sep, story, …] and splits at a separator', () => {
  const tok = trainBpe('Tom ran. Sue sat down. A cat. '.repeat(20), { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  const sep = tok.specialTokens.get('<|endoftext|>')!;
  const ids = tokenizeText(TEXT, tok);
  const expected = [sep, ...tok.encode('Tom ran.'), sep, ...tok.encode('Sue sat down.'), sep, ...tok.encode('A cat.')];
  assert.deepEqual([...ids], expected);
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-docs-'));
  try {
    const path = join(dir, 'stories.txt');
    writeFileSync(path, TEXT);
    const { train, val } = splitFileTokens(path, ids, tok, 0.3);
    assert.deepEqual([...val], [sep, ...tok.encode('A cat.')]);
    assert.equal(train.length + val.length, ids.length);
    // a text without separators loses its last tokens, as before
    const plain = join(dir, 'plain.txt');
    writeFileSync(plain, 'Tom ran. Sue sat down.');
    const plainIds = tokenizeText('Tom ran. Sue sat down.', tok);
    assert.equal(splitFileTokens(plain, plainIds, tok, 0.5).val.length, plainIds.length - Math.floor(plainIds.length * 0.5));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each document is scored from the BOS token; bits per byte count the stories\' bytes only', () => {
  const tok = trainBpe('Tom ran. Sue sat down. A cat. '.repeat(20), { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  const model = Model.init(modelConfigFor({ arch: 'llama', layers: 1, heads: 2, kvHeads: 1, dim: 16, contextLength: 32 }, tok.vocabSize), new ops.Rng(3));
  const r = evaluateDocuments(model, tok, TEXT, 32, 0.7); // 'Sue sat down.' and 'A cat.'
  // by hand: log-softmax of the logits of [bos, story] at each position, for the next token
  let total = 0, count = 0;
  noGrad(() => {
    for (const story of ['Sue sat down.', 'A cat.']) {
      const ids = [tok.bos!, ...tok.encode(story)];
      const logits = model.forward(ops.tensor(Int32Array.from(ids), [1, ids.length])).logits.toArray();
      const V = tok.vocabSize;
      for (let t = 0; t + 1 < ids.length; t++) {
        const row = logits.slice(t * V, (t + 1) * V);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
        total += lse - row[ids[t + 1]];
        count++;
      }
    }
  });
  assert.equal(r.documents, 2);
  assert.equal(r.tokens, count);
  assert.equal(r.bytes, 'Sue sat down.'.length + 'A cat.'.length);
  assert.ok(Math.abs(r.lossPerToken - total / count) < 1e-5, `${r.lossPerToken} vs ${total / count}`);
  assert.ok(Math.abs(r.bitsPerByte - total / Math.LN2 / r.bytes) < 1e-5);
  assert.throws(() => evaluateDocuments(model, tok, 'no separators here', 32, 0.01), /no document starts in the last 0.01/);
});
