// How many threads a backend may start: at least 1 and at most what the machine has. A thousand
// workers on a two-core machine only cost memory (about 6 MB each) and time.

/** Hardware threads as the platform reports them (navigator.hardwareConcurrency), or undefined. */
export function hardwareThreads(): number | undefined {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** Throws unless threads is a whole number from 1 to available (the machine's hardware threads). */
export function checkThreadCount(threads: number, available: number | undefined = hardwareThreads(), what = 'threads'): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`${what} must be a whole number ≥ 1, got ${threads}`);
  if (available !== undefined && threads > available) {
    throw new Error(`${what} ${threads} is more than the ${available} hardware thread${available === 1 ? '' : 's'} of this machine`);
  }
}
