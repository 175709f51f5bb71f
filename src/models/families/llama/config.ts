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

/**
 * A mixture-of-experts MLP in place of the dense one (Mixtral, Qwen2-MoE); see src/models/moe.ts.
 * `style` names the parameters: Mixtral's block_sparse_moe.experts.E.w1/w2/w3, or Qwen2-MoE's
 * mlp.experts.E.{gate,up,down}_proj with a shared expert.
 */
export interface MoeConfig {
  style: 'mixtral' | 'qwen2_moe';
  experts: number;
  expertsPerToken: number;
  /** Width of each expert's hidden layer. */
  expertHidden: number;
  /** Renormalise the chosen experts' weights (Mixtral: always; Qwen2-MoE: norm_topk_prob). */
  normTopK: boolean;
  /** Qwen2-MoE: the shared expert's hidden width. */
  sharedExpertHidden?: number;
  /** router_aux_loss_coef: the weight of the load-balancing loss in training. */
  auxLossCoef: number;
}

/** Llama, Mistral, Qwen2 and SmolLM: RMSNorm, RoPE, SwiGLU, grouped-query attention; Mixtral and Qwen2-MoE route the MLP. */
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
  /** A mixture of experts in every layer's MLP (Mixtral, Qwen2-MoE); absent for a dense MLP. */
  moe?: MoeConfig;
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
  // Mistral and Mixtral read sliding_window; Llama and Qwen2 ignore the key
  const window = (modelType === 'mistral' || modelType === 'mixtral') && cfg.sliding_window != null ? positiveInt(cfg, 'sliding_window') : undefined;
  const moe = moeFromHf(cfg);
  return {
    arch: 'llama',
    vocabSize: positiveInt(cfg, 'vocab_size'),
    contextLength,
    dim, layers: positiveInt(cfg, 'num_hidden_layers'), heads, kvHeads, headDim,
    mlpHidden: positiveInt(cfg, 'intermediate_size'),
    normEps: num(cfg, 'rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    qkvBias: modelType === 'qwen2' || modelType === 'qwen2_moe' || cfg.attention_bias === true,
    tiedEmbeddings: cfg.tie_word_embeddings === true,
    ...(window !== undefined && window < contextLength ? { slidingWindow: window } : {}),
    ...(moe ? { moe } : {}),
  };
}

function moeFromHf(cfg: Json): MoeConfig | undefined {
  if (cfg.model_type === 'mixtral') {
    if (typeof cfg.router_jitter_noise === 'number' && cfg.router_jitter_noise !== 0) throw new Error('config.json: router_jitter_noise is not supported');
    const experts = positiveInt(cfg, 'num_local_experts');
    const k = positiveInt(cfg, 'num_experts_per_tok');
    if (k > experts) throw new Error(`config.json: num_experts_per_tok ${k} exceeds num_local_experts ${experts}`);
    return { style: 'mixtral', experts, expertsPerToken: k, expertHidden: positiveInt(cfg, 'intermediate_size'), normTopK: true, auxLossCoef: num(cfg, 'router_aux_loss_coef', 0.001) };
  }
  if (cfg.model_type === 'qwen2_moe') {
    if (cfg.decoder_sparse_step !== undefined && cfg.decoder_sparse_step !== 1) throw new Error('config.json: decoder_sparse_step other than 1 (dense layers between sparse ones) is not supported');
    if (Array.isArray(cfg.mlp_only_layers) && cfg.mlp_only_layers.length > 0) throw new Error('config.json: mlp_only_layers is not supported');
    if (cfg.norm_topk_prob !== undefined && typeof cfg.norm_topk_prob !== 'boolean') throw new Error(`config.json: 'norm_topk_prob' must be true or false, got ${JSON.stringify(cfg.norm_topk_prob)}`);
    const experts = positiveInt(cfg, 'num_experts');
    const k = positiveInt(cfg, 'num_experts_per_tok');
    if (k > experts) throw new Error(`config.json: num_experts_per_tok ${k} exceeds num_experts ${experts}`);
    return {
      style: 'qwen2_moe', experts, expertsPerToken: k, expertHidden: positiveInt(cfg, 'moe_intermediate_size'), normTopK: cfg.norm_topk_prob === true,
      sharedExpertHidden: positiveInt(cfg, 'shared_expert_intermediate_size'), auxLossCoef: num(cfg, 'router_aux_loss_coef', 0.001),
    };
  }
  return undefined;
}

/** The config.json fields of a mixture of experts. */
function moeToHf(m: MoeConfig): Json {
  if (m.style === 'mixtral') return { num_local_experts: m.experts, num_experts_per_tok: m.expertsPerToken, router_aux_loss_coef: m.auxLossCoef };
  return {
    num_experts: m.experts, num_experts_per_tok: m.expertsPerToken, moe_intermediate_size: m.expertHidden,
    shared_expert_intermediate_size: m.sharedExpertHidden, norm_topk_prob: m.normTopK, decoder_sparse_step: 1, mlp_only_layers: [],
    router_aux_loss_coef: m.auxLossCoef,
  };
}

export function llamaToHf(c: LlamaConfig): Json {
  const rope: Json = c.ropeScaling
    ? { rope_type: 'llama3', rope_theta: c.ropeTheta, factor: c.ropeScaling.factor, low_freq_factor: c.ropeScaling.lowFreqFactor, high_freq_factor: c.ropeScaling.highFreqFactor, original_max_position_embeddings: c.ropeScaling.originalContextLength }
    : { rope_type: 'default', rope_theta: c.ropeTheta };
  if (c.slidingWindow !== undefined && c.qkvBias) throw new Error('config.json has no form for sliding-window attention with q/k/v biases (Mistral has no biases; Qwen2\'s windows are per layer)');
  if (c.moe?.style === 'qwen2_moe' && !c.qkvBias) throw new Error('Qwen2-MoE has q/k/v biases: a qwen2_moe config needs qkvBias');
  // Mixtral or Qwen2-MoE when routed; a sliding window is Mistral's; else the plain Llama (or Qwen2, with biases) form
  const [cls, type] = c.moe?.style === 'mixtral' ? ['MixtralForCausalLM', 'mixtral'] : c.moe?.style === 'qwen2_moe' ? ['Qwen2MoeForCausalLM', 'qwen2_moe']
    : c.slidingWindow !== undefined ? ['MistralForCausalLM', 'mistral'] : c.qkvBias ? ['Qwen2ForCausalLM', 'qwen2'] : ['LlamaForCausalLM', 'llama'];
  return {
    architectures: [cls], model_type: type, hidden_act: 'silu',
    vocab_size: c.vocabSize, max_position_embeddings: c.contextLength, hidden_size: c.dim, num_hidden_layers: c.layers,
    num_attention_heads: c.heads, num_key_value_heads: c.kvHeads, head_dim: c.headDim, intermediate_size: c.mlpHidden,
    rms_norm_eps: c.normEps, rope_theta: c.ropeTheta, rope_parameters: rope, attention_bias: c.qkvBias, tie_word_embeddings: c.tiedEmbeddings,
    ...(c.slidingWindow !== undefined ? { sliding_window: c.slidingWindow } : {}),
    ...(c.moe ? moeToHf(c.moe) : {}),
  };
}

export function llamaForTraining(shape: TrainShape, vocabSize: number): LlamaConfig {
  const { layers, heads, dim, contextLength } = shape;
  if (shape.bias === true) throw new Error('the Llama architecture has no biases (bias: true is for GPT-2)');
  const kvHeads = shape.kvHeads ?? heads;
  if (heads % kvHeads !== 0) throw new Error(`${heads} heads are not a multiple of ${kvHeads} key/value heads`);
  const mlpHidden = shape.mlpHidden ?? Math.ceil((8 * dim) / 3 / 16) * 16;
  const routed = shape.arch === 'mixtral' || shape.arch === 'qwen2_moe';
  if (!routed && (shape.experts !== undefined || shape.expertsPerToken !== undefined)) throw new Error(`--experts and --experts-per-token are for mixtral and qwen2_moe, not ${shape.arch}`);
  const experts = shape.experts ?? 8, k = shape.expertsPerToken ?? 2;
  if (routed && (!Number.isInteger(experts) || experts < 1 || !Number.isInteger(k) || k < 1 || k > experts)) throw new Error(`--experts-per-token must be between 1 and --experts (${experts}), got ${k}`);
  const moe: MoeConfig | undefined = !routed ? undefined : shape.arch === 'mixtral'
    ? { style: 'mixtral', experts, expertsPerToken: k, expertHidden: mlpHidden, normTopK: true, auxLossCoef: 0.02 }
    : { style: 'qwen2_moe', experts, expertsPerToken: k, expertHidden: mlpHidden, normTopK: false, sharedExpertHidden: mlpHidden, auxLossCoef: 0.001 };
  return {
    arch: 'llama', vocabSize, contextLength, dim, layers, heads, kvHeads, headDim: dim / heads, mlpHidden,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: shape.arch === 'qwen2_moe', tiedEmbeddings: true,
    ...(moe ? { moe } : {}),
  };
}

/** Values the math needs in range: rope_theta and the scaling factors > 0, a window ≥ 1. */
export function checkLlamaValues(c: LlamaConfig): void {
  const positive = (v: unknown, name: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`model config: ${name} must be a finite number > 0, got ${String(v)} (it would make every logit NaN)`);
  };
  positive(c.ropeTheta, 'rope_theta');
  if (c.ropeScaling) {
    positive(c.ropeScaling.factor, 'the rope scaling factor');
    positive(c.ropeScaling.lowFreqFactor, 'the rope low_freq_factor');
    positive(c.ropeScaling.highFreqFactor, 'the rope high_freq_factor');
    if (!(Number.isSafeInteger(c.ropeScaling.originalContextLength) && c.ropeScaling.originalContextLength >= 1)) {
      throw new Error(`model config: the rope original_max_position_embeddings must be a whole number ≥ 1, got ${c.ropeScaling.originalContextLength}`);
    }
  }
  if (c.slidingWindow !== undefined && !(Number.isSafeInteger(c.slidingWindow) && c.slidingWindow >= 1)) {
    throw new Error(`model config: sliding_window must be a whole number ≥ 1, got ${c.slidingWindow}`);
  }
  if (c.moe) {
    // checked before any expert's parameters are listed (a header claiming 1e9 experts must not list them)
    const { experts, expertsPerToken, expertHidden } = c.moe;
    if (!(Number.isSafeInteger(experts) && experts >= 1 && experts <= MAX_EXPERTS)) throw new Error(`model config: the number of experts must be a whole number from 1 to ${MAX_EXPERTS}, got ${experts} (a corrupt header?)`);
    if (!(Number.isSafeInteger(expertsPerToken) && expertsPerToken >= 1 && expertsPerToken <= experts)) throw new Error(`model config: the experts per token must be a whole number from 1 to the ${experts} experts, got ${expertsPerToken}`);
    if (!(Number.isSafeInteger(expertHidden) && expertHidden >= 1 && expertHidden <= 1 << 20)) throw new Error(`model config: each expert's width must be a whole number from 1 to ${1 << 20}, got ${expertHidden}`);
  }
}

/** Most experts per layer accepted, far above any real mixture (DeepSeek-V3: 256). */
export const MAX_EXPERTS = 1024;
