// A page that creates the wasm backend on its main thread (where Atomics.wait is not allowed) and
// leaves what it chose in window.glasslmMainThread: it must fall back to one thread and say why.

import { createWasmBackend, ops, setBackend, tidy } from '../../src/index.js';

interface Outcome { done: boolean; error?: string; notes?: string; threads?: number; product?: number[] }
const outcome: Outcome = { done: false };
(globalThis as unknown as { glasslmMainThread: Outcome }).glasslmMainThread = outcome;

// `node --test dist/test/` runs every file under it: in Node this module does nothing
if (typeof document !== 'undefined') {
  const site = new URL('.', location.href);
  createWasmBackend({ threads: 2, wasm: new URL('wasm/', site), workerUrl: new URL('glasslm-kernel-worker.js', site) }).then((backend) => {
    setBackend(backend);
    outcome.product = tidy(() => Array.from(ops.matmul(ops.tensor([1, 2, 3, 4], [2, 2]), ops.tensor([5, 6, 7, 8], [2, 2])).data()));
    outcome.notes = backend.notes;
    outcome.threads = backend.threads;
    outcome.done = true;
  }, (e: Error) => {
    outcome.error = e.stack ?? String(e);
    outcome.done = true;
  });
}
