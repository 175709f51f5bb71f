// The GGUF 'llama' (SentencePiece) vocabulary loader, checked by writing tok512.bin's vocabulary
// as a GGUF file (spaces as '▁', byte tokens typed 6, BOS/EOS as control tokens) and comparing
// its encoding with the llama2.c loader's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { llama2cFromBuffer, tokenizerFromGguf } from '../src/tokenizer/index.js';
import { sharedPath, skipUnlessShared } from './shared.js';

/** Writes a GGUF v3 file with no tensors and the given metadata (strings, u32, and arrays). */
function writeGguf(kv: [string, { type: 'string'; value: string } | { type: 'u32'; value: number } | { type: 'strings'; value: string[] } | { type: 'f32s' | 'i32s'; value: number[] }][]): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  const u64 = (v: number) => (u32(v), u32(0));
  const str = (s: string) => {
    const b = new TextEncoder().encode(s);
    u64(b.length);
    parts.push(...b);
  };
  const f32 = (v: number) => parts.push(...new Uint8Array(Float32Array.of(v).buffer));
  parts.push(0x47, 0x47, 0x55, 0x46);
  u32(3);
  u64(0);
  u64(kv.length);
  for (const [key, v] of kv) {
    str(key);
    if (v.type === 'string') (u32(8), str(v.value));
    else if (v.type === 'u32') (u32(4), u32(v.value));
    else if (v.type === 'strings') (u32(9), u32(8), u64(v.value.length), v.value.forEach(str));
    else if (v.type === 'f32s') (u32(9), u32(6), u64(v.value.length), v.value.forEach(f32));
    else (u32(9), u32(5), u64(v.value.length), v.value.forEach(u32));
  }
  return Uint8Array.from(parts);
}

describe("GGUF 'llama' vocabulary", { skip: skipUnlessShared('data', 'models', 'stories260K', 'tok512.bin') }, () => {
  test('encodes and decodes like the same vocabulary in llama2.c form', () => {
    const bin = readFileSync(sharedPath('data', 'models', 'stories260K', 'tok512.bin')!);
    const l2c = llama2cFromBuffer(bin);
    const tokens: string[] = [];
    const scores: number[] = [];
    const types: number[] = [];
    const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
    let pos = 4;
    for (let id = 0; id < 512; id++) {
      scores.push(view.getFloat32(pos, true));
      const len = view.getInt32(pos + 4, true);
      const piece = new TextDecoder().decode(bin.subarray(pos + 8, pos + 8 + len));
      pos += 8 + len;
      tokens.push(id === 0 ? '<unk>' : id === 1 ? '<s>' : id === 2 ? '</s>' : piece.replaceAll(' ', '\u2581'));
      types.push(id === 0 ? 2 : id <= 2 ? 3 : id < 259 ? 6 : 1);
    }
    const gguf = writeGguf([
      ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
      ['tokenizer.ggml.tokens', { type: 'strings', value: tokens }],
      ['tokenizer.ggml.scores', { type: 'f32s', value: scores }],
      ['tokenizer.ggml.token_type', { type: 'i32s', value: types }],
      ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
      ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ]);
    const spm = tokenizerFromGguf(gguf, 'tok512.gguf');
    assert.equal(spm.vocabSize, 512);
    assert.equal(spm.bos, 1);
    for (const text of ['Once upon a time', 'Hello 世界! 😀', ' a  b\n', 'Lily and Ben went to the park.']) {
      const ids = spm.encode(text);
      assert.deepEqual(ids, l2c.encode(text), text);
      assert.equal(spm.decode([1, ...ids, 2]), text);
    }
    assert.equal(spm.idToToken(403), '\u2581Once');
    assert.throws(() => spm.encode('a<s>b'), /special token '<s>'/);
    assert.deepEqual(spm.encode('<s>', { allowedSpecial: ['<s>'] }), [1]);
  });
});
