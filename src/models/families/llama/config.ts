// The Llama family's config: config.json (model_type llama, mistral, qwen2) <-> LlamaConfig, and
// a fresh one for training.

import type { Json, TrainShape } from '../../family.js';
import { num, positiveInt } from '../json.js';

export interface RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalContextLength: number;
}

/** Llama, Mistral, Qwen2 and SmolLM: RMSNorm, RoPE, SwiGLU, grouped-query attention. */
export interface LlamaConfig {
  arch: 'llama';
  vocabSize: number;
  contextLength: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  mlpHidden: number;
  normEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** q/k/v projections carry biases (Qwen2). */
  qkvBias: boolean;
  tiedEmbeddings: boolean;
  /**
   * Mistral's sliding-window attention: each query sees only the last slidingWindow positions up
   * to itself. Absent when every query sees every earlier position (no window, or one at least
   * as long as the context).
   */
  slidingWindow?: number;
}

function ropeFromHf(cfg: Json): { theta: number; scaling: RopeScaling | null } {
  const params = (cfg.rope_parameters ?? cfg.rope_scaling ?? null) as Json | null;
  const theta = num(params && typeof params.rope_theta === 'number' ? params : cfg, 'rope_theta', 10000);
  const type = params ? params.rope_type ?? params.type ?? 'default' : 'default';
  if (type === 'default') return { theta, scaling: null };
  if (type === 'llama3') {
    const p = params!;
    return {
      theta,
      scaling: {
        type: 'llama3',
        factor: num(p, 'factor'),
        lowFreqFactor: num(p, 'low_freq_factor'),
        highFreqFactor: num(p, 'high_freq_factor'),
        originalContextLength: positiveInt(p, 'original_max_position_embeddings'),
      },
    };
  }
  throw new Error(`config.json: rope type '${String(type)}' is not supported (default and llama3 are)`);
}

export function llamaFromHf(cfg: Json): LlamaConfig {
  const modelType = cfg.model_type;
  const act = cfg.hidden_act ?? 'silu';
  if (act !== 'silu') throw new Error(`config.json: hidden_act '${act}' is not supported (the Llama family uses silu)`);
  if (cfg.mlp_bias === true) throw new Error('config.json: mlp_bias is not supported');
  if (cfg.use_sliding_window === true) throw new Error('config.json: Qwen2\'s use_sliding_window (windows on the layers from max_window_layers on) is not supported; Mistral\'s sliding_window is');
  const dim = positiveInt(cfg, 'hidden_size');
  const heads = positiveInt(cfg, 'num_attention_heads');
  const kvHeads = positiveInt(cfg, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw new Error(`config.json: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = cfg.head_dim == null ? dim / heads : positiveInt(cfg, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`config.json: head dimension ${headDim} must be an even integer`);
  const rope = ropeFromHf(cfg);
  const contextLength = positiveInt(cfg, 'max_position_embeddings', 2048);
  // Mistral (and Mixtral) read sliding_window; Llama and Qwen2 ignore the key
  const window = modelType === 'mistral' && cfg.sliding_window != null ? positiveInt(cfg, 'sliding_window') : undefined;
  return {
    arch: 'llama',
    vocabSize: positiveInt(cfg, 'vocab_size'),
    contextLength,
    dim, layers: positiveInt(cfg, 'num_hidden_layers'), heads, kvHeads, headDim,
    mlpHidden: positiveInt(cfg, 'intermediate_size'),
    normEps: num(cfg, 'rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    qkvBias: modelType === 'qwen2' || cfg.attention_bias === true,
    tiedEmbeddings: cfg.tie_word_embeddings === true,
    ...(window !== undefined && window < contextLength ? { slidingWindow: window } : {}),
  };
}

export function llamaToHf(c: LlamaConfig): Json {
  const rope: Json = c.ropeScaling
    ? { rope_type: 'llama3', rope_theta: c.ropeTheta, factor: c.ropeScaling.factor, low_freq_factor: c.ropeScaling.lowFreqFactor, high_freq_factor: c.ropeScaling.highFreqFactor, original_max_position_embeddings: c.ropeScaling.originalContextLength }
    : { rope_type: 'default', rope_theta: c.ropeTheta };
  if (c.slidingWindow !== undefined && c.qkvBias) throw new Error('config.json has no form for sliding-window attention with q/k/v biases (Mistral has no biases; Qwen2\'s windows are per layer)');
  // a sliding window is Mistral's; without one, the plain Llama (or Qwen2, with biases) form
  const [cls, type] = c.slidingWindow !== undefined ? ['MistralForCausalLM', 'mistral'] : c.qkvBias ? ['Qwen2ForCausalLM', 'qwen2'] : ['LlamaForCausalLM', 'llama'];
  return {
    architectures: [cls], model_type: type, hidden_act: 'silu',
    vocab_size: c.vocabSize, max_position_embeddings: c.contextLength, hidden_size: c.dim, num_hidden_layers: c.layers,
    num_attention_heads: c.heads, num_key_value_heads: c.kvHeads, head_dim: c.headDim, intermediate_size: c.mlpHidden,
    rms_norm_eps: c.normEps, rope_theta: c.ropeTheta, rope_parameters: rope, attention_bias: c.qkvBias, tie_word_embeddings: c.tiedEmbeddings,
    ...(c.slidingWindow !== undefined ? { sliding_window: c.slidingWindow } : {}),
  };
}

export function llamaForTraining(shape: TrainShape, vocabSize: number): LlamaConfig {
  const { layers, heads, dim, contextLength } = shape;
  if (shape.bias === true) throw new Error('the Llama architecture has no biases (bias: true is for GPT-2)');
  const kvHeads = shape.kvHeads ?? heads;
  if (heads % kvHeads !== 0) throw new Error(`${heads} heads are not a multiple of ${kvHeads} key/value heads`);
  return {
    arch: 'llama', vocabSize, contextLength, dim, layers, heads, kvHeads, headDim: dim / heads,
    mlpHidden: shape.mlpHidden ?? Math.ceil((8 * dim) / 3 / 16) * 16,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, tiedEmbeddings: true,
  };
}
