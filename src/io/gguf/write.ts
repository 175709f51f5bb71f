// Writing GGUF v3: metadata of every value type, tensors as F32, F16, Q8_0 or Q4_0
// (float32 input) or I32 (int32 input), each tensor's data aligned to general.alignment (32).

import { ByteWriter, encodeUtf8 } from '../bytes.js';
import { f32ToF16 } from '../half.js';
import { checkTensor, numel } from '../types.js';
import { GGML_TYPES, GgmlType, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufType, ggmlTypeName } from './constants.js';
import type { GgufMetadata, GgufPlain, GgufValue } from './metadata.js';
import { quantizeQ4_0, quantizeQ8_0 } from './quants.js';

export interface GgufTensorToWrite {
  name: string;
  shape: number[]; // row-major; written as ggml dims (reversed)
  data: Float32Array | Int32Array;
  type: GgmlType; // F32, F16, Q8_0, Q4_0 for Float32Array; I32 for Int32Array
}

export interface GgufToWrite {
  metadata: GgufMetadata | Record<string, GgufValue>;
  tensors: GgufTensorToWrite[];
}

const WRITABLE = new Set<number>([GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.I32]);

const INT_RANGES: Record<number, [number, number]> = {
  [GgufType.UINT8]: [0, 0xff], [GgufType.INT8]: [-0x80, 0x7f],
  [GgufType.UINT16]: [0, 0xffff], [GgufType.INT16]: [-0x8000, 0x7fff],
  [GgufType.UINT32]: [0, 0xffffffff], [GgufType.INT32]: [-0x80000000, 0x7fffffff],
};

function writeString(w: ByteWriter, s: string): void {
  const b = encodeUtf8(s);
  w.u64(b.length);
  w.bytes(b);
}

function writeValue(w: ByteWriter, type: number, v: GgufPlain, key: string): void {
  const range = INT_RANGES[type];
  if (range && (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1])) {
    throw new Error(`writeGguf: metadata ${key}: ${String(v)} is not a valid ${type}-typed integer`);
  }
  switch (type) {
    case GgufType.UINT8: w.u8(v as number); break;
    case GgufType.INT8: w.i8(v as number); break;
    case GgufType.UINT16: w.u16(v as number); break;
    case GgufType.INT16: w.i16(v as number); break;
    case GgufType.UINT32: w.u32(v as number); break;
    case GgufType.INT32: w.i32(v as number); break;
    case GgufType.FLOAT32: w.f32(v as number); break;
    case GgufType.FLOAT64: w.f64(v as number); break;
    case GgufType.UINT64: w.u64(v as number | bigint); break;
    case GgufType.INT64: w.i64(v as number | bigint); break;
    case GgufType.BOOL: w.u8(v ? 1 : 0); break;
    case GgufType.STRING:
      if (typeof v !== 'string') throw new Error(`writeGguf: metadata ${key} is not a string`);
      writeString(w, v);
      break;
    case GgufType.ARRAY: {
      if (typeof v !== 'object' || !('items' in v)) throw new Error(`writeGguf: metadata ${key} is not an array value`);
      w.u32(v.itemType);
      w.u64(v.items.length);
      for (const item of v.items) writeValue(w, v.itemType, item, key);
      break;
    }
    default:
      throw new Error(`writeGguf: metadata ${key} has unknown type ${type}`);
  }
}

/** Bytes of one tensor in its GGUF type (quantizing float32 data where asked). */
export function encodeTensor(t: GgufTensorToWrite): Uint8Array {
  const { data } = t;
  if (t.type === GgmlType.I32) {
    if (!(data instanceof Int32Array)) throw new Error(`writeGguf: tensor ${t.name}: I32 needs Int32Array data`);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (!(data instanceof Float32Array)) throw new Error(`writeGguf: tensor ${t.name}: ${ggmlTypeName(t.type)} needs Float32Array data`);
  switch (t.type) {
    case GgmlType.F32: return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    case GgmlType.F16: {
      const out = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = f32ToF16(data[i]);
      return new Uint8Array(out.buffer);
    }
    case GgmlType.Q8_0: return quantizeQ8_0(data);
    case GgmlType.Q4_0: return quantizeQ4_0(data);
    default: throw new Error(`writeGguf: tensor ${t.name}: cannot write type ${ggmlTypeName(t.type)}`);
  }
}

/** Header (metadata + tensor infos, padded) and the relative offset and size of each tensor. */
export function buildHeader(spec: GgufToWrite): { header: Uint8Array; alignment: number; sizes: number[]; offsets: number[] } {
  const meta = spec.metadata instanceof Map ? spec.metadata : new Map(Object.entries(spec.metadata));
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const a = meta.get('general.alignment');
  if (a) {
    if (a.type !== GgufType.UINT32 || typeof a.value !== 'number' || a.value <= 0 || (a.value & (a.value - 1)) !== 0) {
      throw new Error('writeGguf: general.alignment must be a u32 power of two');
    }
    alignment = a.value;
  }
  const w = new ByteWriter(1 << 16);
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(spec.tensors.length);
  w.u64(meta.size);
  for (const [key, v] of meta) {
    writeString(w, key);
    w.u32(v.type);
    writeValue(w, v.type, v.value, key);
  }
  const sizes: number[] = [];
  const offsets: number[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const t of spec.tensors) {
    checkTensor(t);
    if (names.has(t.name)) throw new Error(`writeGguf: duplicate tensor name ${t.name}`);
    names.add(t.name);
    if (!WRITABLE.has(t.type)) throw new Error(`writeGguf: tensor ${t.name}: cannot write type ${ggmlTypeName(t.type)}`);
    const info = GGML_TYPES[t.type];
    const dims = [...t.shape].reverse(); // ggml order: fastest-varying first
    if (dims.length > 4) throw new Error(`writeGguf: tensor ${t.name} has ${dims.length} dimensions (at most 4)`);
    if ((dims[0] ?? 1) % info.blockSize !== 0) {
      throw new Error(`writeGguf: tensor ${t.name}: row length ${dims[0] ?? 1} is not a multiple of the ${info.name} block size ${info.blockSize}`);
    }
    writeString(w, t.name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    const size = (numel(t.shape) / info.blockSize) * info.typeSize;
    sizes.push(size);
    offsets.push(offset);
    offset += Math.ceil(size / alignment) * alignment;
  }
  w.pad(alignment);
  return { header: w.finish(), alignment, sizes, offsets };
}

/** The whole file in memory. */
export function writeGguf(spec: GgufToWrite): Uint8Array {
  const { header, alignment, sizes, offsets } = buildHeader(spec);
  const n = spec.tensors.length;
  const dataSize = n === 0 ? 0 : offsets[n - 1] + Math.ceil(sizes[n - 1] / alignment) * alignment;
  const out = new Uint8Array(header.length + dataSize); // zero-filled, so padding is 0x00
  out.set(header, 0);
  spec.tensors.forEach((t, i) => out.set(encodeTensor(t), header.length + offsets[i]));
  return out;
}
