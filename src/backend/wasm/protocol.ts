// The control block shared by the main thread and the kernel workers (a separate small
// SharedArrayBuffer): one job at a time, all threads run the same export with their own tid.

export const CTRL_GEN = 0; // job generation: incremented by the main thread to start a job
export const CTRL_DONE = 1; // workers that finished the current job
export const CTRL_FN = 2; // index of the export to run (-1: exit)
export const CTRL_NARGS = 3;
export const CTRL_NT = 4; // threads taking part (tid < nt)
export const CTRL_ERROR = 5; // 1 when a worker's call threw
export const CTRL_INTS = 8;
export const MAX_ARGS = 24;

/**
 * How long a waiting thread spins before it sleeps in Atomics.wait (ms): kernels come in bursts,
 * and waking a sleeping thread costs 50-300 µs here, more than a few-row product takes. Counted in
 * time, not iterations: one Atomics.load took 25-70 ns on one machine and ~5 ns on another, where
 * 4000 iterations spun for only 20 µs and the workers slept between the products of one batched
 * decode step (few-row products on 2 threads ran at 0.5-0.8× one thread; 1.4-1.6× with 0.3 ms:
 * node dist/bench/matmul.js, "few rows"). Longer spinning (the earlier 10-30 ms) kept an idle
 * worker burning a core that another process needed between tokens.
 */
export const SPIN_MS = 0.3;

/** Spins until `stop()` or SPIN_MS have passed; true when stop() came true. */
export function spinFor(stop: () => boolean): boolean {
  const until = performance.now() + SPIN_MS;
  for (let i = 1; ; i++) {
    if (stop()) return true;
    if ((i & 255) === 0 && performance.now() > until) return false;
  }
}

/** What a worker needs to start (sent once with postMessage). */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  names: string[];
  tid: number;
  stackTop: number;
}
