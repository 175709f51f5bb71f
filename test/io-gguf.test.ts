// GGUF reading and writing: metadata of every type, tensors of every writable type, the real
// GPT-2 vocab-only file, and malformed files that must be refused with a clear Error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteWriter } from '../src/io/bytes.js';
import { GgmlType, GgufType } from '../src/io/gguf/constants.js';
import { gguf, metaArray, metaInt, type GgufMetadata } from '../src/io/gguf/metadata.js';
import { parseGguf, readGguf } from '../src/io/gguf/read.js';
import { writeGguf } from '../src/io/gguf/write.js';
import { writeGgufFile } from '../src/io/gguf/write-file.js';
import { dequantizeQ4_0, dequantizeQ8_0, quantizeQ4_0, quantizeQ8_0 } from '../src/io/gguf/quants.js';
import { f16ToF32, f32ToF16 } from '../src/io/half.js';
import { sharedPath, skipUnlessShared } from './shared.js';

function allTypesMetadata(): GgufMetadata {
  return new Map([
    ['general.architecture', gguf.str('llama')],
    ['t.u8', gguf.u8(255)], ['t.i8', gguf.i8(-128)], ['t.u16', gguf.u16(65535)], ['t.i16', gguf.i16(-32768)],
    ['t.u32', gguf.u32(4294967295)], ['t.i32', gguf.i32(-2147483648)], ['t.f32', gguf.f32(0.1)],
    ['t.bool', gguf.bool(true)], ['t.bool_false', gguf.bool(false)], ['t.string', gguf.str('héllo ✓')],
    ['t.u64', gguf.u64(2n ** 64n - 1n)], ['t.i64', gguf.i64(-(2n ** 63n))], ['t.f64', gguf.f64(Math.PI)],
    ['t.array_str', gguf.array(GgufType.STRING, ['a', '', 'ccc'])],
    ['t.array_i32', gguf.array(GgufType.INT32, [1, -2, 3])],
    ['t.array_empty', gguf.array(GgufType.FLOAT32, [])],
    ['t.array_nested', gguf.array(GgufType.ARRAY, [{ itemType: GgufType.UINT8, items: [1, 2] }, { itemType: GgufType.STRING, items: ['x'] }])],
  ]);
}

test('GGUF metadata of all 13 value types round-trips', () => {
  const meta = allTypesMetadata();
  const bytes = writeGguf({ metadata: meta, tensors: [] });
  // header by hand: "GGUF", version 3, 0 tensors, 18 keys
  assert.deepEqual([...bytes.subarray(0, 4)], [0x47, 0x47, 0x55, 0x46]);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(view.getUint32(4, true), 3);
  assert.equal(view.getBigUint64(8, true), 0n);
  assert.equal(view.getBigUint64(16, true), BigInt(meta.size));
  const back = readGguf(bytes);
  assert.equal(back.version, 3);
  assert.deepEqual(back.metadata, meta);
  assert.equal(metaInt(back.metadata, 't.u32'), 4294967295);
  assert.throws(() => metaInt(back.metadata, 't.string'), /expected .* found string/);
});

test('GGUF tensors: F32 exact, F16 rounded, Q8_0/Q4_0 as quantized, I32 exact; dims reversed; 32-byte aligned', () => {
  const n = 64 * 3;
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
  const ints = Int32Array.from({ length: 10 }, (_, i) => i * 1000 - 4000);
  const tensors = [
    { name: 'a.f32', shape: [3, 64], data: x, type: GgmlType.F32 },
    { name: 'b.f16', shape: [3, 2, 32], data: x, type: GgmlType.F16 },
    { name: 'c.q8', shape: [6, 32], data: x, type: GgmlType.Q8_0 },
    { name: 'd.q4', shape: [n], data: x, type: GgmlType.Q4_0 },
    { name: 'e.i32', shape: [10], data: ints, type: GgmlType.I32 },
    { name: 'f.scalar', shape: [], data: new Float32Array([7]), type: GgmlType.F32 },
  ];
  const bytes = writeGguf({ metadata: { 'general.architecture': gguf.str('test') }, tensors });
  const file = parseGguf(bytes);
  assert.equal(file.dataOffset % 32, 0);
  for (const info of file.tensors) assert.equal(info.offset % 32, 0, info.name);
  const { tensors: back } = readGguf(bytes);
  assert.deepEqual(back.get('a.f32')!.shape, [3, 64]);
  assert.deepEqual([...back.get('a.f32')!.data], [...x]);
  assert.equal(back.get('a.f32')!.data.buffer, bytes.buffer, 'aligned F32 is a view over the file');
  assert.deepEqual(back.get('b.f16')!.shape, [3, 2, 32]);
  assert.deepEqual([...back.get('b.f16')!.data], [...x].map((v) => f16ToF32(f32ToF16(v))));
  const q8 = new Float32Array(n); dequantizeQ8_0(quantizeQ8_0(x), 0, q8);
  assert.deepEqual([...back.get('c.q8')!.data], [...q8]);
  const q4 = new Float32Array(n); dequantizeQ4_0(quantizeQ4_0(x), 0, q4);
  assert.deepEqual([...back.get('d.q4')!.data], [...q4]);
  assert.deepEqual(back.get('e.i32')!.data, ints);
  assert.deepEqual(back.get('f.scalar')!.shape, []);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(q8[i] - x[i]));
  assert.ok(worst <= 5 / 127, `Q8_0 error ${worst} within one step of amax/127`);
  // the ggml dims are the row-major shape reversed: check the raw bytes of 'b.f16' (n_dims 3: 32, 2, 3)
  const w = new ByteWriter(); w.u64(5); w.bytes(new TextEncoder().encode('b.f16')); w.u32(3); w.u64(32); w.u64(2); w.u64(3);
  const needle = w.finish();
  const at = Buffer.from(bytes).indexOf(Buffer.from(needle));
  assert.ok(at > 0, 'tensor info of b.f16 stores dims [32, 2, 3]');
});

test('GGUF writer refuses bad input with clear errors', () => {
  const x = new Float32Array(48);
  assert.throws(() => writeGguf({ metadata: {}, tensors: [{ name: 'q', shape: [48], data: x, type: GgmlType.Q8_0 }] }), /not a multiple of the Q8_0 block size 32/);
  assert.throws(() => writeGguf({ metadata: {}, tensors: [{ name: 'q', shape: [40], data: x, type: GgmlType.F32 }] }), /needs 40 values, data has 48/);
  assert.throws(() => writeGguf({ metadata: { k: gguf.u8(256) }, tensors: [] }), /metadata k/);
  assert.throws(() => writeGguf({ metadata: {}, tensors: [{ name: 'q', shape: [48], data: x, type: GgmlType.Q4_K }] }), /cannot write type Q4_K/);
});

test('writeGgufFile streams the same bytes as writeGguf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-gguf-'));
  try {
    const x = Float32Array.from({ length: 96 }, (_, i) => i / 7);
    const spec = { metadata: allTypesMetadata(), tensors: [{ name: 'w', shape: [3, 32], data: x, type: GgmlType.Q8_0 }, { name: 'b', shape: [5], data: x.subarray(0, 5), type: GgmlType.F32 }] };
    writeGgufFile(join(dir, 'm.gguf'), spec);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'm.gguf'))), writeGguf(spec));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const VOCAB = ['data', 'tokenizers', 'gpt2', 'vocab-only.gguf'];

test('reads the real GPT-2 vocab-only GGUF', { skip: skipUnlessShared(...VOCAB) }, () => {
  const { version, metadata, tensors } = readGguf(readFileSync(sharedPath(...VOCAB)!));
  assert.equal(version, 3);
  assert.equal(tensors.size, 0);
  assert.equal(metadata.get('general.architecture')!.value, 'gpt2');
  assert.equal(metaInt(metadata, 'gpt2.context_length'), 1024);
  const tokens = metaArray(metadata, 'tokenizer.ggml.tokens')!;
  assert.equal(tokens.itemType, GgufType.STRING);
  assert.equal(tokens.items.length, 50257);
  assert.equal(tokens.items[0], '!');
  assert.equal(tokens.items[50256], '<|endoftext|>');
  assert.equal(metaArray(metadata, 'tokenizer.ggml.merges')!.items[0], 'Ġ t');
});

// ---- malformed files, built field by field ----

interface RawTensor { name: string; dims: (number | bigint)[]; type: number; offset: number | bigint }
function rawGguf(opts: { tensors?: RawTensor[]; tensorCount?: bigint; kv?: (w: ByteWriter) => void; kvCount?: number; dataBytes?: number; version?: number }): Uint8Array {
  const w = new ByteWriter();
  w.u32(0x46554747);
  w.u32(opts.version ?? 3);
  const tensors = opts.tensors ?? [];
  w.u64(opts.tensorCount ?? BigInt(tensors.length));
  w.u64(opts.kvCount ?? (opts.kv ? 1 : 0));
  opts.kv?.(w);
  for (const t of tensors) {
    const name = new TextEncoder().encode(t.name);
    w.u64(name.length); w.bytes(name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(t.offset);
  }
  w.pad(32);
  w.bytes(new Uint8Array(opts.dataBytes ?? 0));
  return w.finish().slice();
}

/** Asserts a plain Error (not a TypeError/RangeError from the internals) whose message matches. */
function refuses(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => readGguf(bytes), (e: unknown) => {
    assert.equal((e as Error).constructor, Error, `plain Error, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('malformed GGUF files are refused with clear errors', () => {
  const ok = rawGguf({ tensors: [{ name: 'w', dims: [4, 2], type: GgmlType.F32, offset: 0 }], dataBytes: 32 });
  assert.equal(readGguf(ok).tensors.get('w')!.data.length, 8);

  refuses(new Uint8Array([0x47, 0x47]), /truncated: magic/);
  refuses(new TextEncoder().encode('GGML\x03\x00\x00\x00'), /bad magic/);
  refuses(rawGguf({ version: 1 }), /version 1/);
  refuses(rawGguf({ version: 0x03000000 }), /big-endian/);
  refuses(rawGguf({ version: 7 }), /unsupported version 7/);
  refuses(rawGguf({ tensorCount: 2n ** 40n }), /tensor_count 1099511627776 is more than/);
  refuses(rawGguf({ tensorCount: 2n ** 64n - 1n }), /tensor_count .* too large/);
  refuses(rawGguf({ kvCount: 1e9 }), /metadata_kv_count 1000000000/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: new Array(1000).fill(1), type: 0, offset: 0 }] }), /1000 dimensions/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [2n ** 62n], type: 0, offset: 0 }] }), /dim 0 .* too large/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [2 ** 40, 2 ** 40], type: 0, offset: 0 }] }), /too many elements/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [2 ** 30, 4], type: 0, offset: 0 }], dataBytes: 64 }), /runs past the end/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [4], type: 99, offset: 0 }], dataBytes: 32 }), /unknown ggml type 99/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [33], type: GgmlType.Q8_0, offset: 0 }], dataBytes: 64 }), /not a multiple of the Q8_0 block size/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [4], type: 0, offset: 16 }], dataBytes: 64 }), /not a multiple of the alignment/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [4], type: 0, offset: 2n ** 60n }], dataBytes: 64 }), /offset .* too large|past the end/);
  refuses(rawGguf({ tensors: [{ name: 'a', dims: [16], type: 0, offset: 0 }, { name: 'b', dims: [8], type: 0, offset: 32 }], dataBytes: 128 }), /tensors a and b overlap/);
  refuses(rawGguf({ tensors: [{ name: 'a', dims: [1], type: 0, offset: 0 }, { name: 'a', dims: [1], type: 0, offset: 32 }], dataBytes: 64 }), /duplicate tensor name a/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [64], type: GgmlType.Q5_K, offset: 0 }], dataBytes: 512 }), /not a multiple of the Q5_K block size/);
  refuses(rawGguf({ tensors: [{ name: 'w', dims: [256], type: GgmlType.Q5_K, offset: 0 }], dataBytes: 192 }), /type Q5_K, which glasslm cannot decode/);
  const key = (w: ByteWriter, k: string) => { const b = new TextEncoder().encode(k); w.u64(b.length); w.bytes(b); };
  refuses(rawGguf({ kv: (w) => { key(w, 'k'); w.u32(8); w.u64(2n ** 50n); } }), /truncated: metadata k/);
  refuses(rawGguf({ kv: (w) => { w.u64(2n ** 63n); }, dataBytes: 64 }), /metadata key #0 length .* too large/);
  refuses(rawGguf({ kv: (w) => { key(w, 'k'); w.u32(9); w.u32(4); w.u64(2n ** 40n); } }), /claims 1099511627776 elements/);
  refuses(rawGguf({ kv: (w) => { key(w, 'k'); w.u32(9); w.u32(77); w.u64(0); } }), /unknown element type 77/);
  refuses(rawGguf({ kv: (w) => { key(w, 'k'); w.u32(42); } }), /unknown value type 42/);
  refuses(rawGguf({ kv: (w) => { key(w, 'k'); w.u32(7); w.u8(2); } }), /bool with invalid byte 2/);
  refuses(rawGguf({ kv: (w) => { key(w, 'general.alignment'); w.u32(4); w.u32(24); } }), /alignment 24 is not a power of two/);
  refuses(rawGguf({ kv: (w) => { for (let i = 0; i < 10; i++) { w.u32(9); w.u32(9); w.u64(1); } } }), /truncated|nests arrays|key/);
  // arrays nested past the depth limit
  refuses(rawGguf({ kv: (w) => { key(w, 'k'); w.u32(9); for (let i = 0; i < 20; i++) { w.u32(9); w.u64(1); } w.u32(0); w.u64(0); } }), /nests arrays deeper than 8/);

  // every truncation of a valid file with metadata and tensors is refused
  const full = writeGguf({ metadata: allTypesMetadata(), tensors: [{ name: 'w', shape: [2, 32], data: new Float32Array(64).fill(1), type: GgmlType.Q8_0 }] });
  const info = parseGguf(full).tensors[0];
  const end = info.offset + info.byteSize; // the trailing padding after the last tensor is optional
  assert.equal(readGguf(full.subarray(0, end)).tensors.size, 1);
  for (let len = 0; len < end; len++) {
    assert.throws(() => readGguf(full.subarray(0, len)), (e: unknown) => (e as Error).constructor === Error && /GGUF/.test((e as Error).message), `length ${len}`);
  }
});
