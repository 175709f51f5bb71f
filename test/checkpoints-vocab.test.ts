// Vocabularies written into GGUF metadata (tokenizer.ggml.*): GPT-2's byte-level BPE matches the
// GGUF that llama.cpp's converter wrote (../shared/data/tokenizers/gpt2/vocab-only.gguf) key for
// key, and both vocabulary kinds load back from a saved GGUF encoding and decoding as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '../src/io/gguf/read.js';
import type { GgufArray } from '../src/io/gguf/metadata.js';
import { configFromHf } from '../src/models/config.js';
import { Model } from '../src/models/model.js';
import { tokenizerToGgufMetadata } from '../src/models/save.js';
import * as op from '../src/ops/index.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { saveGgufModel, loadTokenizer } from '../src/node.js';

const TEXTS = ['Once upon a time, there was a little girl named Lily.', "Hello world! It's 2024 — naïve café, 東京 🙂", '  spaces\tand\nnewlines  '];

test("GPT-2's vocabulary as tokenizer.ggml.* equals llama.cpp's own conversion", { skip: skipUnlessShared('data', 'tokenizers', 'gpt2', 'vocab-only.gguf') }, () => {
  const dir = sharedPath('data', 'tokenizers', 'gpt2')!;
  const ours = tokenizerToGgufMetadata(loadTokenizer(join(dir, 'tokenizer.json')), 50257);
  const theirs = readGguf(readFileSync(join(dir, 'vocab-only.gguf'))).metadata;
  for (const key of ['tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id']) {
    assert.equal(ours.get(key)?.value, theirs.get(key)?.value, key);
  }
  for (const key of ['tokenizer.ggml.tokens', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges']) {
    const a = ours.get(key)!.value as GgufArray, b = theirs.get(key)!.value as GgufArray;
    assert.equal(a.items.length, b.items.length, `${key} length`);
    const first = a.items.findIndex((x, i) => x !== b.items[i]);
    assert.equal(first, -1, `${key}[${first}]: ${String(a.items[first])} vs ${String(b.items[first])}`);
  }
});

test('a GGUF written with a vocabulary loads it back: same ids, same text (byte-level and scored BPE)', { skip: skipUnlessShared('data', 'models', 'stories260K', 'tok512.bin') || skipUnlessShared('data', 'tokenizers', 'gpt2') }, () => {
  const out = mkdtempSync(join(tmpdir(), 'glasslm-vocab-'));
  try {
    const cases = [
      { tok: loadTokenizer(join(sharedPath('data', 'tokenizers', 'gpt2')!, 'tokenizer.json')), json: { model_type: 'gpt2', n_embd: 32, n_layer: 1, n_head: 2, n_positions: 16, vocab_size: 50304 } },
      { tok: loadTokenizer(sharedPath('data', 'models', 'stories260K', 'tok512.bin')!), json: { model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 512 } },
    ];
    for (const { tok, json } of cases) {
      const path = join(out, `${json.model_type}.gguf`);
      saveGgufModel(Model.init(configFromHf(json), new op.Rng(0)), path, { tokenizer: tok }); // GPT-2: padded to 50304 tokens
      const back = loadTokenizer(path);
      assert.equal(back.bos, tok.bos);
      assert.equal(back.eos, tok.eos);
      for (const text of TEXTS) {
        const ids = tok.encode(text);
        assert.deepEqual(back.encode(text), ids, `${tok.description}: ${JSON.stringify(text)}`);
        assert.equal(back.decode(ids), tok.decode(ids));
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
