// Tokenizer benchmark: GPT-2 encode throughput (MB/s) on the shared corpora, glasslm against the
// npm peers tiktoken (Rust compiled to WASM) and js-tiktoken (pure JS), measured in the same run;
// and the time to train a 4,096-token vocabulary on tinystories-2MiB.
//
// usage: bench/install-peers.sh (once), npx tsc -p ., node dist/bench/tokenizer.js [--repeats 5]
// Each figure is the best of `repeats` runs; glasslm's piece cache is cleared before every run,
// so each run encodes the corpus from a cold start. Another process holding a core skews the
// numbers: check `top` first.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ByteLevelBPE, trainBpe } from '../src/tokenizer/index.js';
import { loadTokenizer } from '../src/node.js';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '5' }, 'no-train': { type: 'boolean', default: false } } });
const repeats = Number(values.repeats);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env.GLASSLM_SHARED ?? join(root, '..', 'shared');
if (!existsSync(join(shared, 'data'))) {
  console.log(`skipped: ${shared}/data is absent (the benchmark needs ../shared's corpora and GPT-2 vocabulary)`);
  process.exit(0);
}
const CORPORA = ['tinyshakespeare.txt', 'tinystories-2MiB.txt', 'origin-of-species.txt', 'wikitext2-test.txt'];

interface Encoder {
  name: string;
  encode(text: string): ArrayLike<number>;
  reset?(): void;
}

const encoders: Encoder[] = [];
const tok = loadTokenizer(join(shared, 'data', 'tokenizers', 'gpt2', 'tokenizer.json')) as ByteLevelBPE;
encoders.push({ name: 'glasslm', encode: (t) => tok.encode(t, { allowedSpecial: 'all' }), reset: () => tok.clearCache() });

// The peers live in bench/peers/node_modules, never in glasslm's own dependencies.
const peers = createRequire(join(root, 'bench', 'peers', 'package.json'));
try {
  const { get_encoding } = peers('tiktoken') as { get_encoding(name: string): { encode(t: string, allowed: 'all'): Uint32Array } };
  const enc = get_encoding('gpt2');
  encoders.push({ name: 'tiktoken', encode: (t) => enc.encode(t, 'all') });
} catch {
  console.log('tiktoken is missing: run bench/install-peers.sh to compare against it');
}
try {
  const { Tiktoken } = peers('js-tiktoken/lite') as { Tiktoken: new (ranks: unknown) => { encode(t: string, allowed: 'all'): number[] } };
  const ranks = peers('js-tiktoken/ranks/gpt2') as { default?: unknown };
  const enc = new Tiktoken(ranks.default ?? ranks);
  encoders.push({ name: 'js-tiktoken', encode: (t) => enc.encode(t, 'all') });
} catch {
  console.log('js-tiktoken is missing: run bench/install-peers.sh to compare against it');
}

function best(fn: () => void): number {
  let min = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min / 1000;
}

console.log(`GPT-2 encode, best of ${repeats}, MB/s (1 MB = 1e6 bytes of UTF-8)`);
console.log(['corpus'.padEnd(24), ...encoders.map((e) => e.name.padStart(12)), ...encoders.slice(1).map((e) => `÷${e.name}`.padStart(14))].join(''));
const totals = encoders.map(() => 0);
let totalBytes = 0;
for (const name of CORPORA) {
  const text = readFileSync(join(shared, 'data', 'corpora', name), 'utf8');
  const bytes = Buffer.byteLength(text);
  totalBytes += bytes;
  const reference = Array.from(encoders[0]!.encode(text));
  const speeds = encoders.map((e, i) => {
    const ids = Array.from(e.encode(text)); // warm-up, and a check that every encoder agrees
    if (i > 0 && (ids.length !== reference.length || ids.some((v, k) => v !== reference[k]))) {
      console.log(`  note: ${e.name} gives different ids from glasslm on ${name}`);
    }
    const s = best(() => {
      e.reset?.();
      e.encode(text);
    });
    totals[i]! += s;
    return bytes / s / 1e6;
  });
  console.log(
    [name.padEnd(24), ...speeds.map((v) => v.toFixed(2).padStart(12)), ...speeds.slice(1).map((v) => `${(speeds[0]! / v).toFixed(2)}x`.padStart(14))].join(''),
  );
}
const overall = totals.map((s) => totalBytes / s / 1e6);
console.log(
  ['all corpora'.padEnd(24), ...overall.map((v) => v.toFixed(2).padStart(12)), ...overall.slice(1).map((v) => `${(overall[0]! / v).toFixed(2)}x`.padStart(14))].join(''),
);

if (!values['no-train']) {
  const text = readFileSync(join(shared, 'data', 'corpora', 'tinystories-2MiB.txt'), 'utf8');
  const t0 = performance.now();
  const trained = trainBpe(text, { vocabSize: 4096, specialTokens: ['<|endoftext|>'] });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`\ntraining: 4,096-token byte-level BPE (gpt2 pattern) on tinystories-2MiB: ${seconds.toFixed(2)} s (${trained.merges.length} merges)`);
}
