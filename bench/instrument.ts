// Wall time per backend kernel: wraps every function of a backend in place so that the time spent
// outside kernels (op front end, JS dispatch, the sampler) can be told apart from kernel time.

import type { Backend } from '../src/backend/backend.js';

export type KernelTable = Map<string, { ms: number; calls: number }>;

/** Wraps every function of b in place to add its wall time (ms) and call count to `table`. */
export function instrument(b: Backend, table: KernelTable, extra: Record<string, unknown>[] = []): void {
  for (const obj of [b as unknown as Record<string, unknown>, ...extra]) {
    for (const [name, fn] of Object.entries(obj)) {
      if (typeof fn !== 'function' || name === 'dispose') continue;
      obj[name] = (...args: unknown[]) => {
        const t0 = performance.now();
        try { return (fn as (...a: unknown[]) => unknown).apply(obj, args); } finally {
          const e = table.get(name) ?? { ms: 0, calls: 0 };
          e.ms += performance.now() - t0; e.calls++; table.set(name, e);
        }
      };
    }
  }
}

/** Milliseconds spent inside the instrumented functions. */
export const kernelMs = (table: KernelTable): number => [...table.values()].reduce((s, e) => s + e.ms, 0);
