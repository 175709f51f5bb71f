// safetensors: round trips, every readable dtype from hand-built files, zero-copy views,
// sharded folders, and malformed headers refused with clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { readSafetensorsDir, readSafetensorsFile } from '../src/io/safetensors-file.js';
import { sharedPath, skipUnlessShared } from './shared.js';

/** A file from a header object and raw data bytes, the header padded to `pad` bytes. */
function build(header: object, data: Uint8Array, pad = 8): Uint8Array {
  let json = JSON.stringify(header);
  while ((json.length) % pad !== 0) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('write -> read round-trips F32 and I32 tensors and metadata; aligned F32 is a view', () => {
  const a = { name: 'a', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 4, 5, 6]) };
  const b = { name: 'b.ids', shape: [4], data: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31)]) };
  const c = { name: 'empty', shape: [0, 5], data: new Float32Array(0) };
  const bytes = writeSafetensors([a, b, c], { format: 'pt', note: 'x' });
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0, 'header padded to 8 bytes');
  const m = readSafetensors(bytes);
  assert.deepEqual(m.metadata, { format: 'pt', note: 'x' });
  assert.deepEqual(m.get('a'), a);
  assert.deepEqual(m.get('b.ids'), b);
  assert.deepEqual(m.get('empty')!.shape, [0, 5]);
  assert.equal(m.get('a')!.data.buffer, bytes.buffer, 'no copy');
});

test('reads F16, BF16, F64, I64, I8, U8, BOOL exactly; unaligned F32 is copied correctly', () => {
  const data = new Uint8Array([
    0x00, 0x3c, 0x00, 0xc0, // F16: 1, -2
    0x80, 0x3f, 0x40, 0xc0, // BF16: 1, -3
    ...new Uint8Array(new Float64Array([0.1, -1e30]).buffer), // F64 -> float32 (rounded)
    ...new Uint8Array(new BigInt64Array([-5n, 2147483647n]).buffer),
    0xff, 0x7f, // I8: -1, 127
    200, 1, // U8, BOOL
    0, 0, 0x80, 0x3f, // F32 1 at an offset that is not 4-aligned in the file (header padded to 5)
  ]);
  const header = {
    h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    bf: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
    d: { dtype: 'F64', shape: [2], data_offsets: [8, 24] },
    l: { dtype: 'I64', shape: [2], data_offsets: [24, 40] },
    i8: { dtype: 'I8', shape: [2], data_offsets: [40, 42] },
    u8: { dtype: 'U8', shape: [1], data_offsets: [42, 43] },
    bool: { dtype: 'BOOL', shape: [], data_offsets: [43, 44] },
    f: { dtype: 'F32', shape: [1], data_offsets: [44, 48] },
  };
  for (const pad of [8, 5]) {
    const m = readSafetensors(build(header, data, pad));
    assert.deepEqual([...m.get('h')!.data], [1, -2]);
    assert.deepEqual([...m.get('bf')!.data], [1, -3]);
    assert.deepEqual([...m.get('d')!.data], [Math.fround(0.1), Math.fround(-1e30)]);
    assert.ok(m.get('l')!.data instanceof Int32Array);
    assert.deepEqual([...m.get('l')!.data], [-5, 2147483647]);
    assert.deepEqual([...m.get('i8')!.data], [-1, 127]);
    assert.deepEqual([...m.get('u8')!.data], [200]);
    assert.deepEqual(m.get('bool')!.shape, []);
    assert.deepEqual([...m.get('bool')!.data], [1]);
    assert.deepEqual([...m.get('f')!.data], [1]);
  }
  // an F64 value beyond the float32 range would become -Infinity: refused, naming the tensor
  const huge = data.slice();
  huge.set(new Uint8Array(new Float64Array([-1e300]).buffer), 16);
  assert.throws(() => readSafetensors(build(header, huge, 8)), /tensor d holds -infinity/);
});

function refuses(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => readSafetensors(bytes), (e: unknown) => {
    assert.equal((e as Error).constructor, Error, `plain Error, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('malformed safetensors are refused with clear errors', () => {
  const f32 = (offsets: number[], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const data8 = new Uint8Array(8);
  refuses(new Uint8Array(5), /shorter than the 8-byte header length/);
  const huge = build({}, data8);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  refuses(huge, /header length 9223372036854775808 is beyond the end/);
  refuses(build({ a: f32([0, 8]) }, data8).subarray(0, 20), /beyond the end/);
  const notJson = build({ a: f32([0, 8]) }, data8); notJson[9] = 0x7b; notJson[8] = 0x5b; // "[{..."
  refuses(notJson, /not valid JSON/);
  refuses(build([1, 2] as unknown as object, data8), /not a JSON object/);
  refuses(build({ a: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, data8), /unknown or unsupported dtype "F8_E4M3"/);
  refuses(build({ a: { shape: [2], data_offsets: [0, 8] } }, data8), /dtype missing/);
  refuses(build({ a: f32([0, 8], [-2]) }, data8), /shape must be an array of non-negative integers/);
  refuses(build({ a: f32([0, 8], [1.5]) }, data8), /shape must be/);
  refuses(build({ a: f32([0, 16]) }, data8), /outside the 8-byte data section/);
  refuses(build({ a: f32([8, 0]) }, data8), /outside/);
  refuses(build({ a: f32([0]) }, data8), /data_offsets must be/);
  refuses(build({ a: f32([0, 8], [3]) }, data8), /needs 12 bytes, data_offsets span 8/);
  refuses(build({ a: f32([0, 8]), b: f32([4, 12], [2]) }, new Uint8Array(12)), /tensors a and b overlap/);
  refuses(build({ a: f32([0, 8], [2 ** 40, 2 ** 40]) }, data8), /needs .* bytes/);
  refuses(build({ __metadata__: { k: 1 } }, data8), /__metadata__.k is not a string/);
  refuses(build({ a: 'x' }, data8), /entry is not an object/);
  refuses(build({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(new BigInt64Array([2n ** 40n]).buffer)), /does not fit int32/);
});

test('sharded folder: index.json weight_map -> shards; a missing shard is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-st-'));
  try {
    const a = { name: 'a', shape: [2], data: new Float32Array([1, 2]) };
    const b = { name: 'b', shape: [1], data: new Float32Array([3]) };
    writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), writeSafetensors([a], { format: 'pt' }));
    writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), writeSafetensors([b]));
    const index = { metadata: { total_size: 12 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } };
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const m = readSafetensorsDir(dir);
    assert.deepEqual([...m.keys()].sort(), ['a', 'b']);
    assert.deepEqual([...m.get('b')!.data], [3]);
    assert.deepEqual(m.metadata, { format: 'pt' });

    index.weight_map.b = 'model-00003-of-00002.safetensors';
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    assert.throws(() => readSafetensorsDir(dir), /shard model-00003-of-00002.safetensors .* is missing/);
    (index.weight_map as Record<string, string>).c = 'model-00001-of-00002.safetensors';
    index.weight_map.b = 'model-00002-of-00002.safetensors';
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    assert.throws(() => readSafetensorsDir(dir), /puts c in model-00001-of-00002.safetensors, but that shard does not contain it/);
    writeFileSync(join(dir, 'model.safetensors.index.json'), '{"weight_map": [');
    assert.throws(() => readSafetensorsDir(dir), /not valid JSON/);
    assert.throws(() => readSafetensorsDir(join(dir, 'nope')), /has neither model.safetensors nor/);
    assert.throws(() => readSafetensorsFile(join(dir, 'nope.safetensors')), /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reference checkpoints load, and re-writing gives the same tensors', { skip: skipUnlessShared('reference', 'llama-tiny', 'model.safetensors') }, () => {
  for (const model of ['gpt2-tiny', 'llama-tiny', 'qwen2-tiny', 'stories260K-hf']) {
    const path = sharedPath('reference', model, 'model.safetensors');
    if (!path) continue;
    const m = readSafetensorsFile(path);
    assert.ok(m.size > 10);
    const again = readSafetensors(writeSafetensors(m, m.metadata));
    for (const [name, t] of m) assert.deepEqual(again.get(name), t, `${model} ${name}`);
  }
  const llama = readSafetensorsFile(sharedPath('reference', 'llama-tiny', 'model.safetensors')!);
  assert.deepEqual(llama.get('model.layers.0.self_attn.k_proj.weight')!.shape, [32, 64]);
});
