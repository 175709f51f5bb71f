// Loading safetensors checkpoints from disk (Node only): one file, or a folder with
// model.safetensors or model.safetensors.index.json ({"weight_map": {tensor: shard file}}).

import { existsSync, readFileSync } from 'node:fs';
import { writeAll, writeAtomically } from './atomic.js';
import { join } from 'node:path';
import { readSafetensors, safetensorsHeader, type SafetensorsMap } from './safetensors.js';
import type { NamedTensor } from './types.js';
import { parseShardIndex } from './lazy-bytes.js';

/**
 * Reads one .safetensors file. The file is read once (one copy the size of the file);
 * aligned F32 tensors are views over that buffer, so peak memory stays near the file size.
 */
export function readSafetensorsFile(path: string): SafetensorsMap {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`safetensors: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return readSafetensors(bytes);
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${path})`);
  }
}

/**
 * Reads the checkpoint in a Hugging Face model folder: model.safetensors, or the shards
 * listed by model.safetensors.index.json. Metadata of the shards is merged.
 */
export function readSafetensorsDir(dir: string): SafetensorsMap {
  const single = join(dir, 'model.safetensors');
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (existsSync(indexPath)) return readSharded(dir, indexPath);
  if (existsSync(single)) return readSafetensorsFile(single);
  throw new Error(`safetensors: ${dir} has neither model.safetensors nor model.safetensors.index.json`);
}

/**
 * Reads model.safetensors.index.json: shard file -> the tensor names it holds. Shard names must be
 * plain file names in dir, and every shard must exist.
 */
export function readShardIndex(dir: string, indexPath: string): Map<string, string[]> {
  const byShard = parseShardIndex(readFileSync(indexPath, 'utf8'), indexPath);
  for (const [file, names] of byShard) {
    if (!existsSync(join(dir, file))) {
      throw new Error(`safetensors: shard ${file} named in ${indexPath} (for ${names[0]} and ${names.length - 1} more) is missing`);
    }
  }
  return byShard;
}

function readSharded(dir: string, indexPath: string): SafetensorsMap {
  const byShard = readShardIndex(dir, indexPath);
  const out = new Map<string, NamedTensor>() as SafetensorsMap;
  out.metadata = {};
  for (const [file, names] of byShard) {
    const shard = readSafetensorsFile(join(dir, file));
    Object.assign(out.metadata, shard.metadata);
    for (const name of names) {
      const t = shard.get(name);
      if (!t) throw new Error(`safetensors: ${indexPath} puts ${name} in ${file}, but that shard does not contain it`);
      out.set(name, t);
    }
  }
  return out;
}

/** Streams tensors to a .safetensors file one at a time (no copy of the whole file in memory); atomic. */
export function writeSafetensorsFile(path: string, tensors: readonly NamedTensor[], metadata?: Record<string, string>): void {
  const { header } = safetensorsHeader(tensors, metadata);
  writeAtomically(path, (fd) => {
    writeAll(fd, header);
    for (const t of tensors) writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  });
}

/**
 * Writes a sharded Hugging Face checkpoint into dir: model-0000i-of-0000n.safetensors, each at most
 * maxShardBytes of data (a larger tensor gets a shard of its own), and model.safetensors.index.json.
 * Returns the shard file names.
 */
export function writeSafetensorsShards(dir: string, tensors: readonly NamedTensor[], maxShardBytes: number, metadata: Record<string, string> = { format: 'pt' }): string[] {
  const groups: NamedTensor[][] = [];
  let size = Infinity;
  for (const t of tensors) {
    if (size + t.data.byteLength > maxShardBytes && !(groups.length > 0 && groups[groups.length - 1].length === 0)) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(t);
    size += t.data.byteLength;
  }
  const pad = (i: number) => String(i).padStart(5, '0');
  const names = groups.map((_, i) => `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  let total = 0;
  groups.forEach((group, i) => {
    writeSafetensorsFile(join(dir, names[i]), group, metadata);
    for (const t of group) {
      weightMap[t.name] = names[i];
      total += t.data.byteLength;
    }
  });
  const index = JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n';
  writeAtomically(join(dir, 'model.safetensors.index.json'), (fd) => writeAll(fd, new TextEncoder().encode(index)));
  return names;
}
