// What a job on the worker threads costs: µs per call of a tiny kernel (affine over 64 floats) on
// one thread and forced onto every thread, back to back (workers spinning) and with a gap of JS
// work between calls (workers gone to sleep). This is the cost the work-size thresholds in
// src/backend/wasm/kernels.ts weigh a kernel's work against.
// usage: node dist/bench/handoff.js [--calls 2000]

import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createWasmBackend } from '../src/backend/wasm/index.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' } } });
const calls = Number(values.calls);
const busy = (us: number) => { const end = performance.now() + us / 1000; while (performance.now() < end); };
const result: Record<string, number> = {};
for (const threads of [1, cpus().length]) {
  const b = await createWasmBackend({ threads });
  const x = b.alloc('float32', 64) as Float32Array, y = b.alloc('float32', 64) as Float32Array;
  for (const gapUs of [0, 500]) {
    let spent = 0;
    for (let i = 0; i < calls; i++) {
      if (gapUs) busy(gapUs);
      const t0 = performance.now();
      b.affine(x, 2, 1, y);
      spent += performance.now() - t0;
    }
    result[`us_per_call_${threads}_threads${gapUs ? `_after_${gapUs}us_gap` : ''}`] = Math.round((spent / calls) * 1000 * 10) / 10;
  }
  b.dispose();
}
console.log(JSON.stringify({ workload: 'one tiny kernel call (affine over 64 floats)', ...result }));
