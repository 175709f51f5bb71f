// A kernel worker: instantiates the kernel module on the shared memory with its own stack, then
// loops forever: wait for a job generation, run the export with (args…, tid, nt), count itself
// done. This file is the browser's module Worker script (it imports nothing from Node, so a
// bundler can build it for the web); ./worker-node.ts runs the same loop under worker_threads.

import { CTRL_DONE, CTRL_ERROR, CTRL_FN, CTRL_GEN, CTRL_NARGS, CTRL_NT, spinFor, type WorkerInit } from './protocol.js';

type Fn = (...args: number[]) => void;

export function serve(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const exports = instance.exports as Record<string, unknown>;
  (exports.__stack_pointer as WebAssembly.Global).value = init.stackTop; // this thread's own stack
  const fns = init.names.map((n) => exports[n] as Fn);
  const ctrl = new Int32Array(init.ctrl);
  const args = new Float64Array(init.args);
  const call: number[] = []; // the arguments of each job, in one array reused (no garbage per job)
  let gen = Atomics.load(ctrl, CTRL_GEN);
  ready(); // the main thread starts no job before every worker has said so
  for (;;) {
    spinFor(() => Atomics.load(ctrl, CTRL_GEN) !== gen);
    while (Atomics.load(ctrl, CTRL_GEN) === gen) Atomics.wait(ctrl, CTRL_GEN, gen);
    gen = Atomics.load(ctrl, CTRL_GEN);
    const fn = ctrl[CTRL_FN];
    if (fn < 0) return;
    const nt = ctrl[CTRL_NT];
    if (init.tid < nt) {
      try {
        const n = ctrl[CTRL_NARGS];
        call.length = n + 2;
        for (let i = 0; i < n; i++) call[i] = args[i];
        call[n] = init.tid;
        call[n + 1] = nt;
        fns[fn].apply(null, call);
      } catch {
        Atomics.store(ctrl, CTRL_ERROR, 1);
      }
    }
    Atomics.add(ctrl, CTRL_DONE, 1);
    Atomics.notify(ctrl, CTRL_DONE);
  }
}

// in a Worker (not when ./worker-node.ts imports this file for serve)
const isNode = typeof process !== 'undefined' && !!process.versions?.node;
if (!isNode) {
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
  scope.onmessage = (e: MessageEvent) => {
    serve(e.data as WorkerInit, () => scope.postMessage('ready'));
  };
}
