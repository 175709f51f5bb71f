// llama.cpp as the peer for LoRA (bench/lora-agreement.ts): our adapter exported as a GGUF LoRA
// file, run by llama.cpp over the base GGUF, agrees with glasslm running the merged model.
// Skips, saying why, when node-llama-cpp is not installed (sh scripts/install-llama-cpp.sh).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './shared.js';

const peer = join(projectRoot, 'bench', 'peers', 'llama', 'node_modules', 'node-llama-cpp');
const skip = !existsSync(peer) ? 'skipped: node-llama-cpp is not installed in bench/peers/llama (run sh scripts/install-llama-cpp.sh)' : false;

test('llama.cpp runs our GGUF LoRA adapter over the base as glasslm runs the merged model', { skip }, () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'dist', 'bench', 'lora-agreement.js'), '--tokens', '20'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.equal(rows.length, 2, r.stdout);
  for (const row of rows) {
    console.log(`${row.model}: max logit difference ${row.maxLogitDiff} (the adapter moves logits by up to ${row.adapterEffect}), greedy ${row.greedyAgreeingPrefix}/${row.greedyTokens} identical`);
    assert.ok(row.adapterEffect > 100 * row.maxLogitDiff, `${row.model}: the adapter's effect (${row.adapterEffect}) must dwarf the disagreement`);
    assert.ok(row.maxLogitDiff <= 1e-3, `${row.model}: ${row.maxLogitDiff}`);
    assert.equal(row.greedyIdentical, true, `${row.model}: greedy tokens differ after ${row.greedyAgreeingPrefix}`);
  }
});
