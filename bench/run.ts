// `npm run bench`: every benchmark, each beside its peer measured in the same run on this machine.
// Each line states the workload, glasslm's figure, the peer's figure and the ratio. Peers that are
// not installed are named with the command that installs them.
// usage: node dist/bench/run.js [--only train,decode,small,eval,int8,matmul,tokenizer,load,browser,serve,web]

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only ? new Set(values.only.split(',')) : null;
const wants = (name: string) => !only || only.has(name);

/** Runs a command; returns the last JSON line it printed, or null (with its error shown). */
function runJson(cmd: string, args: string[], what: string): Record<string, unknown> | null {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{'));
  if (r.status !== 0 || lines.length === 0) {
    console.log(`  ${what}: failed (${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-2).join(' / ')})`);
    return null;
  }
  return JSON.parse(lines[lines.length - 1]);
}

function passthrough(script: string, args: string[] = []): void {
  const r = spawnSync(process.execPath, [join(root, script), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.log(`  ${script} exited with ${r.status}`);
}

const fmt = (x: unknown, digits = 1) => (typeof x === 'number' ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—');
const ratio = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

console.log(`glasslm benchmarks — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('(check `top` first: another process holding a core halves every figure)\n');

if (wants('train')) {
  console.log('Training, nanoGPT CPU Tiny Shakespeare set-up (4 layers, 4 heads, width 128, context 64, batch 12):');
  const ours = runJson(process.execPath, [join(root, 'dist/bench/train-step.js')], 'glasslm');
  if (ours) console.log(`  glasslm: ${fmt(ours.ms_per_step)} ms/step, ${fmt(ours.tokens_per_s, 0)} tokens/s, ${fmt(ours.gflops)} GFLOP/s achieved (${ours.backend})`);
  const tfjs = join(root, 'bench/peers/tfjs/train.mjs');
  if (existsSync(join(root, 'bench/peers/tfjs/node_modules'))) {
    const peer = runJson(process.execPath, [tfjs], 'tfjs');
    if (peer) console.log(`  TensorFlow.js (wasm, fast form): ${fmt(peer.ms_per_step)} ms/step, ${fmt(peer.tokens_per_s, 0)} tokens/s → glasslm ${ratio(ours?.tokens_per_s, peer.tokens_per_s)}`);
  } else console.log('  TensorFlow.js: not installed (sh bench/install-tfjs.sh)');
  const torch = runJson('/usr/bin/python3', [join(root, 'bench/peers/torch_peer.py'), 'train'], 'PyTorch');
  if (torch) console.log(`  ${torch.peer} (${torch.threads} threads): ${fmt(torch.ms_per_step)} ms/step, ${fmt(torch.tokens_per_s, 0)} tokens/s → glasslm ${ratio(ours?.tokens_per_s, torch.tokens_per_s)} (Debian's torch is ~30× slower than a current build)`);
  console.log();
}

if (wants('web')) {
  console.log('The web page (headless Chromium, the page\'s worker, 1 thread) beside Node (1 thread), greedy decode with 5 alternatives per token as the page shows them (built-in 240 tokens, stories260K 500), 5 turns each:');
  const r = runJson(process.execPath, [join(root, 'dist/bench/web-decode.js')], 'web page');
  if (r) {
    const cpu = (key: string) => (r[`${key}_cpu_ratio`] === undefined ? '' : `; CPU per token: page worker ${fmt(r[`browser_${key}_worker_cpu_ms_per_token`], 3)} ms, Node ${fmt(r[`node_${key}_cpu_ms_per_token`], 3)} ms → page ${fmt(r[`${key}_cpu_ratio`], 2)}× Node (page main thread ${fmt(r[`browser_${key}_main_thread_cpu_ms_per_token`], 3)} ms, all other Chromium threads ${fmt(r[`browser_${key}_other_threads_cpu_ms_per_token`], 3)} ms)`);
    console.log(`  built-in model: page ${fmt(r.browser_builtin_tokens_per_s)} tokens/s, Node ${fmt(r.node_builtin_tokens_per_s)} → page ${ratio(r.browser_builtin_tokens_per_s, r.node_builtin_tokens_per_s)} of Node${cpu('builtin')}`);
    if (r.browser_stories260k_tokens_per_s !== undefined) console.log(`  stories260K: page ${fmt(r.browser_stories260k_tokens_per_s)} tokens/s, Node ${fmt(r.node_stories260k_tokens_per_s)} → page ${ratio(r.browser_stories260k_tokens_per_s, r.node_stories260k_tokens_per_s)} of Node${cpu('stories260k')}`);
    console.log(`  opening the page to the model ready: ${fmt(r.page_open_to_model_s, 2)} s; to the first generated token: ${fmt(r.page_open_to_first_token_s, 2)} s (built-in model, 12.6 MB from loopback; the click comes when the model is ready)`);
    console.log('  (wall-clock rates follow the machine\'s load; Chromium\'s threads are given the benchmark\'s nice level; CPU time per token moves much less)');
  }
  console.log();
}

if (wants('decode')) {
  console.log('Greedy decode with a KV cache, GPT-2-small shape (124M, random weights):');
  const ours = runJson(process.execPath, [join(root, 'dist/bench/decode.js')], 'glasslm');
  if (ours) console.log(`  glasslm: ${fmt(ours.decode_tokens_per_s)} tokens/s decode, ${fmt(ours.prefill_tokens_per_s)} tokens/s prefill of ${ours.prefill_tokens} (${ours.backend})`);
  const torch = runJson('/usr/bin/python3', [join(root, 'bench/peers/torch_peer.py'), 'decode'], 'PyTorch');
  if (torch) console.log(`  ${torch.peer}: ${fmt(torch.tokens_per_s)} tokens/s → glasslm ${ratio(ours?.decode_tokens_per_s, torch.tokens_per_s)}`);
  if (existsSync(join(root, 'dist/bench/llama-decode.js'))) passthrough('dist/bench/llama-decode.js');
  console.log();
}

if (wants('small')) {
  console.log('Greedy decode of small models (tokens/s per run; µs per token outside kernels), llama.cpp on the same weights in the same run:');
  const r = spawnSync(process.execPath, [join(root, 'dist/bench/small-decode.js'), '--profile'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  for (const line of (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{'))) {
    const row = JSON.parse(line) as Record<string, unknown>;
    if (row.skipped) console.log(`  ${row.model} ${row.peer ?? ''}: ${row.skipped}`);
    else console.log(`  ${row.model}, ${row.peer ?? 'glasslm'}, ${row.threads} thread(s): ${(row.tokens_per_s as number[]).join(' / ')} tokens/s${row.outside_kernels_us_per_token !== undefined ? ` (${row.outside_kernels_us_per_token} µs/token outside kernels)` : ''}`);
  }
  if (r.status !== 0) console.log(`  small-decode exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`);
  console.log();
}

if (wants('eval')) {
  console.log('glasslm eval on the built-in model (batched forward with a loss) against the matmul rate, same run:');
  const e = runJson(process.execPath, [join(root, 'dist/bench/eval.js')], 'eval');
  if (e) console.log(`  ${fmt(e.tokens_per_s, 0)} tokens/s, ${fmt(e.gflops)} GFLOP/s achieved = ${fmt(Number(e.fraction_of_matmul) * 100, 0)}% of the 512³ matmul rate (${fmt(e.matmul_512_gflops)} GFLOP/s; ${e.backend})`);
  const h = runJson(process.execPath, [join(root, 'dist/bench/handoff.js')], 'handoff');
  if (h) console.log(`  a worker hand-off: ${JSON.stringify(h).replace(/"workload":"[^"]*",?/, '')}`);
  console.log();
}

if (wants('int8')) {
  console.log('Int8 quality: validation loss at f32, weight-only int8, int8 × int8 (through the decode step):');
  passthrough('dist/bench/int8-quality.js', ['--tokens', '2048']);
  console.log();
}

if (wants('matmul') && existsSync(join(root, 'dist/bench/matmul.js'))) {
  console.log('Matmul and memory bandwidth:');
  passthrough('dist/bench/matmul.js');
  console.log();
}

if (wants('tokenizer') && existsSync(join(root, 'dist/bench/tokenizer.js'))) {
  console.log('Tokenizer (GPT-2 vocabulary):');
  passthrough('dist/bench/tokenizer.js');
  console.log();
}

if (wants('load') && existsSync(join(root, 'dist/bench/load-memory.js'))) {
  console.log('Peak memory while loading:');
  passthrough('dist/bench/load-memory.js');
}

if (wants('browser') && existsSync(join(root, 'dist/bench/browser-decode.js'))) {
  console.log('\nGreedy decode in headless Chromium (esbuild bundle, Worker, COOP/COEP) beside Node, same code and thread count:');
  if (!existsSync('/usr/bin/chromium') && !process.env.GLASSLM_CHROMIUM) console.log('  Chromium: not installed (sh scripts/install-browser.sh)');
  else {
    const r = spawnSync(process.execPath, [join(root, 'dist/bench/browser-decode.js')], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    const rows = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    if (r.status !== 0 || rows.length === 0) console.log(`  failed (${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-2).join(' / ')})`);
    for (const row of rows) {
      console.log(`  ${row.workload}: browser ${fmt(row.browser_decode_tokens_per_s)} tokens/s, Node ${fmt(row.node_decode_tokens_per_s)} tokens/s → browser ${ratio(row.browser_decode_tokens_per_s, row.node_decode_tokens_per_s)} of Node; page open to first token ${fmt(row.page_open_to_first_token_ms, 0)} ms; same tokens: ${row.same_tokens} (${row.browser_backend})`);
    }
  }
}

if (wants('serve') && existsSync(join(root, 'dist/bench/serve.js'))) {
  console.log('\nglasslm serve, concurrent streaming clients (continuous batching):');
  passthrough('dist/bench/serve.js', process.env.GLASSLM_BENCH_SERVE_SECONDS ? ['--seconds', process.env.GLASSLM_BENCH_SERVE_SECONDS] : []);
}
