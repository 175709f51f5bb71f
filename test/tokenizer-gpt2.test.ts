// GPT-2 encoding against the Hugging Face `tokenizers` reference, through every GPT-2 loader.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { StreamDecoder, type Tokenizer } from '../src/tokenizer/index.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadTokenizer } from '../src/node.js';

const GPT2_DIR = ['data', 'tokenizers', 'gpt2'];
const CASES = ['reference', 'gpt2-tokenizer-cases.json'];
const skip = skipUnlessShared(...GPT2_DIR) || skipUnlessShared(...CASES);

interface Case {
  text: string;
  ids: number[];
}

function cases(): Case[] {
  return (JSON.parse(readFileSync(sharedPath(...CASES)!, 'utf8')) as { cases: Case[] }).cases;
}

const LOADERS: [string, string][] = [
  ['vocab.json + merges.txt (directory)', 'vocab.json'],
  ['tokenizer.json', 'tokenizer.json'],
  ['vocab-only.gguf', 'vocab-only.gguf'],
];

describe('GPT-2 tokenizer matches Hugging Face tokenizers', { skip }, () => {
  for (const [name, file] of LOADERS) {
    test(`every reference case, loaded from ${name}`, () => {
      const path = file === 'vocab.json' ? sharedPath(...GPT2_DIR)! : sharedPath(...GPT2_DIR, file)!;
      const tok = loadTokenizer(path);
      assert.equal(tok.vocabSize, 50257);
      assert.equal(tok.specialTokens.get('<|endoftext|>'), 50256);
      assert.equal(tok.eos, 50256);
      const all = cases();
      assert.ok(all.length >= 30);
      for (const c of all) {
        // The reference treats <|endoftext|> in the text as the special token, so allow it here.
        assert.deepEqual(tok.encode(c.text, { allowedSpecial: 'all' }), c.ids, `encoding ${JSON.stringify(c.text.slice(0, 60))}`);
        assert.equal(tok.decode(c.ids), c.text);
      }
    });
  }
});

describe('GPT-2 tokenizer behaviour', { skip }, () => {
  let tok: Tokenizer;
  const load = (): Tokenizer => (tok ??= loadTokenizer(sharedPath(...GPT2_DIR, 'tokenizer.json')!));

  test('a worked example: " the" is one token and "Hello world" two', () => {
    const t = load();
    assert.deepEqual(t.encode(' the'), [262]);
    assert.deepEqual(t.encode('Hello world'), [15496, 995]);
    assert.equal(t.idToToken(262), 'Ġthe');
    assert.equal(t.tokenToId('Ġthe'), 262);
  });

  test('special tokens in text are refused unless allowed', () => {
    const t = load();
    const text = 'a story<|endoftext|>another';
    assert.throws(() => t.encode(text), /special token '<\|endoftext\|>' at character 7.*allowedSpecial/);
    const allowed = t.encode(text, { allowedSpecial: ['<|endoftext|>'] });
    assert.ok(allowed.includes(50256));
    assert.deepEqual(t.encode(text, { allowedSpecial: 'all' }), allowed);
    const plain = t.encodeOrdinary(text);
    assert.ok(!plain.includes(50256));
    assert.equal(t.decode(plain), text);
    assert.throws(() => t.encode('x', { allowedSpecial: ['<|notatoken|>'] }), /not a special token/);
  });

  test('whitespace follows Unicode White_Space, as Oniguruma does (not JS \\s)', () => {
    const t = load();
    // U+FEFF (BOM) is not White_Space: HF groups it with punctuation; U+0085 is White_Space.
    for (const text of ['\ufeffThe Project', 'a\u0085b', 'x\u00a0\u00a0y', 'tab\t\there', '\u3000x']) {
      assert.equal(t.decode(t.encode(text)), text);
    }
    // Ids checked against tiktoken (Rust regex, \s = White_Space); JS's \s would give [4775, 220, 171, 119, 123, 4775].
    assert.deepEqual(t.encode('word \ufeffword'), [4775, 27332, 119, 123, 4775]);
    assert.deepEqual(t.encode('\ufeffThe'), [171, 119, 123, 464]);
  });

  test('StreamDecoder never emits half a character', () => {
    const t = load();
    const text = '😀 emoji and ünïcödé 中文字符测试';
    const ids = t.encode(text);
    const sd = new StreamDecoder(t);
    let out = '';
    for (const id of ids) {
      const piece = sd.push(id);
      assert.ok(!piece.includes('\ufffd'), `partial character emitted for token ${id}`);
      out += piece;
    }
    out += sd.flush();
    assert.equal(out, text);
    // An unfinished character at the end comes out as U+FFFD on flush, like TextDecoder.
    const sd2 = new StreamDecoder(t);
    assert.equal(sd2.push(ids[0]!), ''); // the first token holds only part of the emoji's 4 bytes
    assert.equal(sd2.flush(), '\ufffd');
  });

  test('raw bytes that are not UTF-8 round-trip through encodeBytes', () => {
    const t = load();
    const bytes = Uint8Array.of(0x48, 0x69, 0xff, 0xfe, 0x20, 0xe4, 0xb8, 0x20, 0x80);
    const ids = t.encodeBytes!(bytes);
    assert.deepEqual(t.decodeBytes(ids), bytes);
  });
});
