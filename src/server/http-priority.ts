// The HTTP thread's scheduling priority. The model workers' compute threads meet at a barrier
// after every product of a decode step, so when the HTTP thread (answering a request, writing a
// token to a socket) takes a core from one of them for a moment, the others spin at the next
// barrier until it is back. With as many compute threads as cores, a single streaming client's
// runs ranged over 0.71-1.16× `glasslm generate`'s speed; with the HTTP thread at nice 10, over
// 0.89-1.11×, none of the slow runs left (docs/server.md). The HTTP thread's own work is small,
// so a lower priority costs it little.
//
// Linux gives every thread its own nice value (setpriority on a thread id touches that thread
// only, and threads start with their creator's value), so this lowers the main thread alone, after
// the model workers have started. Elsewhere the priority belongs to the whole process, compute
// threads included, so it is left alone.

import { getPriority, setPriority } from 'node:os';

/** Nice values a thread may lower itself to without privileges (0 = unchanged). */
export const HTTP_NICE_RANGE = [0, 19] as const;

/**
 * Sets the calling (main) thread's nice value to `nice` on Linux, once the worker threads that must
 * keep the normal priority exist. Returns what was done, for the start-up log (null: nothing).
 */
export function lowerHttpThreadPriority(nice: number): string | null {
  if (nice === 0) return null;
  if (process.platform !== 'linux') return `--http-nice ${nice} left alone: on ${process.platform} a priority covers the whole process, compute threads included`;
  try {
    if (getPriority(process.pid) >= nice) return null; // already that low (a process started under `nice`): raising needs privileges
    setPriority(process.pid, nice); // the main thread's id is the process id
    return `HTTP thread at nice ${nice}`;
  } catch (err) {
    return `could not lower the HTTP thread's priority: ${(err as Error).message}`;
  }
}
