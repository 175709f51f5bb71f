// Hostile files and output paths found in the second round (cases the first round's tests did not
// have): a mixture-of-experts config claiming 1e9 experts (listed every expert before looking at
// the file: a hang), a norm epsilon so large it flattens every activation (loaded silently), output
// folders where the file system takes no new folders (Node's recursive mkdir loops forever on
// /proc), and output files whose path runs through a file or a missing folder (raw ENOTDIR/ENOENT).
// Each case runs in a bounded child or as the CLI, and must end quickly with one clear line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfig } from '../src/models/config.js';
import { Model } from '../src/models/model.js';
import { saveHfModel } from '../src/models/save-file.js';
import * as op from '../src/ops/index.js';
import { makeOutputDir } from '../src/io/output-dir.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { describeBounded, runBounded } from './bounded.js';
import { patchConfig, refusedBounded } from './hostile-helpers.js';
import { projectRoot } from './shared.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glasslm-hostile-files-'));

const MIXTRAL: ModelConfig = {
  arch: 'llama', vocabSize: 64, contextLength: 32, dim: 16, layers: 2, heads: 2, kvHeads: 1, headDim: 8, mlpHidden: 32,
  normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, tiedEmbeddings: true,
  moe: { style: 'mixtral', experts: 4, expertsPerToken: 2, expertHidden: 32, normTopK: true, auxLossCoef: 0.001 },
} as ModelConfig;

test('a Mixtral config.json claiming 1e9 (or 2^31) experts is refused before any expert is listed', async () => {
  const dir = join(tmp(), 'moe');
  saveHfModel(Model.init(MIXTRAL, new op.Rng(1)), dir);
  for (const n of [1e9, 2 ** 31, 5000]) {
    await refusedBounded(patchConfig(dir, (c) => { c.num_local_experts = n; }), /number of experts/, `num_local_experts ${n}`);
  }
});

test('a norm epsilon above 1 (1e300 becomes infinity in float32) is refused, not loaded to flatten every activation', async () => {
  const dir = join(tmp(), 'llama');
  saveHfModel(Model.init({ ...MIXTRAL, moe: undefined } as ModelConfig, new op.Rng(1)), dir);
  for (const eps of [1e300, 2, 1e38]) await refusedBounded(patchConfig(dir, (c) => { c.rms_norm_eps = eps; }), /epsilon/, `rms_norm_eps ${eps}`);
});

test('an output folder where the file system takes none (/proc) is refused at once, not a loop in mkdir', async () => {
  if (!existsSync('/proc/self')) return; // not Linux
  const r = await runBounded(`const { makeOutputDir } = await import(dist + '/io/output-dir.js'); makeOutputDir(arg); return 'made';`, { arg: '/proc/glasslm-out/run', heapMiB: 256, timeoutMs: 10_000 });
  assert.ok(r.error, describeBounded(r));
  assert.match(r.error.message, /cannot create the output folder \/proc\/glasslm-out\/run: \/proc does not take new folders/);
  // through a file, and a new folder below an existing one
  const dir = tmp(), file = join(dir, 'f');
  writeFileSync(file, 'x');
  assert.throws(() => makeOutputDir(join(file, 'a', 'b')), /f is a file, not a folder/);
  makeOutputDir(join(dir, 'a', 'b', 'c'));
  assert.ok(existsSync(join(dir, 'a', 'b', 'c')));
});

test('an output file under a file, a missing folder or /proc is a clear error, not a raw ENOTDIR/ENOENT', () => {
  const dir = tmp(), file = join(dir, 'f');
  writeFileSync(file, 'x');
  assert.throws(() => writeFileAtomic(join(file, 'out.txt'), 'x'), /cannot write .*out\.txt: a part of the path is a file, not a folder/);
  assert.throws(() => writeFileAtomic(join(dir, 'missing', 'out.txt'), 'x'), /cannot write .*: its folder .*missing does not exist/);
  if (existsSync('/proc/self')) assert.throws(() => writeFileAtomic('/proc/glasslm.gguf', 'x'), /cannot write \/proc\/glasslm\.gguf: its folder \/proc takes no new files/);
});

test('CLI: output paths are checked before any work, with one line naming the flag', () => {
  const dir = tmp(), file = join(dir, 'f');
  writeFileSync(file, 'x');
  const text = join(dir, 't.txt');
  writeFileSync(text, 'the cat sat on the mat. '.repeat(50));
  const cases: [string[], RegExp][] = [
    [['vectors', 'train', '--file', text, '--out', join(file, 'v.txt')], /--out .*f is a file, not a folder/],
    [['lens', 'Once upon', '--html', join(dir, 'missing', 'x.html')], /--html .*its folder .*missing does not exist/],
    [['forward', '--model', join(projectRoot, 'models', 'builtin'), '--ids', '1,2', '--save', dir], /--save .*it is a folder, not a file/],
    [['convert', join(projectRoot, 'models', 'builtin'), '--to', 'safetensors', join(file, 'sub')], /f is a file, not a folder/],
    [['train', '--data', text, '--char', '--out', '/proc/glasslm-train', '--steps', '1'], /cannot create the output folder \/proc\/glasslm-train/],
  ];
  for (const [args, pattern] of cases) {
    if (args.includes('/proc/glasslm-train') && !existsSync('/proc/self')) continue;
    const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args, '--backend', 'cpu'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `${args.join(' ')}: killed (a hang)`);
    assert.equal(r.status, 1, `${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at |ENOTDIR|ENOENT/, `${args.join(' ')}: a stack trace or a raw error code`);
  }
});
