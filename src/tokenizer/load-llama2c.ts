// llama2.c's tokenizer.bin (e.g. tok512.bin for stories260K, tokenizer.bin for Llama 2's 32000).
//
// Layout: i32 max_token_length, then for every token: f32 score, i32 byte length, the bytes.
// The file does not store the vocabulary size: tokens are read to the end of the file (or
// `vocabSize` of them, as run.c does with the model's vocab_size). Ids 0, 1, 2 are <unk>, BOS,
// EOS; ids 3..258 are the byte-fallback tokens <0x00>..<0xFF> (run.c encodes a byte b as b + 3).
import { ScoredBPE } from './scored-bpe.js';

export function llama2cFromBuffer(buf: Uint8Array, what = 'tokenizer.bin', vocabSize?: number): ScoredBPE {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4) throw new Error(`${what}: truncated llama2.c tokenizer: ${buf.length} bytes, no header`);
  const maxLen = view.getInt32(0, true);
  if (maxLen <= 0 || maxLen > 1 << 16) throw new Error(`${what}: not a llama2.c tokenizer (max_token_length ${maxLen})`);
  const pieces: Uint8Array[] = [];
  const scores: number[] = [];
  let pos = 4;
  while (pos < buf.length && (vocabSize === undefined || pieces.length < vocabSize)) {
    const id = pieces.length;
    if (pos + 8 > buf.length) throw new Error(`${what}: truncated llama2.c tokenizer: token ${id} header needs 8 bytes at offset ${pos}, ${buf.length - pos} remain`);
    const score = view.getFloat32(pos, true);
    const len = view.getInt32(pos + 4, true);
    pos += 8;
    if (len < 0 || len > maxLen) throw new Error(`${what}: token ${id} has length ${len}, outside 0..max_token_length ${maxLen} (corrupt file?)`);
    if (pos + len > buf.length) throw new Error(`${what}: truncated llama2.c tokenizer: token ${id} needs ${len} bytes at offset ${pos}, ${buf.length - pos} remain`);
    pieces.push(buf.slice(pos, pos + len));
    scores.push(score);
    pos += len;
  }
  if (vocabSize !== undefined && pieces.length < vocabSize) {
    throw new Error(`${what}: truncated llama2.c tokenizer: ${pieces.length} tokens, expected ${vocabSize}`);
  }
  if (pieces.length < 259) throw new Error(`${what}: truncated llama2.c tokenizer: ${pieces.length} tokens, fewer than the 259 of <unk>, BOS, EOS and 256 bytes`);
  const byteToId = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const expect = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    const got = new TextDecoder().decode(pieces[b + 3]);
    if (got !== expect) throw new Error(`${what}: token ${b + 3} should be the byte token ${expect}, is ${JSON.stringify(got)}`);
    byteToId[b] = b + 3;
  }
  return new ScoredBPE({
    pieces,
    scores: Float32Array.from(scores),
    byteToId,
    controlIds: new Set([1, 2]),
    space: ' ',
    addDummyPrefix: true,
    specialTokens: new Map([
      ['<s>', 1],
      ['</s>', 2],
    ]),
    bos: 1,
    eos: 2,
    unk: 0,
    description: `llama2.c scored BPE, ${pieces.length} tokens (BOS 1, EOS 2)`,
  });
}
