// `glasslm sft` end to end with a tiny model on ../shared's Alpaca file: the loss falls, --resume
// continues exactly (full fine-tuning and LoRA), and malformed data is refused by file and line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';
import { Model } from '../src/models/model.js';
import { configFromHf } from '../src/models/config.js';
import { saveHfModel } from '../src/models/save-file.js';
import * as op from '../src/ops/index.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { createLora } from '../src/lora/adapter.js';
import { saveLora } from '../src/lora/files.js';

const skip = skipUnlessShared('data', 'instruct', 'instruction-data.json');

function glasslm(...args: string[]) {
  const [command, ...rest] = args;
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), command, '--backend', 'cpu', ...rest], { encoding: 'utf8' });
}

/** A tiny Llama with the built-in model's vocabulary, saved as a Hugging Face folder. */
function tinyModel(dir: string): string {
  const tok = loadTokenizer(join(projectRoot, 'models', 'builtin', 'tokenizer.json'));
  const config = configFromHf({ model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, tie_word_embeddings: true });
  const path = join(dir, 'base');
  saveHfModel(Model.init(config, new op.Rng(1)), path, tok);
  return path;
}

/** The "validation loss" figures a run printed, in order. */
function valLosses(stderr: string): number[] {
  return [...stderr.matchAll(/validation loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
}

const COMMON = ['--steps', '12', '--decay-steps', '12', '--batch-size', '4', '--context', '64', '--lr', '1e-2', '--warmup', '2', '--eval-interval', '4', '--checkpoint-interval', '4'];

test('sft on instruction-data.json: runs end to end, the held-out loss falls, the model chats in ChatML', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-sft-'));
  try {
    const base = tinyModel(dir);
    const data = sharedPath('data', 'instruct', 'instruction-data.json')!;
    const out = join(dir, 'full');
    const r = glasslm('sft', '--model', base, '--data', data, '--out', out, ...COMMON);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /1100 examples: 1045 train, 55 held out/);
    assert.match(r.stderr, /added <\|im_start\|> <\|im_end\|> to the vocabulary \(ids 4096, 4097\)/);
    const losses = valLosses(r.stderr);
    assert.equal(losses.length, 3);
    assert.ok(losses[2] < losses[0] - 0.3, `validation loss falls: ${losses}`);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'loss.svg', 'train-state.safetensors']) assert.ok(existsSync(join(out, f)), f);
    assert.match(JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')).chat_template, /<\|im_start\|>/);
    assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).vocab_size, 4098);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const mode of ['full', 'lora'] as const) {
  test(`sft --resume (${mode}): 8 steps then 4 more equal 12 straight`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'glasslm-sft-'));
    try {
      const base = tinyModel(dir);
      const data = sharedPath('data', 'instruct', 'instruction-data.json')!;
      const extra = mode === 'lora' ? ['--lora', '--lora-rank', '4', '--lora-dropout', '0.1', '--lora-targets', 'all-linear'] : [];
      const straight = glasslm('sft', '--model', base, '--data', data, '--out', join(dir, 'a'), ...COMMON, ...extra);
      assert.equal(straight.status, 0, straight.stderr);
      const first = glasslm('sft', '--model', base, '--data', data, '--out', join(dir, 'b'), ...COMMON, ...extra, '--steps', '8');
      assert.equal(first.status, 0, first.stderr);
      const again = glasslm('sft', '--model', base, '--data', data, '--out', join(dir, 'b'), ...COMMON, ...extra, '--resume'); // --steps 12 again
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /resumed at step 8 of 12/);
      assert.deepEqual(valLosses(again.stderr), valLosses(straight.stderr).slice(2));
      const file = mode === 'lora' ? 'adapter_model.safetensors' : 'model.safetensors';
      const a = readSafetensors(readFileSync(join(dir, 'a', file))), b = readSafetensors(readFileSync(join(dir, 'b', file)));
      for (const [name, t] of a) assert.deepEqual([...b.get(name)!.data], [...t.data], name);
      if (mode === 'lora') {
        assert.match(straight.stderr, /LoRA rank 4, alpha 16 on 7 layers: [\d,]+ trainable parameters/);
        assert.match(straight.stderr, /chat template: plain text/);
        assert.ok(existsSync(join(dir, 'a', 'adapter_config.json')));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('sft refuses malformed data by file, line and key, before training', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-sft-'));
  try {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"prompt": "a", "completion": "b"}\n{"prompt": "a"}\n');
    const r = glasslm('sft', '--model', tinyModel(dir), '--data', bad, '--out', join(dir, 'o'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /bad\.jsonl:2: key 'completion' is missing/);
    assert.ok(!existsSync(join(dir, 'o', 'train-state.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('glasslm merge folds an adapter in: generate with --lora equals generate with the merged model; --gguf-adapter writes llama.cpp\'s file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-merge-'));
  try {
    const base = tinyModel(dir);
    const config = configFromHf(JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')));
    const adapter = createLora(config, { rank: 4, alpha: 8, dropout: 0, targets: 'all-linear' }, new op.Rng(1));
    const rng = new op.Rng(2);
    for (const l of adapter.layers.values()) { const b = l.B.floats(); for (let i = 0; i < b.length; i++) b[i] = rng.normal() * 0.3; }
    saveLora(adapter, join(dir, 'lora'), config);
    const gen = (...args: string[]) => glasslm('generate', 'Once upon a time', '--temperature', '0', '--max-tokens', '12', ...args);
    const plain = gen('--model', base), adapted = gen('--model', base, '--lora', join(dir, 'lora'));
    assert.equal(adapted.status, 0, adapted.stderr);
    assert.notEqual(adapted.stdout, plain.stdout, 'the adapter changes the greedy text');
    const m = glasslm('merge', '--model', base, '--lora', join(dir, 'lora'), '--out', join(dir, 'merged'));
    assert.equal(m.status, 0, m.stderr);
    assert.equal(gen('--model', join(dir, 'merged')).stdout, adapted.stdout);
    const g = glasslm('merge', '--model', base, '--lora', join(dir, 'lora'), '--gguf-adapter', join(dir, 'lora.gguf'));
    assert.equal(g.status, 0, g.stderr);
    assert.ok(readFileSync(join(dir, 'lora.gguf')).subarray(0, 4).toString() === 'GGUF');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
