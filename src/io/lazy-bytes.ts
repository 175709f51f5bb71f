// Checkpoint tensors decoded on demand from bytes already in memory (a fetch response, a dropped
// File): the same LazyTensor interface that ./lazy.ts gives for files on disk (Node), so one loader
// builds a model from either. Nothing is decoded before a tensor's readInto is called, and F32
// tensors are copied straight from the bytes into the destination.

import { GgmlType, ggmlTypeName } from './gguf/constants.js';
import type { GgufMetadata } from './gguf/metadata.js';
import { decodeGgmlFloat, parseGguf, type GgufTensorInfo } from './gguf/read.js';
import { decodeSafetensorsFloat, parseSafetensorsHeader, safetensorsHeaderLength, type SafetensorsEntry } from './safetensors.js';
import { numel } from './types.js';

/** A tensor in a file: its name, row-major shape, stored type, and a reader. */
export interface LazyTensor {
  name: string;
  shape: number[];
  /** The stored type as the format names it: 'F32', 'F16', 'BF16', 'Q8_0', … */
  dtype: string;
  /** Bytes the tensor takes in the file. */
  byteSize: number;
  /** Decodes the tensor into out (float32, numel(shape) values), reading only its bytes. */
  readInto(out: Float32Array): void;
}

/** An open checkpoint: its tensors, and close() for the file handles (nothing to close for bytes). */
export interface LazyFile {
  tensors: LazyTensor[];
  /** Total size of the file(s) in bytes. */
  fileBytes: number;
  close(): void;
}

/** An open GGUF file: metadata, tensor infos, and lazy tensors under their GGUF names. */
export interface LazyGguf extends LazyFile {
  version: number;
  metadata: GgufMetadata;
  infos: GgufTensorInfo[];
}

/**
 * Where a checkpoint's bytes come from: memory (this file) or a file on disk (./lazy.ts). The
 * tensor listings below are written once over this; each source only says how to read a range.
 */
export interface ByteSource {
  /** Total size in bytes. */
  size: number;
  /** Names the source in error messages ('model.safetensors', a path). */
  what: string;
  /** The bytes [start, start + length): a view where the source is memory, a fresh read otherwise. */
  bytes(start: number, length: number): Uint8Array;
  /** Fills target with the bytes from start (F32 tensors are read straight into their destination). */
  readInto(start: number, target: Uint8Array): void;
}

/** A source over bytes already in memory. */
export function memorySource(bytes: Uint8Array, what: string): ByteSource {
  const inRange = (start: number, length: number) => {
    if (start + length > bytes.length) throw new Error(`${what}: the range [${start}, ${start + length}) runs past the end of the ${bytes.length}-byte file`);
  };
  return {
    size: bytes.length,
    what,
    bytes(start, length) {
      inRange(start, length);
      return bytes.subarray(start, start + length);
    },
    readInto(start, target) {
      inRange(start, target.length);
      target.set(bytes.subarray(start, start + target.length));
    },
  };
}

const floatBytes = (out: Float32Array) => new Uint8Array(out.buffer, out.byteOffset, out.byteLength);

function checkDestination(format: string, name: string, shape: number[], out: Float32Array): void {
  if (out.length !== numel(shape)) throw new Error(`${format}: tensor ${name}: destination has ${out.length} values, the tensor ${numel(shape)}`);
}

/** The lazy tensors of a parsed safetensors header, read from source. */
export function safetensorsTensors(entries: readonly SafetensorsEntry[], source: ByteSource): LazyTensor[] {
  return entries.map((e): LazyTensor => ({
    name: e.name,
    shape: e.shape,
    dtype: e.dtype,
    byteSize: e.end - e.start,
    readInto(out: Float32Array) {
      checkDestination('safetensors', e.name, e.shape, out);
      if (e.dtype === 'F32') source.readInto(e.start, floatBytes(out));
      else decodeSafetensorsFloat(e, source.bytes(e.start, e.end - e.start), out);
    },
  }));
}

/** The lazy tensors of a parsed GGUF header, read (and dequantized) from source. */
export function ggufTensors(infos: readonly GgufTensorInfo[], source: ByteSource): LazyTensor[] {
  return infos.map((t): LazyTensor => ({
    name: t.name,
    shape: t.shape,
    dtype: ggmlTypeName(t.type),
    byteSize: t.byteSize,
    readInto(out: Float32Array) {
      checkDestination('GGUF', t.name, t.shape, out);
      if (t.offset + t.byteSize > source.size) throw new Error(`GGUF: tensor ${t.name} runs past the end of the ${source.size}-byte file (in ${source.what})`);
      if (t.type === GgmlType.F32) source.readInto(t.offset, floatBytes(out));
      else decodeGgmlFloat(t, source.bytes(t.offset, t.byteSize), 0, out);
    },
  }));
}

/** The tensors of one .safetensors file held in memory (header parsed now, data decoded on demand). */
export function openSafetensorsBytes(bytes: Uint8Array, what = 'safetensors'): LazyFile & { metadata: Record<string, string> } {
  let parsed;
  try {
    if (bytes.length < 8) throw new Error(`safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length`);
    const n = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length);
    parsed = parseSafetensorsHeader(bytes.subarray(0, 8 + n), bytes.length);
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${what})`);
  }
  const tensors = safetensorsTensors(parsed.entries, memorySource(bytes, what));
  return { tensors, metadata: parsed.metadata, fileBytes: bytes.length, close() {} };
}

/**
 * model.safetensors.index.json ({"weight_map": {tensor: shard file}}) as shard file -> the tensor
 * names it holds. Shard names must be plain file names (no folders).
 */
export function parseShardIndex(text: string, what: string): Map<string, string[]> {
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (e) {
    throw new Error(`safetensors: ${what} is not valid JSON (${(e as Error).message})`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new Error(`safetensors: ${what} has no weight_map object`);
  }
  const byShard = new Map<string, string[]>();
  for (const [name, file] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || file === '..' || file === '.' || file === '') {
      throw new Error(`safetensors: ${what}: weight_map[${JSON.stringify(name)}] is not a shard file name: ${JSON.stringify(file)}`);
    }
    if (!byShard.has(file)) byShard.set(file, []);
    byShard.get(file)!.push(name);
  }
  return byShard;
}

/**
 * The tensors of a sharded checkpoint: for each shard (in index order) its lazy file, then each
 * tensor taken from the shard the index names. `open(file)` opens one shard (bytes or disk).
 */
export function shardedTensors(byShard: Map<string, string[]>, indexWhat: string, open: (file: string) => LazyFile): LazyFile {
  const opened: LazyFile[] = [];
  const close = () => { for (const f of opened) f.close(); };
  try {
    const tensors: LazyTensor[] = [];
    let fileBytes = 0;
    for (const [file, names] of byShard) {
      const shard = open(file);
      opened.push(shard);
      fileBytes += shard.fileBytes;
      const byName = new Map(shard.tensors.map((t) => [t.name, t]));
      for (const name of names) {
        const t = byName.get(name);
        if (!t) throw new Error(`safetensors: ${indexWhat} puts ${name} in ${file}, but that shard does not contain it`);
        tensors.push(t);
      }
    }
    return { tensors, fileBytes, close };
  } catch (e) {
    close();
    throw e;
  }
}

/**
 * The checkpoint of a Hugging Face folder given as files: model.safetensors, or the shards named
 * by model.safetensors.index.json.
 */
export function openSafetensorsFiles(files: ReadonlyMap<string, Uint8Array>): LazyFile {
  const index = files.get('model.safetensors.index.json');
  if (!index) {
    const single = files.get('model.safetensors');
    if (single) return openSafetensorsBytes(single, 'model.safetensors');
    throw new Error(`safetensors: the files (${[...files.keys()].join(', ') || 'none'}) hold neither model.safetensors nor model.safetensors.index.json`);
  }
  const what = 'model.safetensors.index.json';
  const byShard = parseShardIndex(new TextDecoder().decode(index), what);
  for (const [file, names] of byShard) {
    if (!files.has(file)) throw new Error(`safetensors: shard ${file} named in ${what} (for ${names[0]} and ${names.length - 1} more) is missing`);
  }
  return shardedTensors(byShard, what, (file) => openSafetensorsBytes(files.get(file)!, file));
}

/** A GGUF file held in memory: header parsed now, each tensor dequantized when it is read. */
export function openGgufBytes(bytes: Uint8Array, what = 'GGUF'): LazyGguf {
  let file;
  try {
    file = parseGguf(bytes);
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${what})`);
  }
  const tensors = ggufTensors(file.tensors, memorySource(bytes, what));
  return { version: file.version, metadata: file.metadata, infos: file.tensors, tensors, fileBytes: bytes.length, close() {} };
}
