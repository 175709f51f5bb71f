// GPT-2's config: config.json (model_type gpt2) <-> Gpt2Config, and a fresh one for training.

import type { Json, TrainShape } from '../../family.js';
import { num, positiveInt } from '../json.js';

export interface Gpt2Config {
  arch: 'gpt2';
  vocabSize: number;
  contextLength: number;
  dim: number;
  layers: number;
  heads: number;
  /** Width of the MLP's hidden layer (4 · dim unless set). */
  mlpHidden: number;
  normEps: number;
  /**
   * Biases in the linear layers and LayerNorms (GPT-2: yes). false is nanoGPT's bias=False, a
   * glasslm extension of config.json ("bias": false) that Hugging Face's GPT2Model does not read.
   */
  bias?: boolean;
}

export function gpt2FromHf(cfg: Json): Gpt2Config {
  const act = cfg.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new Error(`config.json: activation_function '${act}' is not supported (GPT-2 uses gelu_new)`);
  if (cfg.scale_attn_by_inverse_layer_idx === true || cfg.reorder_and_upcast_attn === true || cfg.scale_attn_weights === false) {
    throw new Error('config.json: GPT-2 attention variants (scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn, scale_attn_weights=false) are not supported');
  }
  if (cfg.tie_word_embeddings === false) throw new Error('config.json: GPT-2 with an untied output head is not supported');
  if (cfg.bias !== undefined && typeof cfg.bias !== 'boolean') throw new Error(`config.json: 'bias' must be true or false, got ${JSON.stringify(cfg.bias)}`);
  const dim = positiveInt(cfg, 'n_embd');
  const heads = positiveInt(cfg, 'n_head');
  if (dim % heads !== 0) throw new Error(`config.json: n_embd ${dim} is not divisible by n_head ${heads}`);
  return {
    arch: 'gpt2',
    vocabSize: positiveInt(cfg, 'vocab_size'),
    contextLength: positiveInt(cfg, 'n_positions', num(cfg, 'n_ctx', 1024)),
    dim,
    layers: positiveInt(cfg, 'n_layer'),
    heads,
    mlpHidden: cfg.n_inner == null ? 4 * dim : positiveInt(cfg, 'n_inner'),
    normEps: num(cfg, 'layer_norm_epsilon', 1e-5),
    ...(cfg.bias === false ? { bias: false } : {}),
  };
}

export function gpt2ToHf(c: Gpt2Config): Json {
  return {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', activation_function: 'gelu_new',
    vocab_size: c.vocabSize, n_positions: c.contextLength, n_embd: c.dim, n_layer: c.layers, n_head: c.heads,
    n_inner: c.mlpHidden === 4 * c.dim ? null : c.mlpHidden, layer_norm_epsilon: c.normEps, tie_word_embeddings: true,
    ...(c.bias === false ? { bias: false } : {}),
  };
}

export function gpt2ForTraining(shape: TrainShape, vocabSize: number): Gpt2Config {
  const { layers, heads, dim, contextLength } = shape;
  // sizes GPT-2 has no place for are refused, never dropped
  if (shape.experts !== undefined || shape.expertsPerToken !== undefined) throw new Error(`--experts and --experts-per-token are for mixtral and qwen2_moe, not ${shape.arch}`);
  if (shape.kvHeads !== undefined && shape.kvHeads !== heads) throw new Error(`--kv-heads ${shape.kvHeads}: gpt2 has no grouped-query attention (every head has its own keys and values); use llama, qwen2 or mistral`);
  return { arch: 'gpt2', vocabSize, contextLength, dim, layers, heads, mlpHidden: shape.mlpHidden ?? 4 * dim, normEps: 1e-5, ...(shape.bias === false ? { bias: false } : {}) };
}
