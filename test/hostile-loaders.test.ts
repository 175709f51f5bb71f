// Hostile model and tokenizer files: every one ends quickly with a clear Error (checked in a child
// process with a time and memory bound where the failure mode was a runaway allocation), and no
// bad value is loaded silently. Every file is built here from a small model written by the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgmlType } from '../src/io/gguf/constants.js';
import { gguf } from '../src/io/gguf/metadata.js';
import { parseGguf, readGguf } from '../src/io/gguf/read.js';
import { writeGguf } from '../src/io/gguf/write.js';
import { readLlama2c } from '../src/io/llama2c.js';
import { writeLlama2c } from '../src/io/llama2c-write.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { f32ToF16 } from '../src/io/half.js';
import { generateIds } from '../src/generate/generate.js';
import type { ModelConfig } from '../src/models/config.js';
import { loadHfModel, loadModel } from '../src/models/load-file.js';
import { Model } from '../src/models/model.js';
import { saveGgufModel, saveHfModel } from '../src/models/save-file.js';
import * as op from '../src/ops/index.js';
import { tokenizerFromHfJson } from '../src/tokenizer/load-hf-json.js';
import { describeBounded, runBounded } from './bounded.js';
import { patchConfig, patchGgufU32, refusedBounded } from './hostile-helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glasslm-hostile-'));

const LLAMA: ModelConfig = {
  arch: 'llama', vocabSize: 64, contextLength: 32, dim: 16, layers: 2, heads: 2, kvHeads: 1, headDim: 8, mlpHidden: 32,
  normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, tiedEmbeddings: true,
};
const GPT2: ModelConfig = { arch: 'gpt2', vocabSize: 64, contextLength: 32, dim: 16, layers: 2, heads: 2, mlpHidden: 64, normEps: 1e-5 };

/** A small model saved as a Hugging Face folder; returns the folder. */
function hfFolder(config: ModelConfig): string {
  const dir = join(tmp(), 'model');
  saveHfModel(Model.init(config, new op.Rng(1)), dir);
  return dir;
}

test('config.json claiming 1e6 to 1e12 layers is refused against the file, quickly and in little memory', async () => {
  const llama = hfFolder(LLAMA), gpt2 = hfFolder(GPT2);
  for (const n of [1e6, 1e9, 1e12]) {
    await refusedBounded(patchConfig(llama, (c) => { c.num_hidden_layers = n; }), /layers|tensors/, `llama num_hidden_layers ${n}`);
    await refusedBounded(patchConfig(gpt2, (c) => { c.n_layer = n; }), /layers|tensors/, `gpt2 n_layer ${n}`);
  }
});

test('GGUF block_count of 1e9 is refused against the tensor count', async () => {
  const dir = tmp(), path = join(dir, 'm.gguf');
  saveGgufModel(Model.init(LLAMA, new op.Rng(2)), path);
  const bytes = new Uint8Array(readFileSync(path));
  patchGgufU32(bytes, 'llama.block_count', 1e9);
  writeFileSync(path, bytes);
  await refusedBounded(path, /layers|tensors/, 'block_count 1e9');
});

test('a GGUF with block_count 0 names the GGUF metadata, not a config.json it does not have; a config.json without model_type says it is missing', () => {
  const dir = tmp(), path = join(dir, 'm.gguf');
  saveGgufModel(Model.init(LLAMA, new op.Rng(2)), path);
  const bytes = new Uint8Array(readFileSync(path));
  patchGgufU32(bytes, 'llama.block_count', 0);
  writeFileSync(path, bytes);
  assert.throws(() => loadModel(path), (e: Error) => /^GGUF metadata \(read as config\.json fields\): 'num_hidden_layers' must be a positive integer, got 0/.test(e.message) && !/^config\.json/.test(e.message));
  const folder = patchConfig(hfFolder(LLAMA), (c) => { delete c.model_type; });
  assert.throws(() => loadModel(folder), /model_type is missing \(supported: /);
});

test('a NaN or an infinity in any weight is an error naming the tensor (safetensors, GGUF, llama2.c, model folders)', () => {
  const bad = (v: number) => {
    const data = Float32Array.from({ length: 32 }, (_, i) => i / 7);
    data[13] = v;
    return data;
  };
  for (const v of [NaN, Infinity, -Infinity]) {
    const st = writeSafetensors([{ name: 'ok', shape: [4], data: new Float32Array(4) }, { name: 'blocks.w', shape: [4, 8], data: bad(v) }]);
    assert.throws(() => readSafetensors(st), /blocks\.w.*(NaN|infinit|finite)/i, `safetensors ${v}`);
    for (const type of [GgmlType.F32, GgmlType.F16]) {
      const g = writeGguf({ metadata: new Map([['general.architecture', gguf.str('llama')]]), tensors: [{ name: 'blk.0.w', shape: [4, 8], data: bad(v), type }] });
      assert.throws(() => readGguf(g), /blk\.0\.w.*(NaN|infinit|finite)/i, `GGUF type ${type} ${v}`);
    }
  }
  // F16 overflow: a finite float32 that rounds to infinity in float16 is caught too (the decoded value is what counts)
  const h = new Uint16Array([f32ToF16(1), 0x7c00]);
  const g16 = writeGguf({ metadata: new Map(), tensors: [{ name: 'half', shape: [2], data: new Float32Array([1, 2]), type: GgmlType.F16 }] });
  const at = parseGguf(g16).tensors[0].offset;
  g16.set(new Uint8Array(h.buffer), at);
  assert.throws(() => readGguf(g16), /half.*(infinit|finite)/i);

  // llama2.c
  const c = { dim: 8, hiddenDim: 16, nLayers: 1, nHeads: 2, nKvHeads: 2, vocabSize: 8, seqLen: 4, sharedClassifier: true };
  const model = Model.init({ ...LLAMA, vocabSize: 8, dim: 8, headDim: 4, heads: 2, kvHeads: 2, layers: 1, mlpHidden: 16, contextLength: 4 }, new op.Rng(3));
  const tensors = new Map([...model.params].map(([name, t]) => [name, { name, shape: [...t.shape], data: Float32Array.from(t.data() as Float32Array) }]));
  tensors.get('model.layers.0.mlp.up_proj.weight')!.data[5] = NaN;
  for (const version of [0, 1] as const) {
    assert.throws(() => readLlama2c(writeLlama2c(c, tensors, { version })), /up_proj|w3.*(NaN|finite)/i, `llama2.c v${version}`);
  }

  // a model folder (read tensor by tensor from the file)
  const dir = hfFolder(LLAMA);
  const file = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
  const poisoned = [...file.values()].map((t) => t.name === 'model.layers.1.self_attn.k_proj.weight' ? { ...t, data: Float32Array.from(t.data as Float32Array, (x, i) => (i === 3 ? Infinity : x)) } : t);
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(poisoned));
  assert.throws(() => loadHfModel(dir), /model\.layers\.1\.self_attn\.k_proj\.weight.*(infinit|finite)/i);
});

test('a forward pass that produces non-finite logits stops generation with an error', () => {
  const model = Model.init(LLAMA, new op.Rng(4));
  (model.params.get('model.norm.weight')!.data() as Float32Array).fill(3e38);
  assert.throws(() => [...generateIds(model, [1, 2, 3], { maxTokens: 5, temperature: 0 })], /non-finite|NaN|infinit/i);
});

test('config values that make every logit NaN are refused: norm epsilon ≤ 0, rope_theta ≤ 0, null config', () => {
  const llama = hfFolder(LLAMA), gpt2 = hfFolder(GPT2);
  for (const eps of [-1e-5, 0, -1]) {
    assert.throws(() => loadHfModel(patchConfig(llama, (c) => { c.rms_norm_eps = eps; })), /rms_norm_eps|epsilon/, `rms_norm_eps ${eps}`);
    assert.throws(() => loadHfModel(patchConfig(gpt2, (c) => { c.layer_norm_epsilon = eps; })), /layer_norm_epsilon|epsilon/, `layer_norm_epsilon ${eps}`);
  }
  for (const theta of [0, -10000]) {
    assert.throws(() => loadHfModel(patchConfig(llama, (c) => { c.rope_theta = theta; delete c.rope_parameters; })), /rope_theta/, `rope_theta ${theta}`);
    assert.throws(() => loadHfModel(patchConfig(llama, (c) => { (c.rope_parameters as Record<string, unknown>).rope_theta = theta; })), /rope_theta/, `rope_parameters.rope_theta ${theta}`);
  }
  for (const json of [null, [], 'x', 5]) {
    const err = (() => { try { loadHfModel(patchConfig(llama, () => json)); } catch (e) { return e as Error; } return null; })();
    assert.ok(err && err.constructor === Error, `config ${JSON.stringify(json)}: ${err}`);
    assert.match(err.message, /config\.json.*(object|JSON)/, `config ${JSON.stringify(json)}`);
  }
  // the same limits hold for a model built from a config in code
  assert.throws(() => Model.init({ ...LLAMA, normEps: -1e-5 }, new op.Rng(1)), /epsilon/);
  assert.throws(() => Model.init({ ...LLAMA, ropeTheta: 0 }, new op.Rng(1)), /rope/);
});

test('GGUF: a tensor whose type was changed (F32 -> F16 at the same offset) is refused: extents must fill the data section', () => {
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const bytes = writeGguf({ metadata: new Map(), tensors: [{ name: 'a', shape: [64], data: x, type: GgmlType.F32 }, { name: 'b', shape: [64], data: x, type: GgmlType.F32 }] });
  assert.equal(readGguf(bytes).tensors.size, 2);
  for (const which of ['a', 'b']) {
    const copy = bytes.slice();
    const info = parseGguf(copy).tensors.find((t) => t.name === which)!;
    // the type field sits after the name, n_dims and dims: find it by the name's bytes
    const name = new TextEncoder().encode(which);
    let at = -1;
    for (let i = 24; i < copy.length; i++) if (copy[i] === name[0] && copy[i - 8] === 1 && copy[i + 1] === 1 && copy[i + 2] === 0) { at = i; break; }
    assert.ok(at > 0 && info, 'found the tensor info');
    const typeAt = at + 1 + 4 + 8; // name, n_dims, one dim
    assert.equal(new DataView(copy.buffer).getUint32(typeAt, true), GgmlType.F32);
    new DataView(copy.buffer).setUint32(typeAt, GgmlType.F16, true);
    assert.throws(() => readGguf(copy), /GGUF: .*(gap|data section|unused|does not fill)/, `tensor ${which} as F16`);
  }
});

function hfJson(vocab: Record<string, number>, added: unknown[] = []): unknown {
  return {
    model: { type: 'BPE', vocab, merges: [] }, added_tokens: added,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true }, decoder: { type: 'ByteLevel' },
  };
}

/** A byte-level vocabulary: the 256 single-byte tokens, ids 0..255. */
function byteVocab(): Record<string, number> {
  const bytesToUnicode = (): string[] => {
    const bs: number[] = [];
    for (let b = 33; b <= 126; b++) bs.push(b);
    for (let b = 161; b <= 172; b++) bs.push(b);
    for (let b = 174; b <= 255; b++) bs.push(b);
    const cs = [...bs];
    let n = 0;
    for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
    const out: string[] = new Array(256);
    bs.forEach((b, i) => { out[b] = String.fromCodePoint(cs[i]); });
    return out;
  };
  return Object.fromEntries(bytesToUnicode().map((ch, b) => [ch, b]));
}

test('tokenizer.json: an empty added token, duplicate ids and absurd ids are refused', async () => {
  const vocab = byteVocab();
  assert.equal(tokenizerFromHfJson(hfJson(vocab)).vocabSize, 256, 'the plain vocabulary loads');
  // the empty added token used to grow to 1.6 GB on the first encode
  const r = await runBounded(`
    const { tokenizerFromHfJson } = await import(dist + '/tokenizer/load-hf-json.js');
    const tok = tokenizerFromHfJson(arg);
    return tok.encode('hello there', { allowedSpecial: 'all' }).length;`,
  { arg: hfJson(vocab, [{ id: 256, content: '', special: true }]), heapMiB: 512, timeoutMs: 10_000 });
  assert.ok(r.error?.name === 'Error' && /added_tokens\[0\].*empty/.test(r.error.message), describeBounded(r));

  const dup = { ...vocab, ' the': 1 }; // " the" would encode as the byte token 1 ('"')
  assert.throws(() => tokenizerFromHfJson(hfJson(dup)), /id 1 .*twice|same id|duplicate/i);
  assert.throws(() => tokenizerFromHfJson(hfJson(vocab, [{ id: 5, content: '<|x|>', special: true }])), /id 5/);
  assert.throws(() => tokenizerFromHfJson(hfJson(vocab, [{ id: 300, content: '<|a|>', special: true }, { id: 300, content: '<|b|>', special: true }])), /id 300/);
  for (const id of [2 ** 31, 1e9, 2 ** 31 - 1, 2 ** 53]) {
    assert.throws(() => tokenizerFromHfJson(hfJson({ ...vocab, xy: id })), /id|large|holes/i, `vocab id ${id}`);
    assert.throws(() => tokenizerFromHfJson(hfJson(vocab, [{ id, content: '<|end|>', special: true }])), /id|large|holes/i, `added id ${id}`);
  }
  // an added token that repeats its own vocabulary entry (as GPT-2's <|endoftext|>) is fine
  assert.equal(tokenizerFromHfJson(hfJson({ ...vocab, '<|endoftext|>': 256 }, [{ id: 256, content: '<|endoftext|>', special: true }])).vocabSize, 257);
});

test('a GGUF vocabulary whose control token is the empty string encodes text (the empty string never matches)', async () => {
  const r = await runBounded(`
    const { tokenizerFromGguf } = await import(dist + '/tokenizer/load-gguf.js');
    const { writeGguf } = await import(dist + '/io/gguf/write.js');
    const { gguf } = await import(dist + '/io/gguf/metadata.js');
    const { GgufType } = await import(dist + '/io/gguf/constants.js');
    const tokens = ['<unk>', '', '</s>', ...Array.from({ length: 256 }, (_, b) => '<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>')];
    const types = tokens.map((t, i) => (i === 1 || i === 2 ? 3 : i === 0 ? 2 : 6));
    const meta = new Map([['tokenizer.ggml.model', gguf.str('llama')], ['tokenizer.ggml.tokens', gguf.array(GgufType.STRING, tokens)],
      ['tokenizer.ggml.scores', gguf.array(GgufType.FLOAT32, tokens.map(() => 0))], ['tokenizer.ggml.token_type', gguf.array(GgufType.INT32, types)]]);
    const tok = tokenizerFromGguf(writeGguf({ metadata: meta, tensors: [] }));
    return tok.decode(tok.encode('hi</s>', { allowedSpecial: 'all' }));`, { heapMiB: 256, timeoutMs: 10_000 });
  assert.ok(typeof r.value === 'string' && r.value.includes('hi'), describeBounded(r));
});
