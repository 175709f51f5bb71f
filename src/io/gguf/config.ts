// Model hyperparameters: Hugging Face config.json <-> GGUF metadata keys ({arch}.*), as
// convert_hf_to_gguf.py writes them for llama, qwen2 and gpt2.

import { GgufType } from './constants.js';
import { gguf, metaFloat, metaInt, metaString, type GgufMetadata } from './metadata.js';
import { GGUF_ARCHS, type GgufArch, type HeadCounts } from './names.js';

type HfConfig = Record<string, unknown>;

/** The GGUF architecture of a HF config (model_type, else architectures[0]). */
export function hfArch(config: HfConfig): GgufArch {
  const byClass: Record<string, GgufArch> = { LlamaForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2', GPT2LMHeadModel: 'gpt2' };
  const type = config.model_type;
  if (typeof type === 'string' && (GGUF_ARCHS as readonly string[]).includes(type)) return type as GgufArch;
  const cls = Array.isArray(config.architectures) ? config.architectures[0] : undefined;
  if (typeof cls === 'string' && byClass[cls]) return byClass[cls];
  throw new Error(`GGUF config: unsupported model (model_type ${JSON.stringify(type)}, architectures ${JSON.stringify(config.architectures)})`);
}

function num(config: HfConfig, key: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`GGUF config: HF config.json field ${key} is missing or not a number`);
  return v;
}

/** Llama 3 rope scaling as config.json states it (rope_parameters or rope_scaling with rope_type llama3). */
export interface Llama3Scaling { factor: number; lowFreqFactor: number; highFreqFactor: number; originalContextLength: number }

function llama3Scaling(config: HfConfig): Llama3Scaling | null {
  const p = (config.rope_parameters ?? config.rope_scaling ?? null) as Record<string, unknown> | null;
  if (!p || (p.rope_type ?? p.type) !== 'llama3') return null;
  const get = (k: string) => {
    if (typeof p[k] !== 'number') throw new Error(`GGUF config: llama3 rope scaling needs a number ${k}`);
    return p[k] as number;
  };
  return { factor: get('factor'), lowFreqFactor: get('low_freq_factor'), highFreqFactor: get('high_freq_factor'), originalContextLength: get('original_max_position_embeddings') };
}

/**
 * llama.cpp's form of Llama 3 rope scaling: the tensor rope_freqs.weight (headDim/2 values) by
 * which each base frequency theta^(-2i/d) is divided, as convert_hf_to_gguf.py computes it.
 */
export function llama3RopeFactors(headDim: number, theta: number, s: Llama3Scaling): Float32Array {
  const out = new Float32Array(headDim / 2);
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  for (let i = 0; i < out.length; i++) {
    const freq = 1 / theta ** ((2 * i) / headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
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

function ropeTheta(config: HfConfig): number {
  const params = config.rope_parameters as { rope_theta?: unknown } | undefined;
  const v = params?.rope_theta ?? config.rope_theta ?? 10000;
  if (typeof v !== 'number') throw new Error('GGUF config: rope_theta is not a number');
  return v;
}

/** Head counts from a HF config (for the llama q/k permutation). */
export function hfHeadCounts(config: HfConfig): HeadCounts {
  const nHeads = num(config, config.n_head !== undefined ? 'n_head' : 'num_attention_heads');
  return { nHeads, nKvHeads: num(config, 'num_key_value_heads', nHeads) };
}

/** HF config.json -> GGUF metadata (integers as u32, epsilons and rope base as f32). */
export function hfConfigToGgufMetadata(config: HfConfig): GgufMetadata {
  const arch = hfArch(config);
  const m: GgufMetadata = new Map();
  const k = (key: string) => `${arch}.${key}`;
  m.set('general.architecture', gguf.str(arch));
  if (arch === 'gpt2') {
    const nEmbd = num(config, 'n_embd');
    m.set(k('context_length'), gguf.u32(num(config, 'n_positions', config.n_ctx as number)));
    m.set(k('embedding_length'), gguf.u32(nEmbd));
    m.set(k('block_count'), gguf.u32(num(config, 'n_layer')));
    m.set(k('feed_forward_length'), gguf.u32((config.n_inner as number | null) ?? 4 * nEmbd));
    m.set(k('attention.head_count'), gguf.u32(num(config, 'n_head')));
    m.set(k('attention.layer_norm_epsilon'), gguf.f32(num(config, 'layer_norm_epsilon', 1e-5)));
  } else {
    const hidden = num(config, 'hidden_size');
    const heads = num(config, 'num_attention_heads');
    const headDim = num(config, 'head_dim', hidden / heads);
    m.set(k('context_length'), gguf.u32(num(config, 'max_position_embeddings')));
    m.set(k('embedding_length'), gguf.u32(hidden));
    m.set(k('block_count'), gguf.u32(num(config, 'num_hidden_layers')));
    m.set(k('feed_forward_length'), gguf.u32(num(config, 'intermediate_size')));
    m.set(k('attention.head_count'), gguf.u32(heads));
    m.set(k('attention.head_count_kv'), gguf.u32(num(config, 'num_key_value_heads', heads)));
    m.set(k('attention.layer_norm_rms_epsilon'), gguf.f32(num(config, 'rms_norm_eps')));
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
  }
  m.set(k('vocab_size'), gguf.u32(num(config, 'vocab_size')));
  return m;
}

/** The shortest decimal that reads back as the same float32 (1e-5 stored as f32 -> 1e-5). */
export function shortestF32(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === Math.fround(x)) return y;
  }
  return x;
}

/**
 * GGUF metadata -> HF config.json fields. tieWordEmbeddings: GGUF has no key for it;
 * llama.cpp ties when the file has no output.weight, so pass that in. ropeFactors: the file's
 * rope_freqs.weight, if any (Llama 3 rope scaling as llama.cpp stores it).
 */
export function ggufMetadataToHfConfig(meta: GgufMetadata, tieWordEmbeddings: boolean, ropeFactors?: Float32Array): HfConfig {
  const arch = metaString(meta, 'general.architecture');
  if (arch === undefined) throw new Error('GGUF config: general.architecture is missing');
  if (!(GGUF_ARCHS as readonly string[]).includes(arch)) throw new Error(`GGUF config: unsupported architecture ${arch} (known: ${GGUF_ARCHS.join(', ')})`);
  const int = (key: string, fallback?: number): number => {
    const v = metaInt(meta, `${arch}.${key}`) ?? fallback;
    if (v === undefined) throw new Error(`GGUF config: ${arch}.${key} is missing`);
    return v;
  };
  const float = (key: string, fallback?: number): number => {
    const v = metaFloat(meta, `${arch}.${key}`);
    if (v !== undefined) return meta.get(`${arch}.${key}`)!.type === GgufType.FLOAT32 ? shortestF32(v) : v;
    if (fallback === undefined) throw new Error(`GGUF config: ${arch}.${key} is missing`);
    return fallback;
  };
  const tokens = meta.get('tokenizer.ggml.tokens');
  const tokenCount = tokens && typeof tokens.value === 'object' && 'items' in tokens.value ? tokens.value.items.length : undefined;
  const vocab = int('vocab_size', tokenCount);

  if (arch === 'gpt2') {
    const nEmbd = int('embedding_length');
    const ff = int('feed_forward_length', 4 * nEmbd);
    return {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', activation_function: 'gelu_new',
      n_embd: nEmbd, n_layer: int('block_count'), n_head: int('attention.head_count'),
      n_positions: int('context_length'), n_inner: ff === 4 * nEmbd ? null : ff,
      layer_norm_epsilon: float('attention.layer_norm_epsilon', 1e-5), vocab_size: vocab,
      tie_word_embeddings: tieWordEmbeddings,
    };
  }
  const hidden = int('embedding_length');
  const heads = int('attention.head_count');
  const theta = float('rope.freq_base', 10000);
  const headDim = int('attention.key_length', int('rope.dimension_count', hidden / heads));
  const scaling = llama3FromGguf(meta, headDim, theta, ropeFactors);
  const rope: HfConfig = scaling
    ? { rope_theta: theta, rope_type: 'llama3', factor: scaling.factor, low_freq_factor: scaling.lowFreqFactor, high_freq_factor: scaling.highFreqFactor, original_max_position_embeddings: scaling.originalContextLength }
    : { rope_theta: theta, rope_type: 'default' };
  return {
    architectures: [arch === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM'], model_type: arch, hidden_act: 'silu',
    hidden_size: hidden, intermediate_size: int('feed_forward_length'), num_hidden_layers: int('block_count'),
    num_attention_heads: heads, num_key_value_heads: int('attention.head_count_kv', heads),
    head_dim: headDim,
    max_position_embeddings: int('context_length'), rms_norm_eps: float('attention.layer_norm_rms_epsilon'),
    rope_theta: theta, rope_parameters: rope,
    vocab_size: vocab, tie_word_embeddings: tieWordEmbeddings,
  };
}
