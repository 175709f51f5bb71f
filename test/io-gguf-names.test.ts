// HF checkpoints -> GGUF (llama.cpp names, layouts, metadata) -> back, for the reference
// llama, qwen2 and gpt2 models: every tensor identical, config fields preserved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GgmlType } from '../src/io/gguf/constants.js';
import { metaFloat, metaInt, metaString } from '../src/io/gguf/metadata.js';
import { readGguf } from '../src/io/gguf/read.js';
import { writeGguf } from '../src/io/gguf/write.js';
import { ggufToHfName, ggufTensorsToHf, hfTensorsToGguf, hfToGgufName } from '../src/io/gguf/names.js';
import { ggufMetadataToHfConfig, hfArch, hfConfigToGgufMetadata, hfHeadCounts, shortestF32 } from '../src/io/gguf/config.js';
import { readSafetensorsDir } from '../src/io/safetensors-file.js';
import { readLlama2c } from '../src/io/llama2c.js';
import { sharedPath, skipUnlessShared } from './shared.js';

test('tensor names map both ways', () => {
  const pairs: [Parameters<typeof hfToGgufName>[0], string, string][] = [
    ['llama', 'model.embed_tokens.weight', 'token_embd.weight'],
    ['llama', 'model.layers.3.self_attn.q_proj.weight', 'blk.3.attn_q.weight'],
    ['llama', 'model.layers.0.self_attn.o_proj.weight', 'blk.0.attn_output.weight'],
    ['llama', 'model.layers.11.mlp.gate_proj.weight', 'blk.11.ffn_gate.weight'],
    ['llama', 'model.layers.1.mlp.down_proj.weight', 'blk.1.ffn_down.weight'],
    ['llama', 'model.layers.1.post_attention_layernorm.weight', 'blk.1.ffn_norm.weight'],
    ['llama', 'model.norm.weight', 'output_norm.weight'],
    ['llama', 'lm_head.weight', 'output.weight'],
    ['qwen2', 'model.layers.0.self_attn.k_proj.bias', 'blk.0.attn_k.bias'],
    ['gpt2', 'transformer.wpe.weight', 'position_embd.weight'],
    ['gpt2', 'transformer.h.2.attn.c_attn.bias', 'blk.2.attn_qkv.bias'],
    ['gpt2', 'transformer.h.2.ln_1.bias', 'blk.2.attn_norm.bias'],
    ['gpt2', 'transformer.h.0.mlp.c_proj.weight', 'blk.0.ffn_down.weight'],
    ['gpt2', 'transformer.ln_f.weight', 'output_norm.weight'],
  ];
  for (const [arch, hf, gg] of pairs) {
    assert.equal(hfToGgufName(arch, hf), gg);
    assert.equal(ggufToHfName(arch, gg), hf);
  }
  assert.equal(hfToGgufName('gpt2', 'h.0.attn.c_attn.weight'), 'blk.0.attn_qkv.weight', 'original GPT-2 files omit "transformer."');
  assert.equal(hfToGgufName('gpt2', 'transformer.h.0.attn.bias'), undefined, 'causal-mask buffer is dropped');
  assert.throws(() => hfToGgufName('llama', 'model.layers.0.self_attn.rotary_emb.inv_freq'), /no llama GGUF name/);
  assert.throws(() => ggufToHfName('llama', 'blk.0.attn_qkv.weight'), /no llama HF name/);
});

test('llama q/k permutation matches convert_hf_to_gguf.py, worked by hand', () => {
  // 1 head, head_dim 4, 1 column: HF rows [r0 r1 r2 r3] (pairs (0,2), (1,3)) -> GGUF [r0 r2 r1 r3]
  const q = { name: 'model.layers.0.self_attn.q_proj.weight', shape: [4, 1], data: new Float32Array([0, 1, 2, 3]) };
  const [g] = hfTensorsToGguf('llama', { nHeads: 1, nKvHeads: 1 }, [q]);
  assert.deepEqual([...g.data], [0, 2, 1, 3]);
  // qwen2 keeps HF order
  const [h] = hfTensorsToGguf('qwen2', { nHeads: 1, nKvHeads: 1 }, [q]);
  assert.deepEqual([...h.data], [0, 1, 2, 3]);
  // gpt2 Conv1D (in 2, out 3) -> (out 3, in 2)
  const c = { name: 'transformer.h.0.mlp.c_fc.weight', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
  const [t] = hfTensorsToGguf('gpt2', undefined, [c]);
  assert.deepEqual(t.shape, [3, 2]);
  assert.deepEqual([...t.data], [1, 4, 2, 5, 3, 6]);
});

test('shortestF32 gives the decimal written in config.json', () => {
  assert.equal(shortestF32(Math.fround(1e-5)), 1e-5);
  assert.equal(shortestF32(Math.fround(1e-6)), 1e-6);
  assert.equal(shortestF32(Math.fround(0.1)), 0.1);
});

for (const model of ['llama-tiny', 'qwen2-tiny', 'gpt2-tiny']) {
  test(`${model}: HF -> GGUF F32 -> HF is identical, config preserved`, { skip: skipUnlessShared('reference', model, 'model.safetensors') }, () => {
    const dir = sharedPath('reference', model)!;
    const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    const hf = readSafetensorsDir(dir);
    const arch = hfArch(config);
    const heads = hfHeadCounts(config);
    const ggTensors = hfTensorsToGguf(arch, heads, hf.values());
    const bytes = writeGguf({ metadata: hfConfigToGgufMetadata(config), tensors: ggTensors.map((t) => ({ ...t, type: GgmlType.F32 })) });
    const file = readGguf(bytes);

    // llama.cpp's names and metadata
    assert.equal(metaString(file.metadata, 'general.architecture'), arch);
    assert.ok(file.tensors.has('token_embd.weight') && file.tensors.has('blk.0.ffn_down.weight') && file.tensors.has('output_norm.weight'));
    assert.equal(file.tensors.has('output.weight'), !config.tie_word_embeddings);
    assert.equal(metaInt(file.metadata, `${arch}.block_count`), config.num_hidden_layers ?? config.n_layer);
    if (arch !== 'gpt2') {
      assert.equal(metaFloat(file.metadata, `${arch}.rope.freq_base`), config.rope_parameters.rope_theta);
      assert.equal(metaInt(file.metadata, `${arch}.attention.head_count_kv`), config.num_key_value_heads);
    }

    const back = new Map(ggufTensorsToHf(arch, heads, file.tensors.values()).map((t) => [t.name, t]));
    assert.deepEqual([...back.keys()].sort(), [...hf.keys()].sort());
    for (const [name, t] of hf) {
      assert.deepEqual(back.get(name)!.shape, t.shape, name);
      assert.deepEqual(back.get(name)!.data, t.data, name);
    }
    const cfg = ggufMetadataToHfConfig(file.metadata, !file.tensors.has('output.weight'));
    const keys = arch === 'gpt2'
      ? ['model_type', 'n_embd', 'n_layer', 'n_head', 'n_positions', 'layer_norm_epsilon', 'vocab_size', 'tie_word_embeddings']
      : ['model_type', 'architectures', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads',
        'max_position_embeddings', 'rms_norm_eps', 'vocab_size', 'tie_word_embeddings', 'rope_parameters'];
    for (const k of keys) {
      const expected = k === 'rope_parameters' ? { rope_theta: config.rope_parameters.rope_theta, rope_type: 'default' } : config[k];
      assert.deepEqual(cfg[k], expected, `${model} config ${k}`);
    }
    if (config.head_dim !== undefined) assert.equal(cfg.head_dim, config.head_dim);
  });
}

test('llama-tiny: the GGUF q rows are the HF rows interleaved per head', { skip: skipUnlessShared('reference', 'llama-tiny', 'model.safetensors') }, () => {
  const dir = sharedPath('reference', 'llama-tiny')!;
  const hf = readSafetensorsDir(dir);
  const [q] = hfTensorsToGguf('llama', { nHeads: 4, nKvHeads: 2 }, [hf.get('model.layers.1.self_attn.q_proj.weight')!]);
  const hfQ = hf.get('model.layers.1.self_attn.q_proj.weight')!.data;
  const cols = 64, hd = 16;
  for (let h = 0; h < 4; h++) for (let i = 0; i < hd / 2; i++) for (let j = 0; j < 2; j++) {
    const ggRow = h * hd + 2 * i + j, hfRow = h * hd + j * (hd / 2) + i;
    assert.deepEqual(q.data.subarray(ggRow * cols, ggRow * cols + cols), hfQ.subarray(hfRow * cols, hfRow * cols + cols));
  }
});

test('llama-tiny through Q8_0: every weight within one quantization step', { skip: skipUnlessShared('reference', 'llama-tiny', 'model.safetensors') }, () => {
  const dir = sharedPath('reference', 'llama-tiny')!;
  const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
  const hf = readSafetensorsDir(dir);
  const heads = hfHeadCounts(config);
  const tensors = hfTensorsToGguf('llama', heads, hf.values()).map((t) => ({ ...t, type: t.shape.length === 2 && t.shape[1] % 32 === 0 ? GgmlType.Q8_0 : GgmlType.F32 }));
  const file = readGguf(writeGguf({ metadata: hfConfigToGgufMetadata(config), tensors }));
  for (const t of ggufTensorsToHf('llama', heads, file.tensors.values())) {
    const ref = hf.get(t.name)!.data;
    let amax = 0, worst = 0;
    for (let i = 0; i < ref.length; i++) { amax = Math.max(amax, Math.abs(ref[i])); worst = Math.max(worst, Math.abs(ref[i] - t.data[i])); }
    assert.ok(worst <= amax / 127, `${t.name}: ${worst} > ${amax / 127}`);
  }
});

test('stories260K: GGUF q/k rows equal the interleaved rows stored in the llama2.c file', { skip: skipUnlessShared('data', 'models', 'stories260K', 'stories260K.bin') }, () => {
  const bytes = readFileSync(sharedPath('data', 'models', 'stories260K', 'stories260K.bin')!);
  const ckpt = readLlama2c(bytes);
  const gg = new Map(hfTensorsToGguf('llama', { nHeads: 8, nKvHeads: 4 }, ckpt.tensors.values()).map((t) => [t.name, t]));
  // v0 layout: 7 int32, tok_emb (512*64), rms_att (5*64), then wq (5, 64, 64), wk (5, 32, 64)
  const wqAt = 28 + 4 * (512 * 64 + 5 * 64);
  const wq0 = new Float32Array(bytes.buffer.slice(bytes.byteOffset + wqAt, bytes.byteOffset + wqAt + 4 * 64 * 64));
  const wkAt = wqAt + 4 * 5 * 64 * 64;
  const wk0 = new Float32Array(bytes.buffer.slice(bytes.byteOffset + wkAt, bytes.byteOffset + wkAt + 4 * 32 * 64));
  assert.deepEqual(gg.get('blk.0.attn_q.weight')!.data, wq0);
  assert.deepEqual(gg.get('blk.0.attn_k.weight')!.data, wk0);
});
