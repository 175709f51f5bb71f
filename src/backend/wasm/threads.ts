// The thread pool: workers that share the kernel module and memory with the main thread. A job
// runs one export on every thread at once, each with its own tid; the main thread is thread 0
// and does its share before it waits (Atomics.wait) for the others.
//
// Browsers do not allow Atomics.wait on the main thread: there the backend must run inside a
// Worker to use threads (createWasmBackend then falls back to one thread and says so). Starting
// a worker is the platform host's job (#wasm-host: worker_threads in Node, module Workers elsewhere).

import { host } from '#wasm-host';
import type { KernelWorker } from './host.js';
import { CTRL_DONE, CTRL_ERROR, CTRL_FN, CTRL_GEN, CTRL_INTS, CTRL_NARGS, CTRL_NT, MAX_ARGS, spinFor, type WorkerInit } from './protocol.js';

type Fn = (...args: number[]) => void;

export class ThreadPool {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly index = new Map<string, number>();
  /** Jobs run on the workers so far (a profiling and test aid). */
  jobs = 0;

  private constructor(
    readonly threads: number,
    private readonly workers: KernelWorker[],
    ctrlBuf: SharedArrayBuffer,
    argsBuf: SharedArrayBuffer,
    names: string[],
    private readonly exports: Record<string, Fn>,
  ) {
    this.ctrl = new Int32Array(ctrlBuf);
    this.args = new Float64Array(argsBuf);
    names.forEach((n, i) => this.index.set(n, i));
  }

  /**
   * Starts threads - 1 workers. stackTops[t] is the top of thread t's stack region (t ≥ 1).
   * exports are the main thread's instance exports; names lists the exports jobs may run.
   * workerUrl: the kernel worker script, when not beside the compiled JS (a bundler's copy).
   */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, stackTops: number[],
    names: string[], exports: Record<string, Fn>, workerUrl?: string | URL): Promise<ThreadPool> {
    const ctrl = new SharedArrayBuffer(CTRL_INTS * 4);
    const args = new SharedArrayBuffer(MAX_ARGS * 8);
    const ready: Promise<KernelWorker>[] = [];
    for (let tid = 1; tid < threads; tid++) {
      const init: WorkerInit = { module, memory, ctrl, args, names, tid, stackTop: stackTops[tid] };
      ready.push(host.startWorker(init, workerUrl));
    }
    const workers = await Promise.all(ready);
    return new ThreadPool(threads, workers, ctrl, args, names, exports);
  }

  /** Runs export `name` on every thread: fn(...args, tid, threads). */
  run(name: string, args: number[]): void {
    const { ctrl } = this;
    const fn = this.index.get(name);
    if (fn === undefined) throw new Error(`thread pool: ${name} is not a job export`);
    this.jobs++;
    for (let i = 0; i < args.length; i++) this.args[i] = args[i];
    ctrl[CTRL_FN] = fn;
    ctrl[CTRL_NARGS] = args.length;
    ctrl[CTRL_NT] = this.threads;
    Atomics.store(ctrl, CTRL_DONE, 0);
    Atomics.add(ctrl, CTRL_GEN, 1);
    Atomics.notify(ctrl, CTRL_GEN);
    let error: unknown = null;
    try {
      this.exports[name](...args, 0, this.threads);
    } catch (e) {
      error = e; // still wait: the workers are using the same memory
    }
    const want = this.workers.length;
    spinFor(() => Atomics.load(ctrl, CTRL_DONE) >= want);
    for (let d = Atomics.load(ctrl, CTRL_DONE); d < want; d = Atomics.load(ctrl, CTRL_DONE)) Atomics.wait(ctrl, CTRL_DONE, d);
    if (error) throw error;
    if (Atomics.exchange(ctrl, CTRL_ERROR, 0)) throw new Error(`thread pool: ${name} failed in a worker`);
  }

  /** Stops the workers (they finish the loop and exit). */
  dispose(): void {
    this.ctrl[CTRL_FN] = -1;
    Atomics.add(this.ctrl, CTRL_GEN, 1);
    Atomics.notify(this.ctrl, CTRL_GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
