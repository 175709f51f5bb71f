// Shared by the hostile-file tests (loaders in Node, the second round's files, the page's file
// pickers): a model folder with a changed config.json, a GGUF with a changed u32 metadata value,
// and a load in a bounded child that must end in a plain Error.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBounded, runBounded } from './bounded.js';

/**
 * A copy of a Hugging Face folder (config.json + model.safetensors) in a new temporary folder,
 * its config changed in place by `change`, or replaced by what `change` returns.
 */
export function patchConfig(dir: string, change: (c: Record<string, unknown>) => unknown): string {
  const out = join(mkdtempSync(join(tmpdir(), 'glasslm-hostile-')), 'patched');
  mkdirSync(out);
  copyFileSync(join(dir, 'model.safetensors'), join(out, 'model.safetensors'));
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const changed = change(c);
  writeFileSync(join(out, 'config.json'), JSON.stringify(changed === undefined ? c : changed));
  return out;
}

/** Replaces the u32 value of a GGUF metadata key in place (the key must be a u32). */
export function patchGgufU32(bytes: Uint8Array, key: string, value: number): void {
  const needle = new TextEncoder().encode(key);
  outer: for (let i = 0; i + needle.length < bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getUint32(i + needle.length, true), 4, `${key} is a u32`);
    view.setUint32(i + needle.length + 4, value, true);
    return;
  }
  throw new Error(`no key ${key}`);
}

/** Loading `path` in a bounded child (512 MiB heap, 10 s) must end with a plain Error matching pattern, under 1 GiB. */
export async function refusedBounded(path: string, pattern: RegExp, label: string): Promise<void> {
  const r = await runBounded(`const { loadModel } = await import(dist + '/models/load-file.js'); loadModel(arg); return 'loaded';`, { arg: path, heapMiB: 512, timeoutMs: 10_000 });
  assert.ok(r.error, `${label}: ${describeBounded(r)}`);
  assert.equal(r.error.name, 'Error', `${label}: ${describeBounded(r)}`);
  assert.match(r.error.message, pattern, label);
  assert.ok(r.maxRssMiB! < 1024, `${label}: used ${r.maxRssMiB} MiB`);
}
