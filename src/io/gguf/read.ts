// Reading GGUF v2/v3 files: header, metadata, tensor infos, then tensor data.
//   magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count
//   kv_count x (string key | u32 value type | value)
//   tensor_count x (string name | u32 n_dims | u64 dims[n_dims] | u32 ggml type | u64 offset)
//   padding to `general.alignment` (default 32) | tensor data (offsets relative to here)
// Strings are u64 length + UTF-8 bytes. dims[0] varies fastest, so the row-major shape is dims reversed.
// Every count and size is checked against the bytes that remain before anything is allocated.

import { assertLittleEndianHost, ByteReader, decodeUtf8 } from '../bytes.js';
import { decodeBF16, decodeF16 } from '../half.js';
import { checkFinite } from '../limits.js';
import type { NamedTensor } from '../types.js';
import { GGML_MAX_DIMS, GGML_TYPES, GgmlType, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufType, ggmlTypeName } from './constants.js';
import type { GgufMetadata, GgufPlain, GgufValue } from './metadata.js';
import { dequantizeQ4_0, dequantizeQ4_K, dequantizeQ6_K, dequantizeQ8_0 } from './quants.js';

export interface GgufTensorInfo {
  name: string;
  shape: number[]; // row-major (ggml dims reversed)
  type: number; // ggml type
  offset: number; // absolute byte offset of the data in the file
  byteSize: number;
}

export interface GgufFile {
  version: number;
  metadata: GgufMetadata;
  alignment: number;
  dataOffset: number; // absolute offset of the tensor data section
  tensors: GgufTensorInfo[];
  bytes: Uint8Array;
}

/** Fewest bytes a metadata value of each type can take (arrays: u32 type + u64 count). */
const MIN_VALUE_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8 };
const MIN_KV_BYTES = 8 + 4 + 1; // empty key, type, 1-byte value
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8; // empty name, n_dims 0, type, offset
const MAX_ARRAY_DEPTH = 8;

function readString(r: ByteReader, field: string): string {
  const len = r.u64(`${field} length`);
  return decodeUtf8(r.take(len, field));
}

function readValue(r: ByteReader, type: number, field: string, depth: number): GgufPlain {
  switch (type) {
    case GgufType.UINT8: return r.u8(field);
    case GgufType.INT8: return r.i8(field);
    case GgufType.UINT16: return r.u16(field);
    case GgufType.INT16: return r.i16(field);
    case GgufType.UINT32: return r.u32(field);
    case GgufType.INT32: return r.i32(field);
    case GgufType.FLOAT32: return r.f32(field);
    case GgufType.FLOAT64: return r.f64(field);
    case GgufType.UINT64: return r.u64Big(field);
    case GgufType.INT64: return r.i64Big(field);
    case GgufType.BOOL: {
      const b = r.u8(field);
      if (b > 1) throw new Error(`GGUF: ${field} is a bool with invalid byte ${b}`);
      return b === 1;
    }
    case GgufType.STRING: return readString(r, field);
    case GgufType.ARRAY: {
      if (depth >= MAX_ARRAY_DEPTH) throw new Error(`GGUF: ${field} nests arrays deeper than ${MAX_ARRAY_DEPTH}`);
      const itemType = r.u32(`${field} element type`);
      if (!(itemType in MIN_VALUE_BYTES)) throw new Error(`GGUF: ${field} has unknown element type ${itemType}`);
      const n = r.u64(`${field} length`);
      if (n > r.remaining / MIN_VALUE_BYTES[itemType]) {
        throw new Error(`GGUF: ${field} claims ${n} elements, more than the ${r.remaining} bytes left can hold`);
      }
      const items: GgufPlain[] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = readValue(r, itemType, `${field}[${i}]`, depth + 1);
      return { itemType: itemType as GgufType, items };
    }
    default:
      throw new Error(`GGUF: ${field} has unknown value type ${type}`);
  }
}

/**
 * Parses everything but the tensor data, validating every tensor's place in the file.
 * `bytes` may be only the start of the file (through the tensor infos) when fileSize gives the
 * whole file's size; then `bytes` of the result is that start, and tensors are read from the file.
 */
export function parseGguf(bytes: Uint8Array, fileSize = bytes.length): GgufFile {
  const r = new ByteReader(bytes, 'GGUF');
  const magic = r.u32('magic');
  if (magic !== GGUF_MAGIC) throw new Error(`GGUF: bad magic 0x${magic.toString(16).padStart(8, '0')} (expected "GGUF")`);
  const version = r.u32('version');
  if (version === 1) throw new Error('GGUF: version 1 files (32-bit counts) are not supported; re-convert to v3');
  if (version !== 2 && version !== 3) {
    const swapped = (((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24)) >>> 0;
    throw new Error(swapped === 2 || swapped === 3 ? 'GGUF: big-endian files are not supported' : `GGUF: unsupported version ${version}`);
  }
  const tensorCount = r.u64('tensor_count');
  const kvCount = r.u64('metadata_kv_count');
  if (tensorCount > r.remaining / MIN_TENSOR_INFO_BYTES) throw new Error(`GGUF: tensor_count ${tensorCount} is more than a ${bytes.length}-byte file can hold`);
  if (kvCount > r.remaining / MIN_KV_BYTES) throw new Error(`GGUF: metadata_kv_count ${kvCount} is more than a ${bytes.length}-byte file can hold`);

  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < kvCount; i++) {
    const key = readString(r, `metadata key #${i}`);
    if (metadata.has(key)) throw new Error(`GGUF: duplicate metadata key ${key}`);
    const type = r.u32(`type of metadata ${key}`);
    const value = readValue(r, type, `metadata ${key}`, 0);
    metadata.set(key, { type: type as GgufType, value } satisfies GgufValue);
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const a = metadata.get('general.alignment');
  if (a !== undefined) {
    if (a.type !== GgufType.UINT32) throw new Error('GGUF: general.alignment must be a u32');
    alignment = a.value as number;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw new Error(`GGUF: general.alignment ${alignment} is not a power of two`);
  }

  const infos: { name: string; dims: number[]; type: number; offset: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = readString(r, `tensor #${i} name`);
    if (names.has(name)) throw new Error(`GGUF: duplicate tensor name ${name}`);
    names.add(name);
    const nDims = r.u32(`tensor ${name} n_dims`);
    if (nDims > GGML_MAX_DIMS) throw new Error(`GGUF: tensor ${name} has ${nDims} dimensions (at most ${GGML_MAX_DIMS})`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(r.u64(`tensor ${name} dim ${d}`));
    const type = r.u32(`tensor ${name} type`);
    const offset = r.u64(`tensor ${name} offset`);
    infos.push({ name, dims, type, offset });
  }

  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  const tensors = infos.map((t) => locateTensor(t, dataOffset, alignment, fileSize));
  checkTensorsTileData(tensors, dataOffset, alignment, fileSize);
  return { version, metadata, alignment, dataOffset, tensors, bytes };
}

/**
 * The tensors must tile the data section: the first starts at its start, each next one at the
 * aligned end of the one before, and the last ends within one alignment of the end of the file.
 * A type or shape changed in place (F32 -> F16 halves a tensor) leaves bytes that no tensor
 * accounts for, or an overlap; either is refused rather than read as garbage.
 */
function checkTensorsTileData(tensors: readonly GgufTensorInfo[], dataOffset: number, alignment: number, fileSize: number): void {
  if (tensors.length === 0) return;
  const sorted = [...tensors].sort((x, y) => x.offset - y.offset);
  const alignUp = (n: number) => Math.ceil(n / alignment) * alignment;
  let expected = dataOffset;
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i];
    if (t.offset < expected) throw new Error(`GGUF: tensors ${sorted[i - 1].name} and ${t.name} overlap`);
    if (t.offset > expected) {
      const before = i === 0 ? 'the start of the data section' : `the end of tensor ${sorted[i - 1].name}`;
      throw new Error(`GGUF: a gap of ${t.offset - expected} bytes between ${before} and tensor ${t.name} belongs to no tensor (a tensor's type or shape does not match its data)`);
    }
    expected = alignUp(t.offset + t.byteSize);
  }
  const last = sorted[sorted.length - 1];
  const end = last.offset + last.byteSize;
  if (fileSize > alignUp(end)) {
    throw new Error(`GGUF: the data section has ${fileSize - end} bytes after its last tensor ${last.name} that belong to no tensor (a tensor's type or shape does not match its data)`);
  }
}

function locateTensor(t: { name: string; dims: number[]; type: number; offset: number }, dataOffset: number, alignment: number, fileSize: number): GgufTensorInfo {
  const info = GGML_TYPES[t.type];
  if (!info) throw new Error(`GGUF: tensor ${t.name} has unknown ggml type ${t.type}`);
  let count = 1;
  for (const d of t.dims) {
    if (d !== 0 && count > Number.MAX_SAFE_INTEGER / d) throw new Error(`GGUF: tensor ${t.name} dims [${t.dims}] have too many elements`);
    count *= d;
  }
  if (t.dims.length > 0 && t.dims[0] % info.blockSize !== 0) {
    throw new Error(`GGUF: tensor ${t.name} row length ${t.dims[0]} is not a multiple of the ${info.name} block size ${info.blockSize}`);
  }
  const byteSize = (count / info.blockSize) * info.typeSize;
  if (t.offset % alignment !== 0) throw new Error(`GGUF: tensor ${t.name} offset ${t.offset} is not a multiple of the alignment ${alignment}`);
  const offset = dataOffset + t.offset;
  if (offset > fileSize || byteSize > fileSize - offset) {
    throw new Error(`GGUF: tensor ${t.name} (${info.name} [${[...t.dims].reverse()}], ${byteSize} bytes at ${offset}) runs past the end of the ${fileSize}-byte file`);
  }
  return { name: t.name, shape: [...t.dims].reverse(), type: t.type, offset, byteSize };
}

/**
 * Decodes one tensor: F32 that is 4-byte aligned is a view over the file bytes; F16, BF16,
 * F64 and Q4_0/Q8_0/Q4_K/Q6_K become new float32 arrays; I8/I16/I32 become int32.
 */
export function readGgufTensor(file: GgufFile, t: GgufTensorInfo): NamedTensor {
  assertLittleEndianHost();
  const { bytes } = file;
  let count = 1;
  for (const d of t.shape) count *= d;
  const start = t.offset;
  const abs = bytes.byteOffset + start;
  let data: Float32Array | Int32Array;
  switch (t.type) {
    case GgmlType.F32:
      data = abs % 4 === 0 ? new Float32Array(bytes.buffer, abs, count) : new Float32Array(bytes.slice(start, start + t.byteSize).buffer);
      break;
    case GgmlType.F16: data = new Float32Array(count); decodeF16(bytes, start, data); break;
    case GgmlType.BF16: data = new Float32Array(count); decodeBF16(bytes, start, data); break;
    case GgmlType.Q4_0: data = new Float32Array(count); dequantizeQ4_0(bytes, start, data); break;
    case GgmlType.Q8_0: data = new Float32Array(count); dequantizeQ8_0(bytes, start, data); break;
    case GgmlType.Q4_K: data = new Float32Array(count); dequantizeQ4_K(bytes, start, data); break;
    case GgmlType.Q6_K: data = new Float32Array(count); dequantizeQ6_K(bytes, start, data); break;
    case GgmlType.F64: {
      data = new Float32Array(count);
      const view = new DataView(bytes.buffer, abs, t.byteSize);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(8 * i, true);
      break;
    }
    case GgmlType.I32:
      data = abs % 4 === 0 ? new Int32Array(bytes.buffer, abs, count) : new Int32Array(bytes.slice(start, start + t.byteSize).buffer);
      break;
    case GgmlType.I16: {
      data = new Int32Array(count);
      const view = new DataView(bytes.buffer, abs, t.byteSize);
      for (let i = 0; i < count; i++) data[i] = view.getInt16(2 * i, true);
      break;
    }
    case GgmlType.I8: data = Int32Array.from(new Int8Array(bytes.buffer, abs, count)); break;
    default:
      throw new Error(`GGUF: tensor ${t.name} has type ${ggmlTypeName(t.type)}, which glasslm cannot decode (F32, F16, BF16, F64, Q4_0, Q8_0, Q4_K, Q6_K, I8, I16, I32)`);
  }
  if (data instanceof Float32Array) checkFinite(data, t.name, 'GGUF');
  return { name: t.name, shape: t.shape, data };
}

/**
 * Decodes the raw bytes of a floating-point or quantized tensor (starting at bytes[start]) into
 * float32 `out` (numel values): F32, F16, BF16, F64, Q4_0, Q8_0, Q4_K, Q6_K.
 */
export function decodeGgmlFloat(t: GgufTensorInfo, bytes: Uint8Array, start: number, out: Float32Array): void {
  switch (t.type) {
    case GgmlType.F32: {
      const src = bytes.subarray(start, start + t.byteSize);
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(src);
      break;
    }
    case GgmlType.F16: decodeF16(bytes, start, out); break;
    case GgmlType.BF16: decodeBF16(bytes, start, out); break;
    case GgmlType.Q4_0: dequantizeQ4_0(bytes, start, out); break;
    case GgmlType.Q8_0: dequantizeQ8_0(bytes, start, out); break;
    case GgmlType.Q4_K: dequantizeQ4_K(bytes, start, out); break;
    case GgmlType.Q6_K: dequantizeQ6_K(bytes, start, out); break;
    case GgmlType.F64: {
      const view = new DataView(bytes.buffer, bytes.byteOffset + start, t.byteSize);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    }
    default:
      throw new Error(`GGUF: tensor ${t.name} has type ${ggmlTypeName(t.type)}, not a float type glasslm can decode (F32, F16, BF16, F64, Q4_0, Q8_0, Q4_K, Q6_K)`);
  }
  checkFinite(out, t.name, 'GGUF');
}

/** Parses a GGUF file and decodes every tensor (see readGgufTensor). */
export function readGguf(bytes: Uint8Array): { version: number; metadata: GgufMetadata; tensors: Map<string, NamedTensor>; infos: GgufTensorInfo[] } {
  const file = parseGguf(bytes);
  const tensors = new Map<string, NamedTensor>();
  for (const t of file.tensors) tensors.set(t.name, readGgufTensor(file, t));
  return { version: file.version, metadata: file.metadata, tensors, infos: file.tensors };
}
