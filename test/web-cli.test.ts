// `glasslm web`: serves the built page on loopback with COOP/COEP, the built-in model's files or
// --model's, and refuses bad options clearly.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureSiteBuilt } from '../src/cli/web-site.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

const bin = join(projectRoot, 'bin', 'glasslm.js');

/** Starts `glasslm web …`, waits for its URL, runs `fn`, then stops it. */
async function withServer(args: string[], fn: (url: string) => Promise<void>): Promise<void> {
  await ensureSiteBuilt();
  const child = spawn(process.execPath, [bin, 'web', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      child.stdout.on('data', (d) => { out += d; const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out); if (m) ok(m[1]); });
      child.on('exit', (code) => fail(new Error(`glasslm web exited with ${code}`)));
      setTimeout(() => fail(new Error('glasslm web printed no URL in 60 s')), 60_000);
    });
    await fn(url);
  } finally {
    child.kill('SIGTERM');
  }
}

test('glasslm web serves the page and the built-in model with the cross-origin isolation headers', async () => {
  await withServer([], async (url) => {
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await page.text(), /<div id="app">/);
    const manifest = await (await fetch(url + 'models/default.json')).json() as { files: string[] };
    assert.deepEqual(manifest.files, ['builtin/config.json', 'builtin/model.safetensors', 'builtin/tokenizer.json']);
    const weights = await fetch(url + 'models/builtin/model.safetensors');
    assert.equal(Number(weights.headers.get('content-length')), statSync(join(projectRoot, 'models', 'builtin', 'model.safetensors')).size);
    assert.equal(weights.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.equal((await fetch(url + 'no-such-file')).status, 404);
  });
});

test('glasslm web --model serves that model\'s files', { skip: skipUnlessShared('data', 'models', 'stories260K', 'stories260K.bin') }, async () => {
  const dir = sharedPath('data', 'models', 'stories260K')!;
  await withServer(['--model', join(dir, 'stories260K.bin'), '--tokenizer', join(dir, 'tok512.bin')], async (url) => {
    const manifest = await (await fetch(url + 'models/default.json')).json() as { name: string; files: string[] };
    assert.equal(manifest.name, 'stories260K.bin');
    assert.deepEqual(manifest.files, ['served/stories260K.bin', 'served/tok512.bin']);
    const bytes = new Uint8Array(await (await fetch(url + 'models/served/tok512.bin')).arrayBuffer());
    assert.ok(bytes.length > 1000);
  });
});

test('glasslm web refuses a missing model, a llama2.c file without a tokenizer, and a bad port', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'web', ...args], { encoding: 'utf8' });
  let r = run('--model', '/no/such/model');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /model '\/no\/such\/model' does not exist/);
  r = run('--port', '70000');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--port must be a whole number 0..65535/);
  const stories = sharedPath('data', 'models', 'stories260K', 'stories260K.bin');
  if (stories) {
    r = run('--model', stories);
    assert.match(r.stderr, /carries no tokenizer/);
  }
});
