// The WebAssembly SIMD backend: every tensor lives in one shared WebAssembly.Memory, the kernels
// (src/backend/wasm/kernels/*.c, built by scripts/build-wasm.sh) run on it without copies, and
// large kernels are split across worker threads that share the memory.
//
//   const backend = await createWasmBackend({ threads: 2 });
//   setBackend(backend);            // tensors created from now on live in wasm memory
//   …
//   backend.dispose();              // stops the workers
//
// In a browser, run it inside a Worker (a page's main thread may not block in Atomics.wait): with
// cross-origin isolation (COOP/COEP headers) it runs several threads on a shared memory, otherwise
// the single-thread build, and `notes` says which. See docs/browser.md for bundlers.
//
// Float64 tensors (gradient checks only) are plain JS arrays and use the reference kernels.

import type { Backend } from '../backend.js';
import { allocStorage } from '../../tensor/dtype.js';
import type { Storage } from '../../tensor/dtype.js';
import { host } from '#wasm-host';
import { WasmAllocator } from './allocator.js';
import type { WasmSource } from './host.js';
import { JOB_EXPORTS, wasmKernels } from './kernels.js';
import { type SimdFlavor, loadKernels } from './loader.js';
import { ThreadPool } from './threads.js';
import { probeInt8, probeInt8Gemm } from './int8-probe.js';
import { settle, warmUp } from './warmup.js';

export { relaxedSimdSupported } from './loader.js';
export type { KernelFile, WasmSource } from './host.js';

export interface WasmBackendOptions {
  /**
   * Threads, the calling one included. Given: every kernel that can be split runs on exactly this
   * many (a forced count, as `--threads N`). Absent: all cores (os.availableParallelism() in Node),
   * each kernel choosing 1 or all of them by its work size (see byWorkSize).
   */
  threads?: number;
  /**
   * Choose per kernel call between one thread and all of them by the work it has (a worker hand-off
   * costs more than a small kernel's work). Default: true when `threads` is not given.
   */
  byWorkSize?: boolean;
  /** true: require the relaxed-SIMD build; false: use the plain SIMD128 build; default: relaxed where supported. */
  relaxed?: boolean;
  /** Run a few small calls of every kernel on every thread so V8 compiles them optimized (default true). */
  warmUp?: boolean;
  /**
   * Int8 decode products quantize the activations to int8 (true, the relaxed build only) or int16
   * (false). Default: whichever a probe at start-up measures faster on this engine (int8-probe.ts).
   */
  int8Activations?: boolean;
  /**
   * Products of many rows (prefill) with Q8 weights run int8 × int8 (true: where the engine can,
   * kernels/q8gemm.c) or expand the weights to float32 (false). Default: a probe at start-up
   * decides (int8-probe.ts).
   */
  int8Gemm?: boolean;
  /**
   * false: one thread on an ordinary (unshared) memory, the build for pages without
   * SharedArrayBuffer; chosen by itself where shared memory is unavailable. Default: shared.
   */
  sharedMemory?: boolean;
  /**
   * Where the kernel modules are when not beside the compiled JS (esbuild does not copy files named
   * by `new URL(…, import.meta.url)`): a folder URL holding the four .wasm files, or files by name
   * ('glasslm-simd.wasm', …) as URLs or bytes. Default: beside this module.
   */
  wasm?: WasmSource;
  /** The kernel worker script (dist/src/backend/wasm/worker.js or a bundle of it); default: beside this module. */
  workerUrl?: string | URL;
}

export interface WasmBackend extends Backend {
  /** Threads the kernels run on (1 where shared memory or Atomics.wait is unavailable; see notes). */
  readonly threads: number;
  /** True: each kernel runs on one thread or all of them by its work size; false: always on `threads`. */
  readonly byWorkSize: boolean;
  readonly simd: SimdFlavor;
  /** Whether the int8 decode products run int8 × int8 (relaxed_dot_i8x16_i7x16_add) rather than int8 × int16. */
  readonly int8Activations: boolean;
  /** Whether products of many rows with Q8 weights (prefill) run int8 × int8 (backend.matmulQ8x8 is present). */
  readonly int8Gemm: boolean;
  /** The prefill probe's times (µs per 64 × 512 × 128 product, int8 × int8 and the float path), or null when it did not run. */
  readonly int8GemmProbe: { int8Us: number; floatUs: number } | null;
  /** The start-up probe's times (µs per call of a 256 × 1024 int8 product, each activation type), or null when it did not run. */
  readonly int8Probe: { int8Us: number; int16Us: number; mode: number } | null;
  /** How the backend was set up, in words (threads, SIMD flavour, why fewer threads than asked). */
  readonly notes: string;
  /** Bytes of wasm memory in all, and bytes under the allocator's top. */
  memoryBytes(): number;
  usedBytes(): number;
  /** Σ x read as fast as the threads can stream it (a memory-bandwidth probe for benchmarks). */
  streamSum(x: Float32Array): number;
  /** Runs `rounds` rounds of pure f32x4 arithmetic on every thread (an arithmetic-peak probe); returns the flops done. */
  peakFlops(rounds: number): number;
  /**
   * Runs `rounds` rounds of integer dot products on this thread (what an int8 kernel could gain over
   * float): 'i16' is i32x4.dot_i16x8_s plus an add, 'i8' relaxed SIMD's i32x4.relaxed_dot_i8x16_i7x16_add_s.
   * Returns the multiply-adds done, 0 when this build lacks the instruction.
   */
  peakIntMacs(kind: 'i16' | 'i8', rounds: number): number;
  /** The byte offset of an array in this backend's memory, or -1 when it lives elsewhere. */
  offsetOf(data: Storage): number;
  /**
   * Runs a decode-step program (src/backend/wasm/kernels/decode.c, written by
   * src/models/decode-step/) at byte offset `program`, on every thread when `parallel`, else on
   * this one.
   */
  runStep(program: number, parallel: boolean): void;
  /** Kernel calls that ran on the worker threads so far (0 on one thread). */
  threadedCalls(): number;
  /** Stops the worker threads; the backend keeps working on one thread. */
  dispose(): void;
}

const MAX_MEMORY = 4 * 1024 * 1024 * 1024; // wasm32: 65536 pages
const WORKER_STACK = 512 * 1024;

/** Why threads cannot be used here, or null when they can. */
function threadBlocker(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is unavailable (browsers need cross-origin isolation: COOP/COEP headers)';
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return 'Atomics.wait is not allowed on this thread (a browser main thread): run the backend inside a Worker for threads';
  }
  return null;
}

/** The start-up probes' results, kept for the process's later backends. */
const probes: { decode?: ReturnType<typeof probeInt8>; gemm?: Awaited<ReturnType<typeof probeInt8Gemm>> } = {};

export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  for (const key of Object.keys(opts)) {
    if (!['threads', 'byWorkSize', 'relaxed', 'warmUp', 'sharedMemory', 'int8Activations', 'int8Gemm', 'wasm', 'workerUrl'].includes(key)) throw new Error(`createWasmBackend: unknown option ${key}`);
  }
  // shared memory (threads) where it exists; else the single-thread build on an ordinary memory
  let memory: WebAssembly.Memory | null = null;
  let unshared = opts.sharedMemory === false ? 'asked for an unshared memory' : host.sharedMemoryBlocker() ?? '';
  if (!unshared) {
    try {
      memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_MEMORY / 65536, shared: true });
    } catch (e) {
      unshared = `shared WebAssembly.Memory is unavailable here: ${(e as Error).message}; browsers need cross-origin isolation (COOP/COEP headers)`;
    }
  }
  // An unshared memory detaches every view of itself when it grows, and tensors hold views: it is
  // made at its full size once (pages are committed as they are touched) and never grows.
  let unsharedBytes = 0;
  for (const mib of [2048, 1024, 512, 256, 128]) {
    if (memory) break;
    try {
      memory = new WebAssembly.Memory({ initial: mib * 16, maximum: mib * 16 });
      unsharedBytes = mib * 2 ** 20;
    } catch {
      // this engine cannot reserve that much: try less
    }
  }
  if (!memory) throw new Error('glasslm wasm backend: could not reserve even 128 MiB of WebAssembly memory');
  const { module, simd } = await loadKernels(opts.relaxed, !unshared, opts.wasm);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as Record<string, (...a: number[]) => number>;
  const heapBase = (instance.exports.__heap_base as WebAssembly.Global).value as number;
  const alloc = new WasmAllocator(memory, heapBase, unshared ? unsharedBytes : MAX_MEMORY, unshared ? 'the memory is not shared (no SharedArrayBuffer), so it cannot grow; cross-origin isolation lifts the limit' : '');

  // threads: how many were asked for, and how many can run here
  const asked = opts.threads ?? host.defaultThreads();
  if (!Number.isInteger(asked) || asked < 1) throw new Error(`createWasmBackend: threads must be a positive integer, got ${asked}`);
  const blocker = asked > 1 ? (unshared ? `one thread: ${unshared}` : threadBlocker()) : null;
  const threads = blocker ? 1 : asked;
  const byWorkSize = opts.byWorkSize ?? opts.threads === undefined;

  // per-thread regions: matmul packing scratch for every thread, a stack for every worker
  const scratchBytes = Math.ceil(exports.gl_matmul_scratch_bytes() / 64) * 64;
  exports.gl_set_scratch(alloc.alloc(scratchBytes * threads), scratchBytes);
  const stackTops = [0];
  for (let t = 1; t < threads; t++) stackTops.push(alloc.alloc(WORKER_STACK) + WORKER_STACK);

  // int8 × int8 decode products where this engine runs them fast (measured), else int8 × int16
  if (opts.int8Activations && simd !== 'relaxed') throw new Error('createWasmBackend: int8 activations need the relaxed-SIMD build');
  // measured once per process (later backends take the first one's choice: the same engine, and
  // two backends in one process then compute the same numbers)
  const int8Probe = opts.int8Activations === undefined && simd === 'relaxed' ? (probes.decode ??= probeInt8(exports, alloc)) : null;
  if (int8Probe) exports.gl_set_q8_activations(int8Probe.mode);
  // forced int8: with unsigned weights (mode 2) where the engine takes unsigned bytes, else with x's sign on the weights (1)
  const q8Mode = int8Probe ? int8Probe.mode : !opts.int8Activations ? exports.gl_set_q8_activations(0)
    : exports.gl_set_q8_activations(2) || exports.gl_set_q8_activations(1);
  const int8Activations = q8Mode !== 0;

  // int8 × int8 products of many rows where the engine takes the int8 dot product's second operand
  // as unsigned bytes and the product measures faster than the float path
  const gemmProbe = opts.int8Gemm === undefined && simd === 'relaxed' ? (probes.gemm ??= await probeInt8Gemm(exports, alloc)) : null;
  const int8Gemm = gemmProbe ? gemmProbe.int8 : opts.int8Gemm === true && simd === 'relaxed' && exports.gl_q8_unsigned_dot() === 1;
  if (opts.int8Gemm && !int8Gemm) throw new Error('createWasmBackend: int8Gemm needs the relaxed-SIMD build on an engine whose int8 dot product takes unsigned bytes (VNNI)');
  // the workers start after the probes, which run on this thread alone, so that their start-up
  // (each its own engine instance) does not share the machine with the timings
  let pool = threads > 1 ? await ThreadPool.start(threads, module, memory, stackTops, JOB_EXPORTS, exports, opts.workerUrl) : null;
  const { matmulQ8x8, ...kernels } = wasmKernels(exports, alloc, () => pool, byWorkSize);

  let live = 0;
  const why = blocker ? ` (asked for ${asked}: ${blocker})` : unshared && opts.sharedMemory !== false ? ` (single-thread build: ${unshared})` : '';
  const notes = `wasm ${simd}, ${threads} thread${threads > 1 ? 's' : ''}${threads > 1 && byWorkSize ? ' (each kernel by its work size)' : ''}${int8Activations ? `, int8 × int8 decode products${q8Mode === 2 ? ' (unsigned weights)' : ''}` : ''}${int8Gemm ? ', int8 × int8 prefill products' : ''}${why}`;
  const backend: WasmBackend = {
    name: 'wasm',
    threads,
    byWorkSize,
    simd,
    int8Activations,
    int8Probe: int8Probe && { int8Us: int8Probe.int8Us, int16Us: int8Probe.int16Us, mode: int8Probe.mode },
    int8Gemm,
    int8GemmProbe: gemmProbe && { int8Us: gemmProbe.int8Us, floatUs: gemmProbe.floatUs },
    notes,
    alloc(dtype, length, zero = true): Storage {
      live++;
      if (dtype === 'float64') return allocStorage(dtype, length); // gradient checks only: plain JS
      const off = alloc.alloc(dtype === 'uint8' ? length : length * 4, zero);
      const buffer = alloc.buffer();
      if (dtype === 'int32') return new Int32Array(buffer, off, length);
      if (dtype === 'uint8') return new Uint8Array(buffer, off, length);
      return new Float32Array(buffer, off, length);
    },
    free(data) {
      live--;
      if (alloc.owns(data)) alloc.free(data.byteOffset);
    },
    liveBuffers: () => live,
    memoryBytes: () => alloc.memoryBytes,
    usedBytes: () => alloc.usedBytes,
    streamSum(x) {
      if (!alloc.owns(x)) throw new Error('streamSum: x must be allocated by this backend');
      const partial = alloc.alloc(threads * 4);
      try {
        if (pool) pool.run('gl_stream_sum', [x.byteOffset, x.length, partial]);
        else exports.gl_stream_sum(x.byteOffset, x.length, partial, 0, 1);
        return new Float32Array(memory.buffer, partial, pool ? threads : 1).reduce((a, b) => a + b, 0);
      } finally {
        alloc.free(partial);
      }
    },
    peakFlops(rounds) {
      if (pool) pool.run('gl_peak', [rounds]);
      else exports.gl_peak(rounds, 0, 1);
      return rounds * exports.gl_peak_round_flops() * (pool ? threads : 1);
    },
    peakIntMacs(kind, rounds) {
      return exports.gl_peak_int(kind === 'i16' ? 0 : 1, rounds);
    },
    threadedCalls: () => pool?.jobs ?? 0,
    offsetOf: (data) => (alloc.owns(data) ? data.byteOffset : -1),
    runStep(program, parallel) {
      if (pool && parallel) pool.run('gl_step', [program]);
      else exports.gl_step(program, 0, 1);
    },
    dispose() {
      pool?.dispose();
      pool = null;
    },
    ...kernels,
    ...(int8Gemm ? { matmulQ8x8 } : {}),
  };
  if (opts.warmUp ?? true) {
    warmUp(backend);
    await settle(backend);
  }
  return backend;
}
