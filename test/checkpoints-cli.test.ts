// glasslm generate / convert / info end to end on stories260K: the llama2.c file with tok512.bin,
// and the GGUF that convert writes with the vocabulary inside it (no --tokenizer needed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

const STORY = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.';
const skip = skipUnlessShared('data', 'models', 'stories260K', 'tok512.bin');

function glasslm(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args], { encoding: 'utf8' });
}

test('generate --temperature 0 on stories260K.bin tells the story llama2.c tells', { skip }, () => {
  const dir = sharedPath('data', 'models', 'stories260K')!;
  const r = glasslm('generate', '--model', join(dir, 'stories260K.bin'), '--tokenizer', join(dir, 'tok512.bin'), '--temperature', '0', '--max-tokens', '40');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith(STORY), `got: ${r.stdout}`);
});

test('convert to GGUF (F32, Q8_0) carries the vocabulary: generate needs no --tokenizer; info describes it', { skip }, () => {
  const dir = sharedPath('data', 'models', 'stories260K')!;
  const out = mkdtempSync(join(tmpdir(), 'glasslm-cli-'));
  try {
    for (const dtype of ['f32', 'q8_0']) {
      const gguf = join(out, `stories-${dtype}.gguf`);
      const c = glasslm('convert', join(dir, 'stories260K.bin'), '--to', 'gguf', '--dtype', dtype, '--tokenizer', join(dir, 'tok512.bin'), gguf);
      assert.equal(c.status, 0, c.stderr);
      assert.match(c.stdout, /wrote .*260,032 parameters/);
      const g = glasslm('generate', '--model', gguf, '--temperature', '0', '--max-tokens', '40');
      assert.equal(g.status, 0, g.stderr);
      assert.ok(g.stdout.startsWith(STORY), `${dtype}: got: ${g.stdout}`);
      const i = glasslm('info', '--model', gguf, '--json');
      assert.equal(i.status, 0, i.stderr);
      const info = JSON.parse(i.stdout);
      assert.equal(info.architecture, 'llama');
      assert.equal(info.parameters.total, 260032);
      assert.equal(info.parameters.head, 0);
      assert.equal(info.context_length, 512);
      assert.equal(info.vocab_size, 512);
      assert.equal(info.format, 'gguf');
      assert.ok(info.dtypes[dtype === 'f32' ? 'F32' : 'Q8_0'] > 0);
      assert.match(info.tokenizer, /512 tokens/);
    }
    // GGUF -> HF folder: the weights survive (the scored vocabulary has no tokenizer.json form, said so)
    const hf = join(out, 'hf');
    const c = glasslm('convert', join(out, 'stories-f32.gguf'), '--to', 'safetensors', hf);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /vocabulary not written/);
    const g = glasslm('generate', '--model', hf, '--tokenizer', join(dir, 'tok512.bin'), '--temperature', '0', '--max-tokens', '40');
    assert.equal(g.status, 0, g.stderr);
    assert.ok(g.stdout.startsWith(STORY), `hf: got: ${g.stdout}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('convert and info refuse bad arguments with one clear line', { skip }, () => {
  const bin = join(sharedPath('data', 'models', 'stories260K')!, 'stories260K.bin');
  const cases: [string[], RegExp][] = [
    [['convert', bin, '/tmp/x.gguf'], /--to must be gguf or safetensors/],
    [['convert', bin, '--to', 'gguf', '--dtype', 'q4_k', '/tmp/x.gguf'], /--dtype must be f32, f16 or q8_0/],
    [['convert', bin, '--to', 'gguf'], /expected IN and OUT/],
    [['convert', bin, '--to', 'safetensors', '--dtype', 'f16', '/tmp/x'], /applies to GGUF output only/],
    [['convert', '/nonexistent.bin', '--to', 'gguf', '/tmp/x.gguf'], /does not exist/],
    [['info', '--model', '/nonexistent'], /does not exist/],
    [['info', '--frobnicate'], /Unknown option '--frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = glasslm(...args);
    assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});
