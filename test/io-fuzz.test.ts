// Fuzzing the readers with mutated real files (seeded, a few hundred cases): each result must be
// either a load with sane tensors or a plain Error with a message, never a TypeError/RangeError
// from the internals, a hang, or a huge allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.js';
import { readGguf } from '../src/io/gguf/read.js';
import { writeGguf } from '../src/io/gguf/write.js';
import { GgmlType, GgufType } from '../src/io/gguf/constants.js';
import { gguf } from '../src/io/gguf/metadata.js';
import { readLlama2c } from '../src/io/llama2c.js';
import type { NamedTensor } from '../src/io/types.js';
import { projectRoot, sharedPath } from './shared.js';

/** mulberry32: a small seeded PRNG, so every failure is reproducible. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One mutation of src: byte flips, a truncation, or a corrupted 4/8-byte length field near the start. */
function mutate(src: Uint8Array, rand: () => number, headerBytes: number): { bytes: Uint8Array; what: string } {
  const pick = (n: number) => Math.floor(rand() * n);
  const kind = pick(4);
  if (kind === 0) {
    const len = pick(src.length);
    return { bytes: src.slice(0, len), what: `truncate to ${len}` };
  }
  const bytes = src.slice();
  const where = () => (rand() < 0.8 ? pick(Math.min(headerBytes, src.length)) : pick(src.length));
  if (kind === 1) {
    const flips = 1 + pick(8);
    for (let i = 0; i < flips; i++) bytes[where()] ^= 1 << pick(8);
    return { bytes, what: `${flips} bit flips` };
  }
  if (kind === 2) {
    const at = where();
    for (let i = 0; i < 4 && at + i < bytes.length; i++) bytes[at + i] = pick(256);
    return { bytes, what: `random bytes at ${at}` };
  }
  // a length-like field: a large or off-by-a-little u64 at a field position (8-byte aligned early on)
  const at = Math.min(pick(Math.min(headerBytes, src.length) >> 3) * 8, Math.max(0, bytes.length - 8));
  const view = new DataView(bytes.buffer);
  const values = [2n ** 63n, 2n ** 40n, 2n ** 32n - 1n, BigInt(src.length), BigInt(src.length + 1), 0n, view.getBigUint64(at, true) + 1n];
  view.setBigUint64(at, values[pick(values.length)] & (2n ** 64n - 1n), true);
  return { bytes, what: `u64 at ${at}` };
}

function checkSane(tensors: Iterable<NamedTensor>): void {
  for (const t of tensors) {
    assert.ok(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0), `${t.name} shape`);
    assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), `${t.name} size`);
    assert.ok(t.data instanceof Float32Array || t.data instanceof Int32Array);
  }
}

/** Runs n mutations through load; counts successes and clean refusals. */
function fuzz(label: string, src: Uint8Array, n: number, seed: number, headerBytes: number, load: (b: Uint8Array) => Iterable<NamedTensor>): void {
  const rand = prng(seed);
  let loaded = 0, refused = 0;
  for (let i = 0; i < n; i++) {
    const { bytes, what } = mutate(src, rand, headerBytes);
    try {
      checkSane(load(bytes));
      loaded++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw new Error(`${label} case ${i} (${what}): loaded insane tensors: ${e.message}`);
      const err = e as Error;
      assert.equal(err.constructor, Error, `${label} case ${i} (${what}): ${err.constructor.name} leaked: ${err.message}`);
      assert.ok(err.message.length > 10, `${label} case ${i}: message too short`);
      refused++;
    }
  }
  console.log(`${label}: ${n} mutations, ${loaded} loaded, ${refused} refused with an Error`);
}

test('fuzz: GGUF written here (all metadata types, F32/F16/Q8_0/Q4_0/I32 tensors)', () => {
  const x = Float32Array.from({ length: 128 }, (_, i) => Math.cos(i));
  const bytes = writeGguf({
    metadata: {
      'general.architecture': gguf.str('llama'), 'a.u64': gguf.u64(5), 'a.f32': gguf.f32(1.5), 'a.bool': gguf.bool(true),
      'a.arr': gguf.array(GgufType.STRING, ['x', 'yy']), 'a.nested': gguf.array(GgufType.ARRAY, [{ itemType: GgufType.INT16, items: [1, -1] }]),
    },
    tensors: [
      { name: 'f32', shape: [4, 32], data: x, type: GgmlType.F32 },
      { name: 'f16', shape: [128], data: x, type: GgmlType.F16 },
      { name: 'q8', shape: [2, 64], data: x, type: GgmlType.Q8_0 },
      { name: 'q4', shape: [128], data: x, type: GgmlType.Q4_0 },
      { name: 'i32', shape: [3], data: new Int32Array([1, 2, 3]), type: GgmlType.I32 },
    ],
  });
  fuzz('gguf (written)', bytes, 300, 1, 400, (b) => readGguf(b).tensors.values());
});

test('fuzz: GPT-2 vocab-only GGUF', { skip: sharedPath('data', 'tokenizers', 'gpt2', 'vocab-only.gguf') ? false : 'skipped: ../shared is absent' }, () => {
  const bytes = new Uint8Array(readFileSync(sharedPath('data', 'tokenizers', 'gpt2', 'vocab-only.gguf')!));
  fuzz('gguf (vocab-only)', bytes, 40, 2, 600, (b) => readGguf(b).tensors.values());
});

test('fuzz: reference safetensors', { skip: sharedPath('reference', 'llama-tiny', 'model.safetensors') ? false : 'skipped: ../shared is absent' }, () => {
  const bytes = new Uint8Array(readFileSync(sharedPath('reference', 'llama-tiny', 'model.safetensors')!));
  const headerLen = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  fuzz('safetensors (llama-tiny)', bytes, 300, 3, headerLen, (b) => readSafetensors(b).values());
});

test('fuzz: stories260K.bin (llama2.c)', { skip: sharedPath('data', 'models', 'stories260K', 'stories260K.bin') ? false : 'skipped: ../shared is absent' }, () => {
  const bytes = new Uint8Array(readFileSync(sharedPath('data', 'models', 'stories260K', 'stories260K.bin')!));
  fuzz('llama2.c (stories260K)', bytes, 150, 4, 28, (b) => readLlama2c(b).tensors.values());
});

// Bounded fuzzing of every loader (built here, no ../shared needed): counts and sizes set to
// hostile values as well as random bytes and non-finite weights. Each target runs in a child
// process with a 1 GiB heap and a time limit; every case must load sanely or throw a plain Error.
const FUZZ_TARGETS: [string, number][] = [
  ['safetensors', 800], ['config', 600], ['gguf', 800], ['llama2c', 800],
  ['tokenizer.json', 800], ['GGUF vocabulary', 600], ['llama2.c vocabulary', 800],
];

for (const [target, n] of FUZZ_TARGETS) {
  test(`bounded fuzz: ${target} (${n} cases: count/size fields, bytes, NaN weights; 1 GiB heap, 30 s)`, async () => {
    const worker = join(projectRoot, 'dist', 'test', 'fuzz-worker.js');
    const { stdout, code, signal, ms } = await new Promise<{ stdout: string; code: number | null; signal: string | null; ms: number }>((resolve) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, ['--max-old-space-size=1024', worker, target, '11', String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d; });
      child.stderr.on('data', (d: Buffer) => { out += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (c, s) => { clearTimeout(timer); resolve({ stdout: out, code: c, signal: s, ms: performance.now() - t0 }); });
    });
    const lines = stdout.trim().split('\n');
    const done = lines.find((l) => l.startsWith('@done '));
    const lastCase = [...lines].reverse().find((l) => l.startsWith('@case '));
    assert.ok(done && code === 0, `${target}: the child ${signal ? `was killed (${signal}) after ${Math.round(ms)} ms` : `exited with ${code}`} during ${lastCase ?? 'setup'}\n${lines.slice(-5).join('\n')}`);
    const r = JSON.parse(done.slice(6));
    assert.deepEqual(r.bad, [], `${target}: cases that crashed or loaded garbage`);
    assert.equal(r.cases, n);
    assert.ok(r.maxMs < 10_000, `${target}: ${r.slowest} took ${r.maxMs} ms`);
    assert.ok(r.maxRssMiB < 1024, `${target}: peak memory ${r.maxRssMiB} MiB`);
    console.log(`${r.target}: ${r.cases} cases, ${r.loaded} loaded, ${r.refused} refused with an Error; slowest ${Math.round(r.maxMs)} ms, peak ${Math.round(r.maxRssMiB)} MiB, ${Math.round(ms)} ms in all`);
  });
}
