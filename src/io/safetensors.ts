// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [start, end]}, "__metadata__": {string: string}},
// then the data section; offsets are relative to its start (byte 8 + N).
// https://github.com/huggingface/safetensors (format described in its README)

import { assertLittleEndianHost, decodeUtf8, encodeUtf8 } from './bytes.js';
import { decodeBF16, decodeF16 } from './half.js';
import { checkFinite } from './limits.js';
import { checkTensor, numel, type NamedTensor } from './types.js';

/** Tensors by name, plus the file's string metadata. */
export type SafetensorsMap = Map<string, NamedTensor> & { metadata: Record<string, string> };

/** Bytes per element of each dtype we can read, and what it becomes. */
const DTYPES: Record<string, { size: number; kind: 'float' | 'int' }> = {
  F64: { size: 8, kind: 'float' },
  F32: { size: 4, kind: 'float' },
  F16: { size: 2, kind: 'float' },
  BF16: { size: 2, kind: 'float' },
  I64: { size: 8, kind: 'int' },
  I32: { size: 4, kind: 'int' },
  U32: { size: 4, kind: 'int' },
  I16: { size: 2, kind: 'int' },
  U16: { size: 2, kind: 'int' },
  I8: { size: 1, kind: 'int' },
  U8: { size: 1, kind: 'int' },
  BOOL: { size: 1, kind: 'int' },
};

/** A header entry after validation; start/end are absolute offsets into the file. */
interface Entry { name: string; dtype: string; shape: number[]; start: number; end: number }

/** Largest JSON header we accept (the reference implementation uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses and validates the header; throws an Error saying what is wrong. `bytes` may be just the
 * start of the file (at least 8 + header length bytes) when fileSize gives the whole file's size.
 */
function parseHeader(bytes: Uint8Array, fileSize = bytes.length): { entries: Entry[]; metadata: Record<string, string> } {
  if (fileSize < 8 || bytes.length < 8) throw new Error(`safetensors: file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const n = safetensorsHeaderLength(bytes, fileSize);
  const dataStart = 8 + n;
  if (bytes.length < dataStart) throw new Error(`safetensors: the ${n}-byte header was not read whole (${bytes.length} bytes given)`);
  const dataLen = fileSize - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(decodeUtf8(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('safetensors: header is not a JSON object');

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('safetensors: __metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new Error(`safetensors: __metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, value, dataStart, dataLen));
  }

  // No two tensors may share bytes.
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].end) throw new Error(`safetensors: tensors ${sorted[i - 1].name} and ${sorted[i].name} overlap`);
  }
  return { entries, metadata };
}

function parseEntry(name: string, value: unknown, dataStart: number, dataLen: number): Entry {
  const where = `safetensors: tensor ${JSON.stringify(name)}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new Error(`${where}: dtype missing or not a string`);
  const info = DTYPES[dtype];
  if (!info) throw new Error(`${where}: unknown or unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new Error(`${where}: data_offsets must be [start, end] non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [start, end] = offsets as number[];
  if (start > end || end > dataLen) throw new Error(`${where}: data_offsets [${start}, ${end}] are outside the ${dataLen}-byte data section`);
  const count = numel(shape as number[]);
  if (count * info.size !== end - start) {
    throw new Error(`${where}: shape [${shape}] of ${dtype} needs ${count * info.size} bytes, data_offsets span ${end - start}`);
  }
  return { name, dtype, shape: shape as number[], start: dataStart + start, end: dataStart + end };
}

/** The JSON header's length from the first 8 bytes, checked against the file size. */
export function safetensorsHeaderLength(first8: Uint8Array, fileSize: number): number {
  const n64 = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(fileSize - 8)) throw new Error(`safetensors: header length ${n64} is beyond the end of the ${fileSize}-byte file`);
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) throw new Error(`safetensors: header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
  return n;
}

/** A tensor's place in a file: dtype, shape, and absolute byte range [start, end). */
export type SafetensorsEntry = Entry;

/** The validated header of a file whose first 8 + N bytes are `head` (the rest need not be read). */
export function parseSafetensorsHeader(head: Uint8Array, fileSize: number): { entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  assertLittleEndianHost();
  return parseHeader(head, fileSize);
}

/**
 * Decodes one tensor's raw bytes (exactly its data_offsets range) into float32 `out`:
 * F32 is copied, F16/BF16/F64 converted; integer dtypes are refused.
 */
export function decodeSafetensorsFloat(e: SafetensorsEntry, raw: Uint8Array, out: Float32Array): void {
  if (out.length !== numel(e.shape) || raw.length !== e.end - e.start) throw new Error(`safetensors: tensor ${e.name}: wrong buffer sizes for decoding`);
  switch (e.dtype) {
    case 'F32': new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(raw); break;
    case 'F16': decodeF16(raw, 0, out); break;
    case 'BF16': decodeBF16(raw, 0, out); break;
    case 'F64': {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    }
    default: throw new Error(`safetensors: tensor ${e.name} is ${e.dtype}, not a float tensor`);
  }
  checkFinite(out, e.name, 'safetensors');
}

/** Decodes one validated entry; F32 data that is 4-byte aligned is a view, not a copy. */
function decodeEntry(bytes: Uint8Array, e: Entry): NamedTensor {
  const count = numel(e.shape);
  const abs = bytes.byteOffset + e.start;
  const view = new DataView(bytes.buffer, bytes.byteOffset + e.start, e.end - e.start);
  let data: Float32Array | Int32Array;
  switch (e.dtype) {
    case 'F32':
      data = abs % 4 === 0 ? new Float32Array(bytes.buffer, abs, count) : new Float32Array(bytes.slice(e.start, e.end).buffer);
      break;
    case 'F16': data = new Float32Array(count); decodeF16(bytes, e.start, data); break;
    case 'BF16': data = new Float32Array(count); decodeBF16(bytes, e.start, data); break;
    case 'F64': {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(8 * i, true);
      break;
    }
    case 'I32': data = abs % 4 === 0 ? new Int32Array(bytes.buffer, abs, count) : new Int32Array(bytes.slice(e.start, e.end).buffer); break;
    case 'I64': {
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = view.getUint32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        // fits int32 exactly when hi is the sign extension of lo
        if (hi !== (lo | 0) >> 31) throw new Error(`safetensors: tensor ${e.name}: I64 value ${view.getBigInt64(8 * i, true)} at index ${i} does not fit int32`);
        data[i] = lo | 0;
      }
      break;
    }
    case 'U32': {
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getUint32(4 * i, true);
        if (v > 0x7fffffff) throw new Error(`safetensors: tensor ${e.name}: U32 value ${v} at index ${i} does not fit int32`);
        data[i] = v;
      }
      break;
    }
    case 'I16': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt16(2 * i, true); break;
    case 'U16': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getUint16(2 * i, true); break;
    case 'I8': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt8(i); break;
    case 'U8': case 'BOOL': data = Int32Array.from(bytes.subarray(e.start, e.end)); break;
    default: throw new Error(`safetensors: tensor ${e.name}: dtype ${e.dtype} has no decoder`);
  }
  if (data instanceof Float32Array) checkFinite(data, e.name, 'safetensors');
  return { name: e.name, shape: e.shape, data };
}

/**
 * Reads a safetensors file from its bytes. Aligned F32 and I32 tensors are views over
 * `bytes` (keep it alive and unmodified); everything else is converted into new arrays.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsMap {
  assertLittleEndianHost();
  const { entries, metadata } = parseHeader(bytes);
  const map = new Map<string, NamedTensor>() as SafetensorsMap;
  map.metadata = metadata;
  for (const e of entries) map.set(e.name, decodeEntry(bytes, e));
  return map;
}

/** Only the header: names, dtypes, shapes (no tensor data is decoded). */
export function readSafetensorsHeader(bytes: Uint8Array): { tensors: { name: string; dtype: string; shape: number[] }[]; metadata: Record<string, string> } {
  const { entries, metadata } = parseHeader(bytes);
  return { tensors: entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata };
}

/**
 * The header of a file holding `list` in order (8-byte length + JSON padded with spaces to a
 * multiple of 8 bytes, so the data stays aligned), and the data section's size.
 */
export function safetensorsHeader(list: readonly NamedTensor[], metadata?: Record<string, string>): { header: Uint8Array; dataBytes: number } {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of list) {
    checkTensor(t);
    if (t.name === '__metadata__' || t.name in header) throw new Error(`writeSafetensors: duplicate or reserved tensor name ${JSON.stringify(t.name)}`);
    const dtype = t.data instanceof Float32Array ? 'F32' : 'I32';
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = encodeUtf8(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  return { header: out, dataBytes: offset };
}

/**
 * Writes tensors as F32 (Float32Array) or I32 (Int32Array), in the order given,
 * with the JSON header padded with spaces to a multiple of 8 bytes so the data stays aligned.
 */
export function writeSafetensors(
  tensors: Iterable<NamedTensor> | Map<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = tensors instanceof Map ? [...tensors.values()] : [...tensors];
  const { header, dataBytes } = safetensorsHeader(list, metadata);
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header, 0);
  let p = header.length;
  for (const t of list) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
