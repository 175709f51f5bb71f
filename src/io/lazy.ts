// Tensors read on demand from checkpoint files on disk (Node only), so a loader can decode each
// tensor straight into storage it allocated, with no second copy of the whole file in memory.
// A thin layer over ./lazy-bytes.ts (browser-safe), which lists the tensors over any byte source:
// this file only reads headers and ranges from a file descriptor.
//
//   const file = openGgufFile(path);          // reads only the header
//   for (const t of file.tensors) t.readInto(Tensor.empty(t.shape).data() as Float32Array);
//   file.close();
//
// Only the bytes of one tensor are ever held beyond the destination (and not even those for F32).

import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseGguf } from './gguf/read.js';
import { type ByteSource, type LazyFile, type LazyGguf, type LazyTensor, ggufTensors, safetensorsTensors, shardedTensors } from './lazy-bytes.js';
import { parseSafetensorsHeader, safetensorsHeaderLength, type SafetensorsEntry } from './safetensors.js';
import { readShardIndex } from './safetensors-file.js';

export type { LazyFile, LazyGguf, LazyTensor } from './lazy-bytes.js';

/** Reads exactly target.length bytes at position (in pieces: readSync reads at most 2 GiB). */
export function readRange(fd: number, position: number, target: Uint8Array, what: string): void {
  const CHUNK = 1 << 28;
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(CHUNK, target.length - done), position + done);
    if (n === 0) throw new Error(`${what}: file ended ${target.length - done} bytes early at offset ${position + done}`);
    done += n;
  }
}

function openRead(path: string, what: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new Error(`${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** A source reading ranges of an open file (./lazy-bytes.ts lists the tensors over it). */
function fileSource(fd: number, size: number, what: string): ByteSource {
  return {
    size,
    what,
    bytes(start, length) {
      const raw = new Uint8Array(length);
      readRange(fd, start, raw, what);
      return raw;
    },
    readInto(start, target) {
      readRange(fd, start, target, what);
    },
  };
}

/** Tensors of one .safetensors file; only the header is read now. */
function safetensorsFromFile(path: string, fd: number): { tensors: LazyTensor[]; metadata: Record<string, string>; size: number } {
  const size = fstatSync(fd).size;
  const first8 = new Uint8Array(8);
  if (size >= 8) readRange(fd, 0, first8, 'safetensors');
  let parsed: { entries: SafetensorsEntry[]; metadata: Record<string, string> };
  try {
    const n = size >= 8 ? safetensorsHeaderLength(first8, size) : 0;
    const head = new Uint8Array(8 + n);
    if (size >= 8) readRange(fd, 0, head, 'safetensors');
    parsed = parseSafetensorsHeader(head, size);
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${path})`);
  }
  return { tensors: safetensorsTensors(parsed.entries, fileSource(fd, size, `safetensors ${path}`)), metadata: parsed.metadata, size };
}

/** Opens one .safetensors file (header only). */
export function openSafetensorsFile(path: string): LazyFile & { metadata: Record<string, string> } {
  const fd = openRead(path, 'safetensors');
  try {
    const { tensors, metadata, size } = safetensorsFromFile(path, fd);
    return { tensors, metadata, fileBytes: size, close: () => closeSync(fd) };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Opens the checkpoint of a Hugging Face folder: model.safetensors, or the shards named by
 * model.safetensors.index.json (each tensor taken from the shard the index names).
 */
export function openSafetensorsDir(dir: string): LazyFile {
  const indexPath = join(dir, 'model.safetensors.index.json');
  const single = join(dir, 'model.safetensors');
  if (!existsSync(indexPath)) {
    if (existsSync(single)) return openSafetensorsFile(single);
    throw new Error(`safetensors: ${dir} has neither model.safetensors nor model.safetensors.index.json`);
  }
  const byShard = readShardIndex(dir, indexPath);
  return shardedTensors(byShard, indexPath, (file) => openSafetensorsFile(join(dir, file)));
}

/** Most bytes of a GGUF header read before it is called corrupt. */
const MAX_GGUF_HEADER = 1 << 28;

/**
 * Opens a GGUF file reading only its header (metadata and tensor infos): 1 MiB first, doubling
 * while the header runs past what was read.
 */
export function openGgufFile(path: string): LazyGguf {
  const fd = openRead(path, 'GGUF');
  try {
    const size = fstatSync(fd).size;
    let file;
    for (let want = Math.min(size, 1 << 20); ; want = Math.min(size, want * 2)) {
      const head = new Uint8Array(want);
      readRange(fd, 0, head, 'GGUF');
      try {
        file = parseGguf(head, size);
        break;
      } catch (e) {
        // read more only when the header may simply run past what was read, and never past 256 MiB
        // (a real header, even with a 150,000-token vocabulary, is a few MiB): a bad magic or a
        // corrupt count must not make a 10 GB file be read whole
        const mayBeCut = /truncated|can hold/.test((e as Error).message);
        if (want >= size || !mayBeCut) throw new Error(`${(e as Error).message} (in ${path})`);
        if (want >= MAX_GGUF_HEADER) throw new Error(`GGUF: the header runs past its first ${MAX_GGUF_HEADER / 2 ** 20} MiB (a corrupt count or length?) (in ${path})`);
      }
    }
    const tensors = ggufTensors(file.tensors, fileSource(fd, size, `GGUF ${path}`));
    return { version: file.version, metadata: file.metadata, infos: file.tensors, tensors, fileBytes: size, close: () => closeSync(fd) };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
