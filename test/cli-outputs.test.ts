// Outputs that would destroy an input are refused before any work: --out over the base model or
// over a folder holding a model, forward --save over the model file, lens / attention --html over
// the model or tokenizer. Each refusal exits 1 naming the path, and the input's bytes stay the
// same. And `train --val-fraction 0` trains without validation; a fraction too small for one
// validation window is refused before the first step.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

const BUILTIN = join(projectRoot, 'models', 'builtin');
const STORIES = ['data', 'models', 'stories260K'];

/** Runs `glasslm COMMAND ...` in cwd on one thread. */
function glasslm(cwd: string, command: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), command, '--threads', '1', ...args], { cwd, encoding: 'utf8' });
}

/** sha256 of a file, or of a model folder's weights and config. */
function hash(path: string): string {
  const files = existsSync(join(path, 'config.json')) ? [join(path, 'config.json'), join(path, 'model.safetensors')] : [path];
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex');
}

/** Runs the command in cwd; it must exit 1 with a one-line message naming `named`, and leave `input` as it was. */
function refused(cwd: string, args: string[], input: string, named: string, why: RegExp): void {
  const before = hash(join(cwd, input));
  const r = glasslm(cwd, args[0], ...args.slice(1));
  assert.equal(r.status, 1, `${args.join(' ')} should be refused; stderr: ${r.stderr}`);
  const line = r.stderr.trim().split('\n').at(-1)!;
  assert.ok(line.includes(named), `the message names ${named}; stderr: ${r.stderr}`);
  assert.match(line, why);
  assert.equal(hash(join(cwd, input)), before, `${input} is unchanged`);
}

/** A temporary folder with a copy of the built-in model in hf/ and tiny, valid data for each tuning command. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-outputs-'));
  cpSync(BUILTIN, join(dir, 'hf'), { recursive: true });
  writeFileSync(join(dir, 'sft.jsonl'), JSON.stringify({ prompt: 'Say hi.', completion: ' Hi.' }) + '\n');
  writeFileSync(join(dir, 'pairs.jsonl'), ['Lily', 'Tom'].map((n) => JSON.stringify({ prompt: `${n} asked.`, chosen: ' Yes.', rejected: ' No.' })).join('\n') + '\n');
  writeFileSync(join(dir, 'prompts.jsonl'), JSON.stringify({ prompt: 'Once' }) + '\n');
  writeFileSync(join(dir, 'reward.mjs'), 'export default (prompt, completion) => completion.length;\n');
  writeFileSync(join(dir, 'text.txt'), 'Once upon a time there was a little cat who liked to sing. '.repeat(40));
  return dir;
}

const TINY_TRAIN = ['--char', '--arch', 'gpt2', '--layers', '1', '--heads', '2', '--dim', '16', '--context', '16', '--batch-size', '2', '--steps', '2'];

test('training commands refuse --out that is their --model, or a folder holding a model that is no run to resume', () => {
  const dir = workspace();
  const tune = ['--steps', '1', '--batch-size', '1', '--context', '16'];
  const isInput = /--out .* is the --model input/;
  refused(dir, ['sft', '--model', 'hf', '--out', 'hf', '--data', 'sft.jsonl', ...tune], 'hf', 'hf', isInput);
  refused(dir, ['sft', '--model', './hf', '--out', 'hf/', '--data', 'sft.jsonl', ...tune], 'hf', 'hf/', isInput);
  refused(dir, ['dpo', '--model', 'hf', '--out', 'hf', '--data', 'pairs.jsonl', ...tune], 'hf', 'hf', isInput);
  refused(dir, ['reward', '--model', 'hf', '--out', 'hf', '--data', 'pairs.jsonl', ...tune], 'hf', 'hf', isInput);
  refused(dir, ['rl', '--model', 'hf', '--out', 'hf', '--prompts', 'prompts.jsonl', '--reward-fn', 'reward.mjs', '--max-tokens', '2', '--group', '2', ...tune], 'hf', 'hf', isInput);
  // --out a model folder that is not the input (sft from the built-in model into a copy of it; train from scratch)
  const holdsModel = /already holds a model \(config\.json\)/;
  refused(dir, ['sft', '--out', 'hf', '--data', 'sft.jsonl', ...tune], 'hf', 'hf', holdsModel);
  refused(dir, ['train', '--data', 'text.txt', '--out', 'hf', ...TINY_TRAIN], 'hf', 'hf', holdsModel);
  refused(dir, ['dpo', '--out', 'hf', '--data', 'pairs.jsonl', ...tune], 'hf', 'hf', holdsModel);
});

test('forward --save, lens --html and attention --html refuse to write over the model or tokenizer', { skip: skipUnlessShared(...STORIES) }, () => {
  const dir = workspace();
  copyFileSync(sharedPath(...STORIES, 'stories260K.bin')!, join(dir, 'a.bin'));
  copyFileSync(sharedPath(...STORIES, 'tok512.bin')!, join(dir, 'tok512.bin'));
  symlinkSync('a.bin', join(dir, 'link.bin'));
  const isInput = (flag: string, input: string) => new RegExp(`${flag} .* is the ${input} input`);
  refused(dir, ['forward', '--model', 'a.bin', '--ids', '1,2', '--save', 'a.bin'], 'a.bin', 'a.bin', isInput('--save', '--model'));
  refused(dir, ['forward', '--model', 'a.bin', '--ids', '1,2', '--save', 'link.bin'], 'a.bin', 'link.bin', isInput('--save', '--model'));
  refused(dir, ['forward', '--model', 'hf', '--ids', '1,2', '--save', 'hf/model.safetensors'], 'hf', 'hf/model.safetensors', /is a file of the --model folder hf/);
  const lens = ['--model', 'a.bin', '--tokenizer', 'tok512.bin', '--no-color'];
  refused(dir, ['lens', 'Once', ...lens, '--html', 'a.bin'], 'a.bin', 'a.bin', isInput('--html', '--model'));
  refused(dir, ['lens', 'Once', ...lens, '--html', './tok512.bin'], 'tok512.bin', './tok512.bin', isInput('--html', '--tokenizer'));
  refused(dir, ['attention', 'Once', ...lens, '--html', join(dir, 'a.bin')], 'a.bin', join(dir, 'a.bin'), isInput('--html', '--model'));
  refused(dir, ['attention', 'Once', ...lens, '--html', 'tok512.bin'], 'tok512.bin', 'tok512.bin', isInput('--html', '--tokenizer'));
  // a new file beside the inputs is still written
  const r = glasslm(dir, 'lens', 'Once', ...lens, '--html', 'lens.html');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'lens.html')));
});

test('train --val-fraction 0 trains without validation and writes the model; --resume continues it', () => {
  const dir = workspace();
  let r = glasslm(dir, 'train', '--data', 'text.txt', '--out', 'run', ...TINY_TRAIN, '--val-fraction', '0');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no validation/);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'train-state.safetensors']) assert.ok(existsSync(join(dir, 'run', f)), `${f} written`);
  // the folder now holds a model, but as a run of this command: --resume takes it
  r = glasslm(dir, 'train', '--data', 'text.txt', '--out', 'run', ...TINY_TRAIN, '--val-fraction', '0', '--steps', '3', '--resume');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resumed at step 2 of 3/);
});

test('train refuses a validation fraction too small for one window before its first step', () => {
  const dir = workspace();
  const r = glasslm(dir, 'train', '--data', 'text.txt', '--out', 'run', ...TINY_TRAIN, '--val-fraction', '0.001');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /validation fraction 0\.001 holds out \d+ tokens, fewer than one window of 17/);
  assert.doesNotMatch(r.stderr, /1\/2/, 'no step was taken');
  assert.ok(!existsSync(join(dir, 'run', 'model.safetensors')));
});

test('convert and merge refuse an output that is their input (the same file, a hard link to it, or the model folder)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-outputs-'));
  try {
    const gguf = join(dir, 'm.gguf');
    const made = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'convert', join(projectRoot, 'models', 'builtin'), '--to', 'gguf', gguf], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const before = createHash('sha256').update(readFileSync(gguf)).digest('hex');
    linkSync(gguf, join(dir, 'hard.gguf'));
    for (const out of [gguf, join(dir, 'hard.gguf')]) {
      const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'convert', gguf, '--to', 'gguf', '--dtype', 'q8_0', out], { encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /OUT .* is the IN input: it would be overwritten/);
    }
    const lora = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'merge', '--model', gguf, '--lora', dir, '--out', gguf], { encoding: 'utf8' });
    assert.equal(lora.status, 1, lora.stderr);
    assert.match(lora.stderr, /--out .* is the --model input: it would be overwritten/);
    assert.equal(createHash('sha256').update(readFileSync(gguf)).digest('hex'), before, 'the model is unchanged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
