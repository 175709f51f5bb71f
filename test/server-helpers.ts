// Starting a real `glasslm serve` process on loopback (port chosen by the system) for tests.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './shared.js';

export interface RunningServer {
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `glasslm serve --port 0 …args` and waits until /health says ok. */
export async function startServer(args: string[] = [], env: Record<string, string> = {}): Promise<RunningServer> {
  const proc = spawn(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'serve', '--port', '0', '--threads', '1', ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', () => reject(new Error(`the server exited:\n${out}`)));
  });
  const headers = env.GLASSLM_API_KEY ? { authorization: `Bearer ${env.GLASSLM_API_KEY}` } : undefined;
  for (let i = 0; ; i++) {
    const r = await fetch(`${url}/health`, { headers });
    if (r.status === 200) break;
    if (i > 600) throw new Error(`the model did not load:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, proc, output: () => out,
    async stop() {
      if (proc.exitCode === null && !proc.killed) proc.kill('SIGTERM'); // once: a second SIGTERM would kill it outright
      return await exited;
    },
  };
}

/** `glasslm generate … --json` (the CLI's own greedy output). */
export function generateJson(args: string[]): { ids: number[]; text: string; prompt_ids: number[] } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'generate', '--threads', '1', '--json', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** One Prometheus sample's value from /metrics text (0 when absent). */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.split(' ')[0] === name);
  return line ? Number(line.split(' ').at(-1)) : 0;
}
