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
 * Iterations a waiting thread spins before it sleeps in Atomics.wait: kernels come in bursts, and
 * waking a sleeping thread costs tens of µs. One iteration (an Atomics.load) takes 25-70 ns here,
 * so 4000 spin for ~0.1-0.3 ms; the previous 400000 (10-30 ms) kept an idle worker burning a core
 * that the main thread, or another process, needed between tokens.
 */
export const SPIN = 4000;

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
