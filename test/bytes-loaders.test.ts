// The bytes-form loaders (what a page uses with fetch or a dropped File) against Hugging Face's
// reference logits (../shared/reference) and against the path loaders: every reference model as a
// folder of bytes, sharded safetensors, GGUF bytes with its vocabulary, llama2.c .bin + tok512.bin,
// tokenizer files, the files hfModelFiles writes, and bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsFile, writeSafetensorsShards } from '../src/io/safetensors-file.js';
import type { NamedTensor } from '../src/io/types.js';
import type { Model } from '../src/models/model.js';
import * as op from '../src/ops/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import {
  ggufModelBytes, hfModelFiles, loadModel, loadModelFromFiles, loadTokenizer, loadTokenizerFromFiles,
  describeCheckpointFiles, saveGgufModel,
} from '../src/node.js';
import { projectRoot, sharedPath, skipUnlessShared } from './shared.js';

/** Every file of a folder as name -> bytes (what a dropped folder gives a page). */
function folderBytes(dir: string, except: RegExp = /^reference\./): Map<string, Uint8Array> {
  return new Map(readdirSync(dir).filter((f) => !except.test(f)).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}

function logits(model: Model, ids: NamedTensor): Float32Array {
  return noGrad(() => tidy(() => Float32Array.from(model.forward(op.tensor(ids.data, ids.shape, 'int32')).logits.data() as Float32Array)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Largest logit difference to the reference over its prompts ('' for the tiny models, three for stories260K). */
function refDiff(model: Model, refDir: string, prompts: string[]): number {
  const ref = readSafetensorsFile(join(refDir, 'reference.safetensors'));
  let worst = 0;
  for (const p of prompts) worst = Math.max(worst, maxAbsDiff(logits(model, ref.get(`${p}input_ids`)!), ref.get(`${p}logits`)!.data));
  return worst;
}

const STORIES_PROMPTS = ['bos.', 'random_a.', 'random_b.'];
const REFERENCE_MODELS: [string, string[]][] = [['gpt2-tiny', ['']], ['llama-tiny', ['']], ['qwen2-tiny', ['']], ['stories260K-hf', STORIES_PROMPTS]];

for (const [name, prompts] of REFERENCE_MODELS) {
  test(`${name} as a folder of bytes matches Hugging Face and the path loader`, { skip: skipUnlessShared('reference', name) }, () => {
    const dir = sharedPath('reference', name)!;
    const model = loadModelFromFiles(folderBytes(dir));
    const d = refDiff(model, dir, prompts);
    console.log(`${name} from bytes: max |logit - HF| = ${d.toExponential(2)}`);
    assert.ok(d <= 1e-4, `${d}`);
    const ref = readSafetensorsFile(join(dir, 'reference.safetensors'));
    const ids = ref.get(`${prompts[0]}input_ids`)!;
    assert.equal(maxAbsDiff(logits(model, ids), logits(loadModel(dir), ids)), 0, 'the same numbers as loadModel(path)');
    assert.equal(describeCheckpointFiles(folderBytes(dir)).format, 'safetensors');
  });
}

test('a sharded folder (model.safetensors.index.json + shards) loads from bytes', { skip: skipUnlessShared('reference', 'llama-tiny') }, () => {
  const src = sharedPath('reference', 'llama-tiny')!;
  const tmp = mkdtempSync(join(tmpdir(), 'glasslm-shards-'));
  try {
    const tensors = [...readSafetensorsFile(join(src, 'model.safetensors')).values()];
    const shards = writeSafetensorsShards(tmp, tensors, 200_000);
    assert.ok(shards.length >= 3, `${shards.length} shards`);
    writeFileSync(join(tmp, 'config.json'), readFileSync(join(src, 'config.json')));
    const files = folderBytes(tmp);
    const d = refDiff(loadModelFromFiles(files), src, ['']);
    console.log(`llama-tiny from ${shards.length} shards as bytes: max |logit - HF| = ${d.toExponential(2)}`);
    assert.ok(d <= 1e-4, `${d}`);
    files.delete(shards[1]);
    assert.throws(() => loadModelFromFiles(files), new RegExp(`shard ${shards[1]} named in model.safetensors.index.json .* is missing`));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const STORIES = ['data', 'models', 'stories260K'];
const skipStories = skipUnlessShared(...STORIES) || skipUnlessShared('reference', 'stories260K-hf');

test('stories260K.bin + tok512.bin as bytes: the model matches Hugging Face, the tokenizer the path loader', { skip: skipStories }, () => {
  const dir = sharedPath(...STORIES)!;
  const files = folderBytes(dir);
  const model = loadModelFromFiles(files);
  const d = refDiff(model, sharedPath('reference', 'stories260K-hf')!, STORIES_PROMPTS);
  console.log(`stories260K.bin from bytes: max |logit - HF| = ${d.toExponential(2)}`);
  assert.ok(d <= 1e-4, `${d}`);
  const tok = loadTokenizerFromFiles(files);
  const byPath = loadTokenizer(join(dir, 'tok512.bin'));
  const text = 'Once upon a time, Lily saw a big red ball. 😀 Ünïcode!';
  assert.deepEqual(tok.encode(text), byPath.encode(text));
  assert.ok(tok.encode(text).length > 10);
  // the files in the other order, and under folder paths, give the same
  const reordered = { 'stories/tok512.bin': files.get('tok512.bin')!, 'stories/stories260K.bin': files.get('stories260K.bin')! };
  assert.deepEqual(loadTokenizerFromFiles(reordered).encode(text), byPath.encode(text));
  assert.equal(loadModelFromFiles(reordered).config.layers, model.config.layers);
  assert.equal(describeCheckpointFiles(files).format, 'llama2.c');
});

test('GGUF bytes: the weights match Hugging Face and the vocabulary is read from the same bytes', { skip: skipStories }, () => {
  const dir = sharedPath(...STORIES)!;
  const source = loadModelFromFiles(folderBytes(dir));
  const tok = loadTokenizerFromFiles(folderBytes(dir));
  const bytes = ggufModelBytes(source, { tokenizer: tok });
  const model = loadModelFromFiles({ 'stories.gguf': bytes });
  const d = refDiff(model, sharedPath('reference', 'stories260K-hf')!, STORIES_PROMPTS);
  console.log(`stories260K GGUF F32 from bytes: max |logit - HF| = ${d.toExponential(2)}`);
  assert.ok(d <= 1e-4, `${d}`);
  const text = 'The cat sat on the mat.';
  assert.deepEqual(loadTokenizerFromFiles({ 'stories.gguf': bytes }).encode(text), tok.encode(text));
  // the path loader reads the same file written to disk: the same numbers
  const tmp = mkdtempSync(join(tmpdir(), 'glasslm-gguf-'));
  try {
    saveGgufModel(source, join(tmp, 'm.gguf'), { tokenizer: tok });
    assert.deepEqual(new Uint8Array(readFileSync(join(tmp, 'm.gguf'))), bytes, 'saveGgufModel writes the bytes ggufModelBytes returns');
    const ref = readSafetensorsFile(join(sharedPath('reference', 'stories260K-hf')!, 'reference.safetensors'));
    const ids = ref.get('bos.input_ids')!;
    assert.equal(maxAbsDiff(logits(model, ids), logits(loadModel(join(tmp, 'm.gguf')), ids)), 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  assert.throws(() => loadModelFromFiles({ 'cut.gguf': bytes.subarray(0, bytes.length >> 1) }), /GGUF.*(beyond|past|end|truncated)/i);
});

const GPT2_TOK = ['data', 'tokenizers', 'gpt2'];
test('tokenizer files as bytes: tokenizer.json, vocab.json + merges.txt and a GGUF vocabulary agree with the path loader', { skip: skipUnlessShared(...GPT2_TOK) }, () => {
  const dir = sharedPath(...GPT2_TOK)!;
  const byPath = loadTokenizer(dir);
  const cases = ['Hello world', ' the quick brown fox<|endoftext|>', 'naïve café 😀 1234567', '\n\n  indented\tcode()'];
  const all = folderBytes(dir);
  const only = (...names: string[]) => new Map(names.map((n) => [n, all.get(n)!]));
  for (const [what, files] of [
    ['tokenizer.json + tokenizer_config.json', only('tokenizer.json', 'tokenizer_config.json')],
    ['vocab.json + merges.txt', only('vocab.json', 'merges.txt')],
    ['vocab-only.gguf', only('vocab-only.gguf')],
    ['the whole folder', all],
  ] as const) {
    const tok = loadTokenizerFromFiles(files);
    for (const text of cases) assert.deepEqual(tok.encode(text, { allowedSpecial: 'all' }), byPath.encode(text, { allowedSpecial: 'all' }), `${what}: ${JSON.stringify(text)}`);
  }
  assert.deepEqual(byPath.encode('Hello world'), [15496, 995], 'GPT-2 ids for "Hello world"');
});

test('the built-in model: from bytes, and back to bytes with hfModelFiles, generates as loadModel(path) does', () => {
  const dir = join(projectRoot, 'models', 'builtin');
  const files = folderBytes(dir, /\.svg$/);
  const model = loadModelFromFiles(files);
  const tok = loadTokenizerFromFiles(files);
  const pathModel = loadModel(dir);
  const ids = { name: 'ids', shape: [1, 6], data: Int32Array.from(tok.encode('Once upon a time there was a little dog').slice(0, 6)) };
  assert.equal(ids.data.length, 6);
  assert.equal(maxAbsDiff(logits(model, ids), logits(pathModel, ids)), 0);
  const again = hfModelFiles(model, tok);
  assert.deepEqual([...again.keys()].sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
  assert.equal(maxAbsDiff(logits(loadModelFromFiles(again), ids), logits(pathModel, ids)), 0);
  assert.deepEqual(loadTokenizerFromFiles(again).encode('a b c'), tok.encode('a b c'));
});

test('bad files get clear errors', () => {
  assert.throws(() => loadModelFromFiles({}), /no model among the files \(none\)/);
  assert.throws(() => loadModelFromFiles({ 'notes.txt': new Uint8Array([1, 2, 3]) }), /no model among the files \(notes\.txt\)/);
  assert.throws(() => loadModelFromFiles({ 'config.json': new TextEncoder().encode('{"model_type": '), 'model.safetensors': new Uint8Array(16) }), /config\.json is not valid JSON/);
  const config = new Uint8Array(readFileSync(join(projectRoot, 'models', 'builtin', 'config.json')));
  assert.throws(() => loadModelFromFiles({ 'config.json': config }), /neither model\.safetensors nor model\.safetensors\.index\.json/);
  assert.throws(() => loadModelFromFiles({ 'config.json': config, 'model.safetensors': new Uint8Array(7) }), /safetensors.*8-byte/);
  assert.throws(() => loadModelFromFiles({ 'a/x.gguf': new TextEncoder().encode('GGUF'), 'b/x.gguf': new Uint8Array(4) }), /two files are named 'x\.gguf'/);
  assert.throws(() => loadModelFromFiles({ 'x.gguf': new TextEncoder().encode('GGUF\x03\x00\x00\x00') }), /GGUF/);
  assert.throws(() => loadTokenizerFromFiles({ 'tokenizer.json': new TextEncoder().encode('{oops') }), /tokenizer\.json is not valid JSON/);
  assert.throws(() => loadTokenizerFromFiles({ 'x.bin': new Uint8Array(10) }), /no tokenizer among the files \(x\.bin\)/);
  assert.throws(() => loadModelFromFiles({ 'm.bin': 'not bytes' as unknown as Uint8Array }), /'m\.bin' is not a Uint8Array/);
});
