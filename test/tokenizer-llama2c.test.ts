// llama2.c's tok512.bin (stories260K): encoding and decoding as run.c does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { llama2cFromBuffer, StreamDecoder } from '../src/tokenizer/index.js';
import { readSafetensorsI32 } from './tokenizer-helpers.js';
import { Rng } from '../src/ops/random.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { loadTokenizer } from '../src/node.js';

const TOK = ['data', 'models', 'stories260K', 'tok512.bin'];
const REF = ['reference', 'stories260K-hf', 'reference.safetensors'];

describe('llama2.c tokenizer (tok512.bin)', { skip: skipUnlessShared(...TOK) }, () => {
  test('encodes like run.c', () => {
    const tok = loadTokenizer(sharedPath(...TOK)!);
    assert.equal(tok.vocabSize, 512);
    assert.equal(tok.bos, 1);
    assert.equal(tok.eos, 2);
    // Expected ids computed once by an independent Python transcription of run.c's encode():
    // dummy " " prefix, per-character lookup, byte fallback (byte + 3), best-score merges.
    assert.deepEqual(tok.encode('Once upon a time'), [403, 407, 261, 378]); // ' Once' ' upon' ' a' ' time'
    assert.deepEqual(tok.encode('Hello 世界! 😀'), [346, 306, 414, 410, 231, 187, 153, 234, 152, 143, 443, 410, 243, 162, 155, 131]);
    assert.deepEqual(tok.encode(' a  b\n'), [410, 261, 410, 268, 13]);
    assert.deepEqual(tok.encode(''), []);
    assert.equal(tok.decode([1, ...tok.encode('Hello 世界! 😀')]), 'Hello 世界! 😀');
  });

  test("decodes stories260K's greedy story", { skip: skipUnlessShared(...REF) }, () => {
    const tok = loadTokenizer(sharedPath(...TOK)!);
    const ids = Array.from(readSafetensorsI32(readFileSync(sharedPath(...REF)!), 'bos.greedy'));
    assert.equal(ids[0], 1);
    const text = tok.decode(ids);
    assert.ok(
      text.startsWith('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.'),
      JSON.stringify(text.slice(0, 120)),
    );
    // Streaming gives the same text, and re-encoding the text gives the ids back.
    const sd = new StreamDecoder(tok);
    let streamed = '';
    for (const id of ids) streamed += sd.push(id);
    assert.equal(streamed + sd.flush(), text);
    assert.deepEqual(tok.encode(text), ids.slice(1));
  });

  test('a truncated or corrupt file is a clear error', () => {
    const buf = readFileSync(sharedPath(...TOK)!);
    assert.throws(() => llama2cFromBuffer(buf.subarray(0, 3000), 'tok512.bin'), /tok512\.bin: truncated llama2\.c tokenizer: token \d+ (header )?needs/);
    assert.throws(() => llama2cFromBuffer(buf.subarray(0, 2), 'tok512.bin'), /truncated llama2\.c tokenizer: 2 bytes/);
    assert.throws(() => llama2cFromBuffer(buf, 'tok512.bin', 600), /512 tokens, expected 600/);
    const bad = Uint8Array.from(buf);
    new DataView(bad.buffer).setInt32(8, 1000, true); // token 0's length
    assert.throws(() => llama2cFromBuffer(bad, 'tok512.bin'), /token 0 has length 1000/);
  });
});

test('scored merges: the heap gives run.c\'s merges exactly, also on long text', { skip: skipUnlessShared('data', 'models', 'stories260K', 'tok512.bin') }, async () => {
  const tok = loadTokenizer(sharedPath(...TOK)!) as unknown as { unmerged(t: string): number[]; mergeNaive(ids: number[]): number[]; encodeOrdinary(t: string): number[] };
  const samples = ['Once upon a time, there was a little girl named Lily.', 'aaaa bbbb aaaa  the the  then, they', 'Größe 日本 🙂 tab\there'];
  const rng = new Rng(11);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz     ,.!?\n';
  for (let i = 0; i < 40; i++) samples.push(Array.from({ length: 1 + rng.int(200) }, () => alphabet[rng.int(alphabet.length)]).join(''));
  for (const text of samples) assert.deepEqual(tok.encodeOrdinary(text), tok.mergeNaive(tok.unmerged(' ' + text)), JSON.stringify(text));
  // a long text (41 KB, which took run.c's rescanning loop half a minute here) round-trips
  const long = 'Once upon a time, there was a little girl named Lily. She loved to play outside. '.repeat(500);
  const full = loadTokenizer(sharedPath(...TOK)!);
  const back = full.decode([full.bos!, ...full.encodeOrdinary(long)]); // after BOS the dummy space is dropped
  assert.ok(back === long, `long text does not round-trip (${back.length} vs ${long.length} characters)`);
});
