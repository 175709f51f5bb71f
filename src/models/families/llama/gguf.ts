// The Llama family in GGUF, as convert_hf_to_gguf.py writes it:
//   llama: HF q/k rows (rotate-half) are permuted to the interleaved layout (LlamaModel.permute).
//   qwen2: same names plus q/k/v biases; no permutation (llama.cpp uses NeoX-style rope there).
// Llama 3 rope scaling travels as the rope_freqs.weight tensor (llama.cpp) and glasslm's own keys.

import { ggufFloat, ggufInt, ggufVocab, shortestF32 } from '../../../io/gguf/fields.js';
import { gguf, metaFloat, metaInt, type GgufMetadata } from '../../../io/gguf/metadata.js';
import { halvesToInterleaved, interleavedToHalves } from '../../../io/permute.js';
import { type NameTables, tableFromGguf, tableToGguf } from '../../../io/gguf/rename.js';
import type { NamedTensor } from '../../../io/types.js';
import type { GgufSide, Json } from '../../family.js';
import { hfNum } from '../json.js';
import { type Llama3Scaling, llama3RopeFactors } from './rope.js';

const TABLES: NameTables = {
  layerPrefix: 'model.layers.',
  layer: [
    ['self_attn.q_proj', 'attn_q'], ['self_attn.k_proj', 'attn_k'], ['self_attn.v_proj', 'attn_v'],
    ['self_attn.o_proj', 'attn_output'], ['mlp.gate_proj', 'ffn_gate'], ['mlp.up_proj', 'ffn_up'],
    ['mlp.down_proj', 'ffn_down'], ['input_layernorm', 'attn_norm'], ['post_attention_layernorm', 'ffn_norm'],
  ],
  global: [['model.embed_tokens', 'token_embd'], ['model.norm', 'output_norm'], ['lm_head', 'output']],
};

/** GGUF q/k tensors whose rows llama.cpp's 'llama' architecture holds interleaved. */
const QK = /^blk\.\d+\.attn_(q|k)\.(weight|bias)$/;

function llama3Scaling(config: Json): Llama3Scaling | null {
  const p = (config.rope_parameters ?? config.rope_scaling ?? null) as Record<string, unknown> | null;
  if (!p || (p.rope_type ?? p.type) !== 'llama3') return null;
  const get = (k: string) => {
    if (typeof p[k] !== 'number') throw new Error(`GGUF config: llama3 rope scaling needs a number ${k}`);
    return p[k] as number;
  };
  return { factor: get('factor'), lowFreqFactor: get('low_freq_factor'), highFreqFactor: get('high_freq_factor'), originalContextLength: get('original_max_position_embeddings') };
}

/** Keys glasslm adds so Llama 3 rope scaling survives a round trip (llama.cpp ignores them). */
const LLAMA3_KEYS = { factor: 'glasslm.rope.llama3.factor', lowFreqFactor: 'glasslm.rope.llama3.low_freq_factor', highFreqFactor: 'glasslm.rope.llama3.high_freq_factor', originalContextLength: 'glasslm.rope.llama3.original_context_length' } as const;

/**
 * The Llama 3 scaling of a GGUF file: from glasslm's keys, else fitted to its rope_freqs tensor
 * with the constants every Llama 3.x release uses (low 1, high 4, original context 8192).
 */
function llama3FromGguf(meta: GgufMetadata, headDim: number, theta: number, ropeFactors: Float32Array | undefined): Llama3Scaling | null {
  const factor = metaFloat(meta, LLAMA3_KEYS.factor);
  if (factor !== undefined) {
    const need = (k: keyof typeof LLAMA3_KEYS) => {
      const v = metaFloat(meta, LLAMA3_KEYS[k]);
      if (v === undefined) throw new Error(`GGUF config: ${LLAMA3_KEYS[k]} is missing`);
      return shortestF32(v);
    };
    return { factor: shortestF32(factor), lowFreqFactor: need('lowFreqFactor'), highFreqFactor: need('highFreqFactor'), originalContextLength: need('originalContextLength') };
  }
  if (!ropeFactors) return null;
  if (ropeFactors.every((f) => f === 1)) return null;
  const guess = { factor: shortestF32(Math.max(...ropeFactors)), lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192 };
  const fit = llama3RopeFactors(headDim, theta, guess);
  if (fit.length === ropeFactors.length && fit.every((f, i) => Math.abs(f - ropeFactors[i]) <= 1e-5 * f)) return guess;
  throw new Error('GGUF config: rope_freqs.weight holds a rope scaling glasslm cannot express (only Llama 3 scaling is supported)');
}

function ropeTheta(config: Json): number {
  const params = config.rope_parameters as { rope_theta?: unknown } | undefined;
  const v = params?.rope_theta ?? config.rope_theta ?? 10000;
  if (typeof v !== 'number') throw new Error('GGUF config: rope_theta is not a number');
  return v;
}

function headDimOf(config: Json): number {
  const hidden = hfNum(config, 'hidden_size');
  return hfNum(config, 'head_dim', hidden / hfNum(config, 'num_attention_heads'));
}

export const llamaGguf: GgufSide = {
  archs: ['llama', 'qwen2'],
  archFor: (hf) => (hf.model_type === 'qwen2' ? 'qwen2' : 'llama'), // Mistral is written as llama, as convert_hf_to_gguf.py does
  auxTensors: ['rope_freqs.weight'],

  auxTensorsFor(config: Json): NamedTensor[] {
    const scaling = llama3Scaling(config);
    if (!scaling) return [];
    // llama.cpp reads Llama 3 rope scaling from this tensor, not from metadata
    const headDim = headDimOf(config);
    return [{ name: 'rope_freqs.weight', shape: [headDim / 2], data: llama3RopeFactors(headDim, ropeTheta(config), scaling) }];
  },

  metadataFromHf(config: Json, arch: string): GgufMetadata {
    const m: GgufMetadata = new Map();
    const k = (key: string) => `${arch}.${key}`;
    m.set('general.architecture', gguf.str(arch));
    const hidden = hfNum(config, 'hidden_size');
    const heads = hfNum(config, 'num_attention_heads');
    const headDim = hfNum(config, 'head_dim', hidden / heads);
    m.set(k('context_length'), gguf.u32(hfNum(config, 'max_position_embeddings')));
    m.set(k('embedding_length'), gguf.u32(hidden));
    m.set(k('block_count'), gguf.u32(hfNum(config, 'num_hidden_layers')));
    m.set(k('feed_forward_length'), gguf.u32(hfNum(config, 'intermediate_size')));
    m.set(k('attention.head_count'), gguf.u32(heads));
    m.set(k('attention.head_count_kv'), gguf.u32(hfNum(config, 'num_key_value_heads', heads)));
    m.set(k('attention.layer_norm_rms_epsilon'), gguf.f32(hfNum(config, 'rms_norm_eps')));
    m.set(k('rope.freq_base'), gguf.f32(ropeTheta(config)));
    m.set(k('rope.dimension_count'), gguf.u32(headDim));
    if (headDim !== hidden / heads) {
      m.set(k('attention.key_length'), gguf.u32(headDim));
      m.set(k('attention.value_length'), gguf.u32(headDim));
    }
    const scaling = llama3Scaling(config);
    if (scaling) {
      m.set(LLAMA3_KEYS.factor, gguf.f32(scaling.factor));
      m.set(LLAMA3_KEYS.lowFreqFactor, gguf.f32(scaling.lowFreqFactor));
      m.set(LLAMA3_KEYS.highFreqFactor, gguf.f32(scaling.highFreqFactor));
      m.set(LLAMA3_KEYS.originalContextLength, gguf.u32(scaling.originalContextLength));
    }
    // Mistral's window: the key llama.cpp uses for sliding-window attention
    if (config.model_type === 'mistral' && typeof config.sliding_window === 'number') m.set(k('attention.sliding_window'), gguf.u32(config.sliding_window));
    m.set(k('vocab_size'), gguf.u32(hfNum(config, 'vocab_size')));
    return m;
  },

  metadataToHf(meta: GgufMetadata, arch: string, tieWordEmbeddings: boolean, aux: ReadonlyMap<string, Float32Array>): Json {
    const int = ggufInt(meta, arch), float = ggufFloat(meta, arch);
    const vocab = ggufVocab(meta, arch);
    const hidden = int('embedding_length');
    const heads = int('attention.head_count');
    const theta = float('rope.freq_base', 10000);
    const headDim = int('attention.key_length', int('rope.dimension_count', hidden / heads));
    const scaling = llama3FromGguf(meta, headDim, theta, aux.get('rope_freqs.weight'));
    const rope: Json = scaling
      ? { rope_theta: theta, rope_type: 'llama3', factor: scaling.factor, low_freq_factor: scaling.lowFreqFactor, high_freq_factor: scaling.highFreqFactor, original_max_position_embeddings: scaling.originalContextLength }
      : { rope_theta: theta, rope_type: 'default' };
    const window = metaInt(meta, `${arch}.attention.sliding_window`);
    const type = window !== undefined ? 'mistral' : arch;
    return {
      architectures: [window !== undefined ? 'MistralForCausalLM' : arch === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'], model_type: type, hidden_act: 'silu',
      ...(window !== undefined ? { sliding_window: window } : {}),
      hidden_size: hidden, intermediate_size: int('feed_forward_length'), num_hidden_layers: int('block_count'),
      num_attention_heads: heads, num_key_value_heads: int('attention.head_count_kv', heads),
      head_dim: headDim,
      max_position_embeddings: int('context_length'), rms_norm_eps: float('attention.layer_norm_rms_epsilon'),
      rope_theta: theta, rope_parameters: rope,
      vocab_size: vocab, tie_word_embeddings: tieWordEmbeddings,
    };
  },

  nameToGguf(arch: string, hfName: string): string {
    const name = tableToGguf(TABLES, hfName);
    if (name === undefined) throw new Error(`GGUF names: no ${arch} GGUF name for HF tensor ${hfName}`);
    return name;
  },

  nameFromGguf(arch: string, ggufName: string): string {
    const name = tableFromGguf(TABLES, ggufName);
    if (name === undefined) throw new Error(`GGUF names: no ${arch} HF name for GGUF tensor ${ggufName}`);
    return name;
  },

  layoutFromGguf(arch: string, ggufName: string, shape: readonly number[]) {
    return { shape: [...shape], relayout: arch === 'llama' && QK.test(ggufName) };
  },

  layoutToGguf(arch: string, ggufName: string, shape: readonly number[]) {
    return { shape: [...shape], relayout: arch === 'llama' && QK.test(ggufName) };
  },

  relayout(arch, heads, ggufName, shape, src, out, toGguf) {
    const qk = QK.exec(ggufName);
    if (arch !== 'llama' || !qk) {
      out.set(src);
      return;
    }
    if (!heads) throw new Error(`GGUF names: ${ggufName} needs head counts for the llama q/k permutation`);
    const n = qk[1] === 'q' ? heads.nHeads : heads.nKvHeads;
    if (toGguf) halvesToInterleaved(src, shape[0], n, ggufName, out);
    else interleavedToHalves(src, shape[0], n, ggufName, out);
  },
};
