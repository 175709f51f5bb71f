// Round-trip properties: decode(encode(text)) === text for random Unicode, and
// decodeBytes(encodeBytes(bytes)) === bytes for random bytes that are not valid UTF-8.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CL100K_PATTERN, pretokenize, QWEN2_PATTERN, GPT2_PATTERN, regexPretokenizer, trainBpe, type Tokenizer } from '../src/tokenizer/index.js';
import { randomBytes, randomUnicode, rng } from './tokenizer-helpers.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadTokenizer } from '../src/node.js';

const SAMPLE = `Once upon a time, there was a little girl named Lily. She loved to play outside in the park.
  "Don't go!" said Tom. They'll be back at 10:30, won't they?\tYes.\n\n  Ünïcödé, 中文, 😀👍🏽, numbers 12345 and 3.14159.`;

function checkRoundTrip(tok: Tokenizer, seed: number): void {
  const next = rng(seed);
  for (let i = 0; i < 300; i++) {
    const text = randomUnicode(next, 1 + Math.floor(next() * 60));
    const ids = tok.encodeOrdinary(text);
    assert.equal(tok.decode(ids), text, `text ${JSON.stringify(text)}`);
  }
  for (let i = 0; i < 300; i++) {
    const bytes = randomBytes(next, 1 + Math.floor(next() * 60));
    const ids = tok.encodeBytes!(bytes);
    assert.deepEqual(tok.decodeBytes(ids), bytes, `bytes ${Array.from(bytes).join(',')}`);
  }
}

describe('round trips', () => {
  for (const pattern of ['gpt2', 'cl100k', 'qwen2']) {
    test(`a small trained vocabulary (${pattern} pattern): random Unicode and random bytes`, () => {
      const tok = trainBpe(SAMPLE.repeat(3), { vocabSize: 300, pattern });
      checkRoundTrip(tok, 7);
    });
  }

  test('GPT-2: random Unicode and random bytes', { skip: skipUnlessShared('data', 'tokenizers', 'gpt2') }, () => {
    checkRoundTrip(loadTokenizer(sharedPath('data', 'tokenizers', 'gpt2', 'tokenizer.json')!), 11);
  });

  test('pre-tokenizers cover every character, in order', () => {
    const next = rng(3);
    for (const p of [GPT2_PATTERN, CL100K_PATTERN, QWEN2_PATTERN]) {
      const pre = regexPretokenizer(p);
      for (let i = 0; i < 200; i++) {
        const text = randomUnicode(next, 40);
        assert.equal(pretokenize(pre, text).join(''), text);
      }
    }
  });

  test('the pre-tokenizer patterns split as documented', () => {
    const gpt2 = regexPretokenizer(GPT2_PATTERN);
    const cl100k = regexPretokenizer(CL100K_PATTERN);
    const qwen2 = regexPretokenizer(QWEN2_PATTERN);
    assert.deepEqual(pretokenize(gpt2, "I'm 12345 ok!!  x"), ['I', "'m", ' 12345', ' ok', '!!', ' ', ' x']);
    assert.deepEqual(pretokenize(cl100k, "I'M 12345 ok!!  x"), ['I', "'M", ' ', '123', '45', ' ok', '!!', ' ', ' x']);
    assert.deepEqual(pretokenize(qwen2, 'a 123'), ['a', ' ', '1', '2', '3']);
  });
});
