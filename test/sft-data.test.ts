// Supervised fine-tuning data: the loss mask on a hand-worked example, malformed records named by
// file, line and key, and packing that leaves every example's loss as it is alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';
import { addChatTokens, defaultChatTemplate } from '../src/chat/index.js';
import { encodeExample, packSequences, parseSftText, type SftSequence } from '../src/sft/index.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';
import { Model } from '../src/models/model.js';
import { configFromHf } from '../src/models/config.js';
import * as op from '../src/ops/index.js';
import { tidy } from '../src/tensor/engine.js';

test('loss mask, hand-worked: prompt "ab", completion "cd" -> targets [-1, c, d, -1]', () => {
  const tok = CharTokenizer.fromText('abcd');
  const [a, b, c, d] = 'abcd'.split('').map((ch) => tok.encode(ch)[0]);
  const [ex] = parseSftText('{"prompt": "ab", "completion": "cd"}\n', 'pc.jsonl');
  const seq = encodeExample(ex, tok, null);
  assert.deepEqual([...seq.ids], [a, b, c, d]);
  assert.deepEqual([...seq.targets], [-1, c, d, -1]);
  // the model's loss is the mean of -log p(c | a b) and -log p(d | a b c), nothing else
  const model = Model.init(configFromHf({ model_type: 'gpt2', vocab_size: tok.vocabSize, n_embd: 8, n_layer: 1, n_head: 2, n_positions: 8 }), new op.Rng(2));
  tidy(() => {
    const r = model.forward(op.tensor(seq.ids, [1, 4], 'int32'), { targets: op.tensor(seq.targets, [1, 4], 'int32') });
    const logits = r.logits.toArray();
    const V = tok.vocabSize;
    const nll = (t: number, target: number) => {
      const row = logits.slice(t * V, (t + 1) * V);
      const max = Math.max(...row);
      return Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max - row[target];
    };
    const expected = (nll(1, c) + nll(2, d)) / 2;
    assert.ok(Math.abs(r.loss!.item() - expected) < 1e-6, `${r.loss!.item()} vs ${expected}`);
  });
});

test('loss mask on a conversation: the targets are exactly the assistant\'s reply and its end marker', () => {
  const base = loadTokenizer(join(projectRoot, 'models', 'builtin', 'tokenizer.json'));
  const tiny = Model.init(configFromHf({ model_type: 'llama', vocab_size: base.vocabSize, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4, max_position_embeddings: 8 }), new op.Rng(1));
  const { tokenizer } = addChatTokens(tiny, base);
  const [ex] = parseSftText('{"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello, friend."}]}', 'chat.jsonl');
  const seq = encodeExample(ex, tokenizer, defaultChatTemplate());
  assert.equal(tokenizer.decode([...seq.targets].filter((t) => t >= 0)), 'Hello, friend.<|im_end|>\n');
  assert.equal(tokenizer.decode(seq.ids), '<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello, friend.<|im_end|>\n');
  // Alpaca records become a user turn (instruction, blank line, input) and the assistant's output
  const [alpaca] = parseSftText('[{"instruction": "Add.", "input": "2+2", "output": "4"}]', 'a.json');
  assert.deepEqual(alpaca.kind === 'chat' && alpaca.messages, [{ role: 'user', content: 'Add.\n\n2+2' }, { role: 'assistant', content: '4' }]);
});

test('malformed records: errors name the file, the line and the key', () => {
  const jsonl = [
    '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}',
    '',
    '{"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "yo"}]}',
  ].join('\n');
  assert.throws(() => parseSftText(jsonl, 'd.jsonl'), /^Error: d\.jsonl:3: key 'messages\[1\]\.role' must be system, user or assistant, got "bot"/);
  assert.throws(() => parseSftText('{"messages": [{"role": "user", "content": "hi"}]}', 'd.jsonl'), /d\.jsonl:1: key 'messages' has no assistant turn/);
  assert.throws(() => parseSftText('{"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "x"}]}', 'd.jsonl'), /d\.jsonl:1: key 'messages\[0\]\.content' must be a string/);
  const alpaca = '[\n  {"instruction": "a", "input": "", "output": "b"},\n  {\n    "instruction": "c",\n    "input": ""\n  }\n]';
  assert.throws(() => parseSftText(alpaca, 'i.json'), /^Error: i\.json:3: key 'output' is missing/);
  assert.throws(() => parseSftText('{"prompt": "p", "completion": 5}', 'p.jsonl'), /p\.jsonl:1: key 'completion' must be a string/);
  assert.throws(() => parseSftText('{"prompt": "p", "completion": "c"}\n{"prompt": "p", "compl', 'p.jsonl'), /p\.jsonl:2: not valid JSON/);
  assert.throws(() => parseSftText('{"question": "q"}', 'q.jsonl'), /q\.jsonl:1: is not a known record: .* got keys question/);
  assert.throws(() => parseSftText('\n\n', 'e.jsonl'), /e\.jsonl: holds no records/);
});

test('the shared instruction files parse whole', { skip: skipUnlessShared('data', 'instruct', 'instruction-data.json') }, () => {
  const alpaca = sharedPath('data', 'instruct', 'instruction-data.json')!;
  assert.equal(parseSftText(readFileSync(alpaca, 'utf8'), alpaca).length, 1100);
  const dolly = sharedPath('data', 'instruct', 'dolly-2k-chat.jsonl');
  if (dolly) assert.equal(parseSftText(readFileSync(dolly, 'utf8'), dolly).length, 2000);
});

/** Random sequences of the given lengths over vocab V, with some targets masked. */
function randomSequences(lengths: number[], V: number, rng: op.Rng): SftSequence[] {
  return lengths.map((n) => {
    const ids = Int32Array.from({ length: n }, () => rng.int(V));
    const learn = Array.from({ length: n }, (_, i) => (i >= n / 3 ? 1 : 0));
    const targets = new Int32Array(n).fill(-1);
    for (let t = 0; t + 1 < n; t++) if (learn[t + 1]) targets[t] = ids[t + 1];
    return { ids, targets };
  });
}

for (const [arch, config] of [
  ['GPT-2', { model_type: 'gpt2', vocab_size: 50, n_embd: 16, n_layer: 2, n_head: 2, n_positions: 32 }],
  ['Llama (grouped-query)', { model_type: 'llama', vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 24, max_position_embeddings: 32 }],
] as const) {
  test(`packing: ${arch}: the packed loss equals the examples' loss one by one within 1e-6`, () => {
    const model = Model.init(configFromHf(config), new op.Rng(11));
    const seqs = randomSequences([7, 12, 5, 9, 3, 14], 50, new op.Rng(4));
    // one by one: the token-weighted mean of each example's loss, each alone at positions 0 …
    let sum = 0, count = 0;
    for (const s of seqs) {
      const n = s.targets.filter((t) => t >= 0).length;
      sum += tidy(() => model.forward(op.tensor(s.ids, [1, s.ids.length], 'int32'), { targets: op.tensor(s.targets, [1, s.ids.length], 'int32') }).loss!.item()) * n;
      count += n;
    }
    const packed = packSequences(seqs, 24);
    assert.ok(packed.rows < seqs.length, 'several examples share a row');
    const loss = tidy(() => model.forward(op.tensor(packed.ids, [packed.rows, 24], 'int32'), {
      targets: op.tensor(packed.targets, [packed.rows, 24], 'int32'), positions: packed.positions, segments: packed.segments,
    }).loss!.item());
    assert.ok(Math.abs(loss - sum / count) < 1e-6, `packed ${loss} vs one by one ${sum / count}`);
    // without the segment mask the examples would see each other: the loss differs
    const leaky = tidy(() => model.forward(op.tensor(packed.ids, [packed.rows, 24], 'int32'), { targets: op.tensor(packed.targets, [packed.rows, 24], 'int32'), positions: packed.positions }).loss!.item());
    assert.ok(Math.abs(leaky - sum / count) > 1e-4, 'the mask matters');
  });
}

test('packing lays examples out first fit, positions restarting at 0', () => {
  const seqs = randomSequences([3, 4, 2], 10, new op.Rng(1));
  const p = packSequences(seqs, 6);
  assert.equal(p.rows, 2);
  assert.deepEqual([...p.positions], [0, 1, 2, 0, 1, 0, 0, 1, 2, 3, 0, 0]);
  assert.deepEqual([...p.segments].slice(0, 5), [0, 0, 0, 2, 2]);
  assert.deepEqual([...p.targets].slice(10), [-1, -1]);
});
