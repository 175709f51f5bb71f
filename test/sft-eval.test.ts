// Evaluation: a choice's log-likelihood is the sum of its tokens' log-probabilities (checked from
// the logits by hand), the built-in model picks obvious story continuations, and the completion
// loss of a file equals its examples' losses one by one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './shared.js';
import { choiceLogLikelihoods, completionLoss, encodeExample, parseChoiceQuestions, parseSftText } from '../src/sft/index.js';
import { plainChatTemplate } from '../src/chat/index.js';
import { Model } from '../src/models/model.js';
import { configFromHf } from '../src/models/config.js';
import * as op from '../src/ops/index.js';
import { tidy } from '../src/tensor/engine.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';

const tok = loadTokenizer(join(projectRoot, 'models', 'builtin', 'tokenizer.json'));
const tiny = () => Model.init(configFromHf({ model_type: 'gpt2', vocab_size: tok.vocabSize, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 64 }), new op.Rng(4));

test('a choice\'s log-likelihood is the sum of log p(token) over its tokens after the question', () => {
  const model = tiny();
  const [q] = parseChoiceQuestions('{"question": "The cat sat on the", "choices": ["mat", "big red hat"], "answer": 0}', 'q.jsonl');
  const ll = choiceLogLikelihoods(model, tok, q);
  q.choices.forEach((choice, c) => {
    const ctx = tok.encode(q.question), cont = tok.encode(' ' + choice);
    const ids = [...ctx, ...cont];
    const logits = tidy(() => model.forward(op.tensor(ids, [1, ids.length], 'int32')).logits.toArray());
    const V = tok.vocabSize;
    let sum = 0;
    for (let i = 0; i < cont.length; i++) {
      const t = ctx.length - 1 + i;
      const row = logits.slice(t * V, (t + 1) * V);
      const max = Math.max(...row);
      sum += row[ids[t + 1]] - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    }
    assert.equal(ll[c].tokens, cont.length);
    assert.ok(Math.abs(ll[c].logLikelihood - sum) < 1e-4, `${choice}: ${ll[c].logLikelihood} vs ${sum}`);
  });
  assert.throws(() => parseChoiceQuestions('{"question": "q", "choices": ["a", "b"], "answer": 2}', 'q.jsonl'), /q\.jsonl:1: key 'answer' must be the index of a choice \(0 … 1\)/);
});

test('completion loss of a file equals the token-weighted loss of its examples one by one', () => {
  const model = tiny();
  const template = plainChatTemplate('<|endoftext|>');
  const examples = parseSftText([
    '{"instruction": "Name a color.", "output": "Red."}',
    '{"prompt": "Once upon a time", "completion": " there was a dog."}',
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there, friend."}]}',
  ].join('\n'), 'mix.jsonl');
  let sum = 0, count = 0;
  for (const ex of examples) {
    const s = encodeExample(ex, tok, template);
    const n = s.targets.filter((t) => t >= 0).length;
    sum += tidy(() => model.forward(op.tensor(s.ids, [1, s.ids.length], 'int32'), { targets: op.tensor(s.targets, [1, s.ids.length], 'int32') }).loss!.item()) * n;
    count += n;
  }
  const r = completionLoss(model, tok, template, examples);
  assert.equal(r.tokens, count);
  assert.ok(Math.abs(r.loss - sum / count) < 1e-6, `${r.loss} vs ${sum / count}`);
});

test('glasslm eval --choices: the built-in model picks the obvious story continuations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-mc-'));
  try {
    const file = join(dir, 'q.jsonl');
    writeFileSync(file, [
      { question: 'Once upon a time, there was a little girl named', choices: ['Lily.', 'Octahedron.'], answer: 0 },
      { question: 'The sun was shining and the sky was', choices: ['spreadsheet.', 'blue.'], answer: 1 },
      { question: 'Tom and his mom went to the', choices: ['park.', 'thermodynamics.'], answer: 0 },
    ].map((q) => JSON.stringify(q)).join('\n'));
    const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'eval', '--choices', file, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.questions, 3);
    assert.equal(out.accuracy, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
