// Where the wasm backend gets its kernel modules and worker: beside the compiled JS (the build
// copies the .wasm files into dist), or from createWasmBackend's `wasm` (a folder URL, or files by
// name as URLs or bytes) and `workerUrl` options, for bundlers that do not copy them (esbuild).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createWasmBackend, ops, setBackend, tidy } from '../src/index.js';
import { projectRoot } from './shared.js';

const SRC = join(projectRoot, 'src', 'backend', 'wasm');
const DIST = join(projectRoot, 'dist', 'src', 'backend', 'wasm');

/** A 2x2 matmul on the backend, against the hand-worked product. */
function check(backend: Awaited<ReturnType<typeof createWasmBackend>>): void {
  setBackend(backend);
  const c = tidy(() => Array.from(ops.matmul(ops.tensor([1, 2, 3, 4], [2, 2]), ops.tensor([5, 6, 7, 8], [2, 2])).data()));
  assert.deepEqual(c, [19, 22, 43, 50]);
}

test('the build copies every kernel module beside the compiled JS', () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'scripts', 'copy-wasm.js')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = readdirSync(SRC).filter((f) => f.endsWith('.wasm')).sort();
  assert.deepEqual(files, ['glasslm-relaxed-st.wasm', 'glasslm-relaxed.wasm', 'glasslm-simd-st.wasm', 'glasslm-simd.wasm']);
  for (const f of files) assert.ok(readFileSync(join(DIST, f)).equals(readFileSync(join(SRC, f))), `${f} in dist equals the source tree's`);
});

test('wasm: a folder URL, or one file given as bytes, and workerUrl', async () => {
  const folder = await createWasmBackend({ wasm: pathToFileURL(SRC + '/'), workerUrl: new URL('../src/backend/wasm/worker-node.js', import.meta.url), threads: 2, warmUp: false });
  try {
    assert.equal(folder.threads, 2);
    check(folder);
  } finally {
    folder.dispose();
  }
  const bytes = await createWasmBackend({ wasm: { 'glasslm-simd-st.wasm': new Uint8Array(readFileSync(join(SRC, 'glasslm-simd-st.wasm'))) }, relaxed: false, sharedMemory: false, warmUp: false });
  assert.equal(bytes.simd, 'simd128');
  assert.match(bytes.notes, /^wasm simd128, 1 thread/);
  check(bytes);
});

test('a wasm folder without the files, and a worker script that is not one, are clear errors', async () => {
  await assert.rejects(createWasmBackend({ wasm: pathToFileURL('/nonexistent/'), warmUp: false }), /cannot read glasslm-(relaxed|simd)\.wasm from file:\/\/\/nonexistent\//);
  await assert.rejects(createWasmBackend({ threads: 2, workerUrl: pathToFileURL('/nonexistent/worker.js'), warmUp: false }), /nonexistent|Cannot find module/);
});
