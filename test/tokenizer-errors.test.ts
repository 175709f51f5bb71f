// Broken vocabulary files give an Error that says what is wrong, never a TypeError or a wrong result.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gpt2FromText, tokenizerFromGguf, tokenizerFromHfJson, trainBpe, toHfJson } from '../src/tokenizer/index.js';
import { BYTE_TO_CHAR } from '../src/tokenizer/bytes.js';
import { hfRegexToJs } from '../src/tokenizer/pretokenize.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadTokenizer } from '../src/node.js';

/** A tiny valid GPT-2-style vocabulary: the 256 bytes plus 'Ġt' and 'he'. */
function tinyVocab(): Record<string, number> {
  const v: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => (v[c] = b));
  v['Ġt'] = 256;
  v['he'] = 257;
  return v;
}

/** Asserts fn throws a plain Error (not a TypeError/RangeError) whose message matches. */
function throwsClearly(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(err.constructor.name === 'Error' || err.constructor.name === 'GgufTruncatedError', true, `${err.constructor.name}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

describe('broken vocabulary files', () => {
  test('vocab.json + merges.txt', () => {
    const vocab = JSON.stringify(tinyVocab());
    assert.deepEqual(gpt2FromText(vocab, '#version: 0.2\nĠ t\nh e\n').encodeOrdinary(' the'), [256, 257]);
    throwsClearly(() => gpt2FromText('{"a": 1,', 'a b'), /vocab\.json is not valid JSON/);
    throwsClearly(() => gpt2FromText('[1, 2]', ''), /must be a JSON object/);
    throwsClearly(() => gpt2FromText('{"a": "x"}', ''), /token 'a' has id "x"/);
    throwsClearly(() => gpt2FromText(vocab, 'Ġ t\nq zz\n'), /merge 2 \('q' 'zz'\) names 'zz', which is not in the vocabulary/);
    throwsClearly(() => gpt2FromText(vocab, 'Ġ t\nh e\nt h\n'), /merge 3 \('t' 'h'\) makes 'th', which is not in the vocabulary/);
    throwsClearly(() => gpt2FromText(vocab, 'Ġt\n'), /merges\.txt line 1: expected two tokens/);
    throwsClearly(() => gpt2FromText('{"a": 0}', ''), /not a byte-level BPE vocabulary: it has no token for the byte 0x00/);
  });

  test('tokenizer.json', () => {
    const good = toHfJson(trainBpe('hello hello world', { vocabSize: 260 }));
    assert.ok(tokenizerFromHfJson(good).vocabSize === 260);
    const model = good.model as Record<string, unknown>;
    throwsClearly(() => tokenizerFromHfJson({ ...good, model: { ...model, type: 'Unigram' } }), /model type 'Unigram' is not supported/);
    throwsClearly(() => tokenizerFromHfJson({ ...good, model: { ...model, merges: ['l zz'] } }), /merge 1 \('l' 'zz'\) names 'zz'/);
    throwsClearly(() => tokenizerFromHfJson({ ...good, model: { ...model, merges: [['l']] } }), /model\.merges\[0\]: expected/);
    throwsClearly(() => tokenizerFromHfJson({ ...good, pre_tokenizer: { type: 'Whitespace' } }), /pre_tokenizer type 'Whitespace' is not supported/);
    throwsClearly(() => tokenizerFromHfJson({ ...good, normalizer: { type: 'Lowercase' } }), /normalizer "Lowercase" is not supported/);
    throwsClearly(() => tokenizerFromHfJson({ ...good, added_tokens: [{ id: 'x' }] }), /added_tokens\[0\] needs/);
    throwsClearly(
      () => tokenizerFromHfJson({ ...good, pre_tokenizer: { type: 'Split', pattern: { Regex: '(' }, behavior: 'Isolated' } }),
      /pre-tokenizer regex cannot be compiled/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'glasslm-tok-'));
    try {
      writeFileSync(join(dir, 'tokenizer.json'), '{"model": {');
      throwsClearly(() => loadTokenizer(dir), /tokenizer\.json is not valid JSON/);
      throwsClearly(() => loadTokenizer(join(dir, 'missing.json')), /tokenizer not found/);
      writeFileSync(join(dir, 'x.bin'), Uint8Array.of(1, 0));
      throwsClearly(() => loadTokenizer(join(dir, 'x.bin')), /truncated llama2\.c tokenizer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('HF regexes translate to JS, and unsupported syntax is refused', () => {
    assert.equal(hfRegexToJs("(?i:'s|'t)|\\s+(?!\\S)"), "(?:'[sS]|'[tT])|\\p{White_Space}+(?!\\P{White_Space})");
    assert.equal(hfRegexToJs("[^\\s\\p{L}]\\'"), "[^\\p{White_Space}\\p{L}]\\u{27}");
    throwsClearly(() => hfRegexToJs('\\p{L}++'), /possessive quantifier/);
  });

  test('GGUF', { skip: skipUnlessShared('data', 'tokenizers', 'gpt2', 'vocab-only.gguf') }, () => {
    const buf = readFileSync(sharedPath('data', 'tokenizers', 'gpt2', 'vocab-only.gguf')!);
    throwsClearly(() => tokenizerFromGguf(buf.subarray(0, 100_000), 'v.gguf'), /v\.gguf: truncated GGUF file: .* needs \d+ bytes at offset \d+, but only \d+ remain/);
    throwsClearly(() => tokenizerFromGguf(buf.subarray(0, 10), 'v.gguf'), /truncated GGUF file/);
    throwsClearly(() => tokenizerFromGguf(Uint8Array.from([0x47, 0x47, 0x55, 0x46, 9, 0, 0, 0]), 'v.gguf'), /GGUF version 9 is not supported/);
    throwsClearly(() => tokenizerFromGguf(new TextEncoder().encode('NOPE1234'), 'v.gguf'), /not a GGUF file/);
    // A vocabulary-free GGUF: magic, version 3, 0 tensors, 0 keys.
    const empty = new Uint8Array(24);
    empty.set([0x47, 0x47, 0x55, 0x46, 3]);
    throwsClearly(() => tokenizerFromGguf(empty, 'v.gguf'), /has no vocabulary/);
  });
});
