// Model configurations: one typed config per architecture, read from a Hugging Face config.json.
// Keys that change the math and that glasslm does not implement are errors, never ignored.

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
}

export type ModelConfig = Gpt2Config | LlamaConfig;

type Json = Record<string, unknown>;

function num(cfg: Json, key: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`config.json: '${key}' must be a number, got ${JSON.stringify(cfg[key])}`);
  return v;
}

function positiveInt(cfg: Json, key: string, fallback?: number): number {
  const v = num(cfg, key, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`config.json: '${key}' must be a positive integer, got ${v}`);
  return v;
}

function gpt2FromHf(cfg: Json): Gpt2Config {
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

function llamaFromHf(cfg: Json, modelType: string): LlamaConfig {
  const act = cfg.hidden_act ?? 'silu';
  if (act !== 'silu') throw new Error(`config.json: hidden_act '${act}' is not supported (the Llama family uses silu)`);
  if (cfg.mlp_bias === true) throw new Error('config.json: mlp_bias is not supported');
  if (cfg.use_sliding_window === true || (modelType === 'mistral' && typeof cfg.sliding_window === 'number' && cfg.sliding_window < num(cfg, 'max_position_embeddings', 4096))) {
    throw new Error('config.json: sliding-window attention is not supported');
  }
  const dim = positiveInt(cfg, 'hidden_size');
  const heads = positiveInt(cfg, 'num_attention_heads');
  const kvHeads = positiveInt(cfg, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw new Error(`config.json: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = cfg.head_dim == null ? dim / heads : positiveInt(cfg, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`config.json: head dimension ${headDim} must be an even integer`);
  const rope = ropeFromHf(cfg);
  return {
    arch: 'llama',
    vocabSize: positiveInt(cfg, 'vocab_size'),
    contextLength: positiveInt(cfg, 'max_position_embeddings', 2048),
    dim, layers: positiveInt(cfg, 'num_hidden_layers'), heads, kvHeads, headDim,
    mlpHidden: positiveInt(cfg, 'intermediate_size'),
    normEps: num(cfg, 'rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    qkvBias: modelType === 'qwen2' || cfg.attention_bias === true,
    tiedEmbeddings: cfg.tie_word_embeddings === true,
  };
}

/** Reads a Hugging Face config.json object (GPT-2, Llama 2/3, Mistral, Qwen2, SmolLM). */
export function configFromHf(cfg: Json): ModelConfig {
  const modelType = cfg.model_type;
  switch (modelType) {
    case 'gpt2':
      return gpt2FromHf(cfg);
    case 'llama':
    case 'mistral':
    case 'qwen2':
      return llamaFromHf(cfg, modelType);
    default:
      throw new Error(`config.json: model_type '${String(modelType)}' is not supported (gpt2, llama, mistral, qwen2)`);
  }
}

/** Writes the Hugging Face config.json form of a config. */
export function configToHf(c: ModelConfig): Json {
  if (c.arch === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', activation_function: 'gelu_new',
      vocab_size: c.vocabSize, n_positions: c.contextLength, n_embd: c.dim, n_layer: c.layers, n_head: c.heads,
      n_inner: c.mlpHidden === 4 * c.dim ? null : c.mlpHidden, layer_norm_epsilon: c.normEps, tie_word_embeddings: true,
      ...(c.bias === false ? { bias: false } : {}),
    };
  }
  const rope: Json = c.ropeScaling
    ? { rope_type: 'llama3', rope_theta: c.ropeTheta, factor: c.ropeScaling.factor, low_freq_factor: c.ropeScaling.lowFreqFactor, high_freq_factor: c.ropeScaling.highFreqFactor, original_max_position_embeddings: c.ropeScaling.originalContextLength }
    : { rope_type: 'default', rope_theta: c.ropeTheta };
  return {
    architectures: [c.qkvBias ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'], model_type: c.qkvBias ? 'qwen2' : 'llama', hidden_act: 'silu',
    vocab_size: c.vocabSize, max_position_embeddings: c.contextLength, hidden_size: c.dim, num_hidden_layers: c.layers,
    num_attention_heads: c.heads, num_key_value_heads: c.kvHeads, head_dim: c.headDim, intermediate_size: c.mlpHidden,
    rms_norm_eps: c.normEps, rope_theta: c.ropeTheta, rope_parameters: rope, attention_bias: c.qkvBias, tie_word_embeddings: c.tiedEmbeddings,
  };
}

/** Hugging Face parameter names and shapes for a config (the checkpoint contract). */
export function parameterShapes(c: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  if (c.arch === 'gpt2') {
    const C = c.dim, bias = c.bias !== false;
    /** A module's weight, and its bias unless the model has none. */
    const module = (name: string, weight: number[], out: number) => {
      shapes.set(`${name}.weight`, weight);
      if (bias) shapes.set(`${name}.bias`, [out]);
    };
    shapes.set('transformer.wte.weight', [c.vocabSize, C]);
    shapes.set('transformer.wpe.weight', [c.contextLength, C]);
    for (let l = 0; l < c.layers; l++) {
      const p = `transformer.h.${l}.`;
      module(p + 'ln_1', [C], C);
      module(p + 'attn.c_attn', [C, 3 * C], 3 * C);
      module(p + 'attn.c_proj', [C, C], C);
      module(p + 'ln_2', [C], C);
      module(p + 'mlp.c_fc', [C, c.mlpHidden], c.mlpHidden);
      module(p + 'mlp.c_proj', [c.mlpHidden, C], C);
    }
    module('transformer.ln_f', [C], C);
    return shapes;
  }
  const C = c.dim, q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  shapes.set('model.embed_tokens.weight', [c.vocabSize, C]);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}.`;
    shapes.set(p + 'input_layernorm.weight', [C]);
    shapes.set(p + 'self_attn.q_proj.weight', [q, C]).set(p + 'self_attn.k_proj.weight', [kv, C]).set(p + 'self_attn.v_proj.weight', [kv, C]);
    if (c.qkvBias) shapes.set(p + 'self_attn.q_proj.bias', [q]).set(p + 'self_attn.k_proj.bias', [kv]).set(p + 'self_attn.v_proj.bias', [kv]);
    shapes.set(p + 'self_attn.o_proj.weight', [C, q]);
    shapes.set(p + 'post_attention_layernorm.weight', [C]);
    shapes.set(p + 'mlp.gate_proj.weight', [c.mlpHidden, C]).set(p + 'mlp.up_proj.weight', [c.mlpHidden, C]).set(p + 'mlp.down_proj.weight', [C, c.mlpHidden]);
  }
  shapes.set('model.norm.weight', [C]);
  if (!c.tiedEmbeddings) shapes.set('lm_head.weight', [c.vocabSize, C]);
  return shapes;
}
