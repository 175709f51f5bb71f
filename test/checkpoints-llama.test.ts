// llama.cpp as the peer (bench/llama-agreement.ts): llama.cpp loads GGUF files glasslm wrote and
// agrees with glasslm on the same file. Skips, saying why, when node-llama-cpp is not installed
// (sh scripts/install-llama-cpp.sh) or ../shared is absent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, skipUnlessShared } from './shared.js';

const peer = join(projectRoot, 'bench', 'peers', 'llama', 'node_modules', 'node-llama-cpp');
const skip = !existsSync(peer) ? `skipped: node-llama-cpp is not installed in bench/peers/llama (run sh scripts/install-llama-cpp.sh)` : skipUnlessShared('data', 'models', 'stories260K');

/** Max logit difference allowed per file: F32 is the same math; F16 and Q8_0 differ because llama.cpp
 *  rounds activations too (F16 products; Q8_0 quantizes activations to 8 bits before the dot product). */
const BOUND: Record<string, number> = {
  'stories260K f32': 1e-4, 'stories260K f16': 2e-2, 'stories260K q8_0': 0.5, 'gpt2-tiny f32': 1e-4, 'gpt2-tiny q8_0': 1e-2,
  // mixtures of experts glasslm writes (random weights): Mixtral-shaped (llama + expert_count) and Qwen2-MoE-shaped
  'mixtral f32': 1e-4, 'qwen2moe f32': 1e-4,
};

test('llama.cpp loads glasslm GGUF files and agrees: logits within bounds, greedy tokens identical', { skip }, () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'dist', 'bench', 'llama-agreement.js'), '--tokens', '40'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.equal(rows.length, Object.keys(BOUND).length, r.stdout);
  for (const row of rows) {
    console.log(`${row.file}: max logit difference ${row.maxLogitDiff} (logits up to ${row.maxAbsLogit}), greedy ${row.greedyAgreeingPrefix}/${row.greedyTokens} identical`);
    assert.ok(row.maxLogitDiff <= BOUND[row.file], `${row.file}: ${row.maxLogitDiff} > ${BOUND[row.file]}`);
    assert.equal(row.greedyIdentical, true, `${row.file}: greedy tokens differ after ${row.greedyAgreeingPrefix}`);
  }
});
