// Running a piece of code in a child Node process with a time and memory bound, so a test can
// show that a hostile input ends quickly with a clean error instead of a hang or a runaway
// allocation (which would take the test runner down with it).

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './shared.js';

export interface BoundedResult {
  /** What the code returned (JSON), or undefined when it threw or died. */
  value?: unknown;
  /** The error's class and message when the code threw. */
  error?: { name: string; message: string };
  /** Peak resident memory of the child, in MiB (undefined when it died). */
  maxRssMiB?: number;
  /** True when the child was killed for running past the time limit. */
  timedOut: boolean;
  /** The child's exit code and stderr (for messages). */
  code: number | null;
  stderr: string;
  ms: number;
}

/**
 * Runs `body` (an async function body; `dist` is the path of dist/src, `arg` the argument given)
 * in a child with --max-old-space-size=heapMiB, killed after timeoutMs.
 */
export function runBounded(body: string, opts: { arg?: unknown; heapMiB?: number; timeoutMs?: number } = {}): Promise<BoundedResult> {
  const dist = join(projectRoot, 'dist', 'src');
  const script = `
    const dist = ${JSON.stringify(dist)};
    const arg = ${JSON.stringify(opts.arg ?? null)};
    const report = (r) => { r.maxRssMiB = process.resourceUsage().maxRSS / 1024; process.stdout.write('\\n@@' + JSON.stringify(r)); };
    try {
      const value = await (async () => { ${body} })();
      report({ value: value ?? null });
    } catch (e) {
      report({ error: { name: e?.constructor?.name ?? typeof e, message: String(e?.message ?? e) } });
    }`;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${opts.heapMiB ?? 1024}`, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const at = stdout.lastIndexOf('\n@@');
      const parsed = at >= 0 ? JSON.parse(stdout.slice(at + 3)) : {};
      resolve({ ...parsed, timedOut, code, stderr: stderr.slice(-2000), ms: performance.now() - t0 });
    });
  });
}

/** One line saying how a bounded run ended, for assertion messages. */
export function describeBounded(r: BoundedResult): string {
  if (r.timedOut) return `timed out after ${Math.round(r.ms)} ms`;
  if (r.error) return `${r.error.name}: ${r.error.message} (${Math.round(r.ms)} ms, ${Math.round(r.maxRssMiB ?? 0)} MiB)`;
  if (r.value !== undefined) return `returned ${JSON.stringify(r.value)?.slice(0, 200)}`;
  return `died with code ${r.code}: ${r.stderr.slice(-300)}`;
}
