// CPU time of threads and peak memory of processes, from Linux's /proc (schedstat: nanoseconds on a CPU). On a shared machine
// wall-clock speed depends on who else runs; CPU time per token does not, so the web benchmark
// reports both. Elsewhere than Linux these return undefined.

import { readFileSync, readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Nanoseconds this Node thread (the main one) has run on a CPU. */
export function ownThreadCpuNs(): number | undefined {
  const s = read(`/proc/self/task/${process.pid}/schedstat`);
  return s === undefined ? undefined : Number(s.split(' ')[0]);
}

/** Whether a Chromium process is of this --type (its command line is rewritten with spaces, not NULs). */
const isType = (pid: number, type: string): boolean => new RegExp(`(^|[\\s\\0])--type=${type}([\\s\\0]|$)`).test(read(`/proc/${pid}/cmdline`) ?? '');

/** The thread ids of a process ([] when it has ended). */
function threadIds(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** The process ids under (and including) the process whose command line contains `marker`. */
function processTree(marker: string): number[] {
  const parent = new Map<number, number>();
  let root: number | undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    if (root === undefined && read(`/proc/${name}/cmdline`)?.split('\0').some((a) => a.includes(marker)) && !read(`/proc/${name}/cmdline`)?.includes('--type=')) root = Number(name);
  }
  if (root === undefined) return [];
  const tree = [root];
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, pp] of parent) if (tree.includes(pp) && !tree.includes(pid)) { tree.push(pid); grew = true; }
  }
  return tree;
}

/**
 * Nanoseconds run by the threads named `thread` (e.g. "DedicatedWorker") in a browser's processes,
 * the browser found by a marker of its command line (its --user-data-dir); only in processes of
 * one --type (renderer, gpu-process) when given; undefined off Linux.
 */
export function browserThreadCpuNs(marker: string, thread: string, processType?: string): number | undefined {
  if (read('/proc/self/stat') === undefined) return undefined;
  let ns = 0;
  for (const pid of processTree(marker)) {
    if (processType && !isType(pid, processType)) continue;
    for (const tid of threadIds(pid)) {
      if (read(`/proc/${pid}/task/${tid}/comm`)?.trim() !== thread) continue;
      ns += Number(read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0);
    }
  }
  return ns;
}

/** Nanoseconds run by every thread of a browser's processes (browser, renderers, GPU, utilities); undefined off Linux. */
export function browserCpuNs(marker: string): number | undefined {
  if (read('/proc/self/stat') === undefined) return undefined;
  let ns = 0;
  for (const pid of processTree(marker)) {
    for (const tid of threadIds(pid)) ns += Number(read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0);
  }
  return ns;
}

/** The largest peak resident memory (VmHWM) among a browser's processes of one --type, in MiB; undefined off Linux. */
export function browserPeakRssMiB(marker: string, processType: string): number | undefined {
  if (read('/proc/self/status') === undefined) return undefined;
  let peak = 0;
  for (const pid of processTree(marker)) {
    if (!isType(pid, processType)) continue;
    const kb = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '')?.[1];
    if (kb) peak = Math.max(peak, Number(kb) / 1024);
  }
  return peak;
}

/**
 * Gives every thread of a browser's processes at least this process's nice level (Chromium sets
 * its own threads' priorities, e.g. its worker threads to nice 0 under a `nice -n 10` run), so a
 * benchmark compares the page and Node at the same priority. Returns the threads changed; 0 off Linux.
 */
export function matchBrowserNice(marker: string): number {
  if (read('/proc/self/stat') === undefined) return 0;
  const want = getPriority(0);
  let changed = 0;
  for (const pid of processTree(marker)) {
    for (const tid of threadIds(pid)) {
      try {
        if (getPriority(Number(tid)) < want) {
          setPriority(Number(tid), want);
          changed++;
        }
      } catch {
        // the thread ended, or we may not change it
      }
    }
  }
  return changed;
}
