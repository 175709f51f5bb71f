// The command line on mixtures of experts: `glasslm train --arch mixtral --experts 4
// --experts-per-token 2` trains one from text, `glasslm info` describes it, and `glasslm experts
// --json` reports a usage whose counts add up (each token chooses 2 experts in every layer).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './shared.js';

function glasslm(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args], { encoding: 'utf8' });
}

test('glasslm train --arch mixtral, info, experts --json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-moe-cli-'));
  try {
    const text = join(dir, 'text.txt');
    writeFileSync(text, 'Once upon a time there was a little dog. The dog liked to run in the park with a ball.\n'.repeat(40));
    const out = join(dir, 'run');
    const t = glasslm('train', '--data', text, '--out', out, '--char', '--arch', 'mixtral', '--experts', '4', '--experts-per-token', '2',
      '--layers', '1', '--heads', '2', '--dim', '32', '--context', '16', '--mlp-hidden', '32', '--steps', '3', '--batch-size', '2', '--eval-batches', '1');
    assert.equal(t.status, 0, t.stderr);
    const info = JSON.parse(glasslm('info', '--model', out, '--json').stdout);
    assert.equal(info.model_type, 'mixtral');
    assert.equal(info.experts, 4);
    assert.equal(info.experts_per_token, 2);
    const r = glasslm('experts', '--model', out, '--json', '--no-bos', 'a little dog');
    assert.equal(r.status, 0, r.stderr);
    const usage = JSON.parse(r.stdout);
    assert.equal(usage.experts, 4);
    assert.equal(usage.layers.length, 1);
    assert.equal(usage.layers[0].counts.reduce((a: number, b: number) => a + b, 0), 2 * usage.ids.length);
    const bad = glasslm('train', '--data', text, '--out', join(dir, 'bad'), '--char', '--arch', 'llama', '--experts', '4', '--steps', '1');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--experts and --experts-per-token are for mixtral/);
    const dense = glasslm('experts', '--model', out.replace('run', 'nothing'), 'x');
    assert.notEqual(dense.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
