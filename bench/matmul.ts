// Matmul speed of the wasm backend: GFLOP/s at 512³ and 1024³ on one thread and on all threads,
// as a fraction of the 128-bit SIMD peak; matrix-vector (decode) GB/s for a 50257×768 matrix; and
// the memory bandwidth measured in the same run (a wasm streaming read of 512 MB).
//
//   npx tsc -p . && node dist/bench/matmul.js [--ghz 3.5] [--threads 2]
// Both builds are measured: plain SIMD128 (multiply, then add) and relaxed SIMD (fused multiply-add).
//
// The 128-bit SIMD peak is measured in the same run: the most f32x4 arithmetic this build retires
// per second (12 independent chains of multiplies and adds, or fused multiply-adds in the relaxed
// build: the mix a matmul needs). The nominal figure of FACTS.md is printed beside it: 16
// flops/cycle/thread (2 multiplies + 2 adds of f32x4 per cycle) at an assumed 3.5 GHz (VMs report
// no real clock; --ghz sets it). Check `top` first: another process holding a core halves the
// two-thread figures.

import { cpus } from 'node:os';
import type { MatmulParams } from '../src/backend/backend.js';
import { type WasmBackend, createWasmBackend } from '../src/backend/wasm/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Seconds per call (median of reps after warm-up calls). */
function time(fn: () => void, reps: number): number {
  fn();
  fn();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

function fill(b: WasmBackend, n: number): Float32Array {
  const x = b.alloc('float32', n) as Float32Array;
  for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  return x;
}

function matmulGflops(b: WasmBackend, n: number, transB: boolean): number {
  const A = fill(b, n * n), B = fill(b, n * n), C = fill(b, n * n);
  const p: MatmulParams = { batch: 1, m: n, n, k: n, transA: false, transB, strideA: 0, strideB: 0, accumulate: false };
  const s = time(() => b.matmul(A, B, C, p), n >= 1024 ? 7 : 21);
  for (const x of [A, B, C]) b.free(x);
  return (2 * n * n * n) / s / 1e9;
}

/**
 * GFLOP/s of a few rows (m) times weight matrices (k × n, or n × k stored as nn.Linear's): batched
 * decode. Eight matrices (75 MB at 768×3072) are taken in turn, so that weights come from memory
 * as in a model, not from the last-level cache.
 */
function smallMGflops(b: WasmBackend, m: number, k: number, n: number, transB: boolean): number {
  const A = fill(b, m * k), C = fill(b, m * n), Bs = Array.from({ length: 8 }, () => fill(b, k * n));
  const p: MatmulParams = { batch: 1, m, n, k, transA: false, transB, strideA: 0, strideB: 0, accumulate: false };
  let next = 0;
  const s = time(() => b.matmul(A, Bs[next++ % Bs.length], C, p), 23);
  for (const x of [A, C, ...Bs]) b.free(x);
  return (2 * m * n * k) / s / 1e9;
}

function matvecGBs(b: WasmBackend, rows: number, cols: number): number {
  const W = fill(b, rows * cols), x = fill(b, cols), y = fill(b, rows);
  const p: MatmulParams = { batch: 1, m: 1, n: rows, k: cols, transA: false, transB: true, strideA: 0, strideB: 0, accumulate: false };
  const s = time(() => b.matmul(x, W, y, p), 21);
  for (const a of [W, x, y]) b.free(a);
  return (rows * cols * 4) / s / 1e9;
}

/** Measured arithmetic peak in GFLOP/s on the backend's threads (best of 5 after warm-up). */
function peakGflops(b: WasmBackend): number {
  for (let i = 0; i < 20; i++) b.peakFlops(10_000);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const flops = b.peakFlops(10_000_000);
    best = Math.max(best, flops / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

/** Integer multiply-adds per second (billions) on this thread, best of 5 after warm-up; 0 when the build lacks it. */
function intMacs(b: WasmBackend, kind: 'i16' | 'i8'): number {
  if (!b.peakIntMacs(kind, 10)) return 0;
  for (let i = 0; i < 20; i++) b.peakIntMacs(kind, 10_000);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const macs = b.peakIntMacs(kind, 5_000_000);
    best = Math.max(best, macs / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

function bandwidthGBs(b: WasmBackend, bytes: number): number {
  const x = fill(b, bytes / 4);
  const s = time(() => b.streamSum(x), 9);
  b.free(x);
  return bytes / s / 1e9;
}

const ghz = Number(arg('ghz') ?? 3.5);
const all = Number(arg('threads') ?? (cpus().length));
console.log(`CPU: ${cpus()[0]?.model}, ${cpus().length} cores; nominal peak 16 flops/cycle/thread at ${ghz} GHz (${arg('ghz') ? 'given' : 'assumed, as FACTS.md; pass --ghz'})`);
for (const [relaxed, threads] of [false, true].flatMap((r) => [...new Set([1, all])].map((t) => [r, t] as const))) {
  let b: WasmBackend;
  try {
    b = await createWasmBackend({ threads, relaxed });
  } catch (e) {
    console.log(`\n${(e as Error).message}`);
    continue;
  }
  const nominal = threads * ghz * 16, peak = peakGflops(b);
  console.log(`\n${b.notes}: measured SIMD peak ${peak.toFixed(1)} GFLOP/s (nominal ${nominal.toFixed(1)})`);
  for (const n of [512, 1024]) {
    for (const transB of [false, true]) {
      const g = matmulGflops(b, n, transB);
      console.log(`  matmul ${n}³ ${transB ? 'A·Bᵀ' : 'A·B '}: ${g.toFixed(1)} GFLOP/s  (${((100 * g) / peak).toFixed(0)}% of the measured peak, ${((100 * g) / nominal).toFixed(0)}% of nominal)`);
    }
  }
  for (const transB of [false, true]) {
    const rates = [1, 4, 8, 16].map((m) => `m=${m} ${smallMGflops(b, m, 768, 3072, transB).toFixed(1)}`);
    console.log(`  few rows · 768×3072 ${transB ? '(n × k, nn.Linear)' : '(k × n, Conv1D)  '}: ${rates.join(', ')} GFLOP/s`);
  }
  if (threads === 1) {
    const f32 = peakGflops(b) / 2 / threads; // multiply-adds: 2 flops each
    const rates = (['i16', 'i8'] as const).map((kind) => [kind, intMacs(b, kind)] as const);
    console.log(`  one thread, billions of multiply-adds/s: f32x4 ${f32.toFixed(1)}; ${rates.map(([kind, r]) => `${kind === 'i16' ? 'i32x4.dot_i16x8_s + add' : 'relaxed_dot_i8x16_i7x16_add'} ${r ? `${r.toFixed(1)} (${(r / f32).toFixed(2)}× f32)` : 'not in this build'}`).join('; ')}`);
  }
  console.log(`  matvec 50257×768 (x·Wᵀ, m = 1): ${matvecGBs(b, 50257, 768).toFixed(1)} GB/s of weights`);
  console.log(`  memory bandwidth (wasm streaming read of 512 MB): ${bandwidthGBs(b, 512 * 1024 * 1024).toFixed(1)} GB/s`);
  b.dispose();
}
