// `npm run bench`: every benchmark, each beside its peer measured in the same run on this machine.
// Each line states the workload, glasslm's figure, the peer's figure and the ratio. Peers that are
// not installed are named with the command that installs them.
// usage: node dist/bench/run.js [--only train,decode,matmul,tokenizer,load,browser]

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

if (wants('decode')) {
  console.log('Greedy decode with a KV cache, GPT-2-small shape (124M, random weights):');
  const ours = runJson(process.execPath, [join(root, 'dist/bench/decode.js')], 'glasslm');
  if (ours) console.log(`  glasslm: ${fmt(ours.decode_tokens_per_s)} tokens/s decode, ${fmt(ours.prefill_tokens_per_s)} tokens/s prefill of ${ours.prefill_tokens} (${ours.backend})`);
  const torch = runJson('/usr/bin/python3', [join(root, 'bench/peers/torch_peer.py'), 'decode'], 'PyTorch');
  if (torch) console.log(`  ${torch.peer}: ${fmt(torch.tokens_per_s)} tokens/s → glasslm ${ratio(ours?.decode_tokens_per_s, torch.tokens_per_s)}`);
  if (existsSync(join(root, 'dist/bench/llama-decode.js'))) passthrough('dist/bench/llama-decode.js');
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
