// Reading tensors on demand (src/io/lazy.ts) gives the same values as reading whole files, reads
// only what it needs, and reports truncated files clearly; the streaming writers are atomic.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgmlType } from '../src/io/gguf/constants.js';
import { gguf } from '../src/io/gguf/metadata.js';
import { readGguf } from '../src/io/gguf/read.js';
import { writeGgufFile } from '../src/io/gguf/write-file.js';
import { openGgufFile, openSafetensorsDir, openSafetensorsFile } from '../src/io/lazy.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { writeSafetensorsFile, writeSafetensorsShards } from '../src/io/safetensors-file.js';

function tensor(name: string, shape: number[], seed: number) {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.37) * 3) };
}

test('lazy safetensors (single and sharded) and GGUF (F32, F16, Q8_0) equal whole-file reads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-lazy-'));
  try {
    const ts = [tensor('a', [3, 64], 1), tensor('b', [64], 2), tensor('c', [2, 2, 32], 3)];
    writeSafetensorsFile(join(dir, 'one.safetensors'), ts, { k: 'v' });
    const whole = readSafetensors(readFileSync(join(dir, 'one.safetensors')));
    const lazy = openSafetensorsFile(join(dir, 'one.safetensors'));
    assert.deepEqual(lazy.metadata, { k: 'v' });
    for (const t of lazy.tensors) {
      const out = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      t.readInto(out);
      assert.deepEqual(out, whole.get(t.name)!.data);
    }
    lazy.close();

    const shardDir = join(dir, 'shards');
    mkdirSync(shardDir);
    assert.equal(writeSafetensorsShards(shardDir, ts, 64 * 4 * 3).length, 2);
    const sharded = openSafetensorsDir(shardDir);
    assert.deepEqual(sharded.tensors.map((t) => t.name).sort(), ['a', 'b', 'c']);
    for (const t of sharded.tensors) {
      const out = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      t.readInto(out);
      assert.deepEqual(out, ts.find((x) => x.name === t.name)!.data);
    }
    sharded.close();

    for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0]) {
      const path = join(dir, `m${type}.gguf`);
      writeGgufFile(path, { metadata: { 'general.architecture': gguf.str('llama') }, tensors: ts.map((t) => ({ ...t, type: t.shape.length > 1 ? type : GgmlType.F32 })) });
      const full = readGguf(readFileSync(path));
      const g = openGgufFile(path);
      assert.equal(g.metadata.get('general.architecture')!.value, 'llama');
      for (const t of g.tensors) {
        const out = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
        t.readInto(out);
        assert.deepEqual(out, full.tensors.get(t.name)!.data, `${t.name} as ${t.dtype}`);
      }
      g.close();
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncated files are refused when opened, with the file named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-lazy-'));
  try {
    const ts = [tensor('a', [4, 32], 1)];
    const st = join(dir, 'm.safetensors');
    writeSafetensorsFile(st, ts);
    truncateSync(st, readFileSync(st).length - 4);
    assert.throws(() => openSafetensorsFile(st), (e: Error) => /outside the .*data section/.test(e.message) && e.message.includes(st));
    const gg = join(dir, 'm.gguf');
    writeGgufFile(gg, { metadata: {}, tensors: ts.map((t) => ({ ...t, type: GgmlType.F32 })) });
    truncateSync(gg, readFileSync(gg).length - 100);
    assert.throws(() => openGgufFile(gg), (e: Error) => /runs past the end/.test(e.message) && e.message.includes(gg));
    assert.throws(() => openGgufFile(join(dir, 'missing.gguf')), /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
