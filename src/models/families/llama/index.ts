// The Llama family: Llama 2/3, Mistral, Qwen2 (q/k/v biases), SmolLM. RMSNorm, rotary positions,
// grouped-query attention, SwiGLU MLP, nn.Linear weights stored (out, in), tied or untied head.

import type { Component, LinearSpec, ModelFamily } from '../../family.js';
import { type LlamaConfig, llamaForTraining, llamaFromHf, llamaToHf } from './config.js';
import { llamaForward } from './forward.js';
import { llamaDecodeStep } from './decode-step.js';
import { llamaGguf } from './gguf.js';

export type { LlamaConfig, RopeScaling } from './config.js';
export { llamaInverseFrequencies, llama3RopeFactors } from './rope.js';

/** The matrices of one block: q, k, v, o, gate, up, down. */
function blockLinears(c: LlamaConfig, l: number): LinearSpec[] {
  const C = c.dim, q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  const spec = (module: string, inDim: number, outDim: number, bias = false): LinearSpec => ({
    weight: `model.layers.${l}.${module}.weight`, ...(bias ? { bias: `model.layers.${l}.${module}.bias` } : {}),
    in: inDim, out: outDim, layout: 'out-in', module: module.split('.')[1], layer: l, adaptable: true,
  });
  return [
    spec('self_attn.q_proj', C, q, c.qkvBias), spec('self_attn.k_proj', C, kv, c.qkvBias), spec('self_attn.v_proj', C, kv, c.qkvBias),
    spec('self_attn.o_proj', q, C), spec('mlp.gate_proj', C, c.mlpHidden), spec('mlp.up_proj', C, c.mlpHidden), spec('mlp.down_proj', c.mlpHidden, C),
  ];
}

function parameterShapes(c: LlamaConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
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

const headName = (c: LlamaConfig) => (c.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');

export const llamaFamily: ModelFamily<LlamaConfig> = {
  name: 'llama',
  description: 'Llama, Mistral, Qwen2, SmolLM',
  hfModelTypes: ['llama', 'mistral', 'qwen2'],
  hfClasses: { LlamaForCausalLM: 'llama', MistralForCausalLM: 'mistral', Qwen2ForCausalLM: 'qwen2' },
  trainArchs: ['llama'],
  configFromHf: llamaFromHf,
  configToHf: llamaToHf,
  configForTraining: llamaForTraining,
  gguf: llamaGguf,
  parameterShapes,
  canonicalName: (name) => name,
  isNonParameter: () => false,
  component(name): Component {
    if (name === 'model.embed_tokens.weight') return 'embeddings';
    if (name.startsWith('lm_head.')) return 'head';
    if (/\.self_attn\./.test(name)) return 'attention';
    if (/\.mlp\./.test(name)) return 'mlp';
    return 'norms';
  },
  initOf(c, name) {
    if (/norm\.weight$/.test(name)) return 'one';
    if (name.endsWith('.bias')) return 'zero';
    // residual projections scaled by 1/√(2·layers), as GPT-2 / nanoGPT
    return /(o_proj|down_proj)\.weight$/.test(name) ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
  },
  linears(c) {
    const out: LinearSpec[] = [];
    for (let l = 0; l < c.layers; l++) out.push(...blockLinears(c, l));
    out.push({ weight: headName(c), in: c.dim, out: c.vocabSize, layout: 'out-in', module: 'lm_head', layer: -1, int8Key: 'lm_head', adaptable: false });
    return out;
  },
  readout: (c) => ({ norm: 'rmsnorm', weight: 'model.norm.weight', eps: c.normEps, unembed: headName(c) }),
  attention: (c) => ({ heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim }),
  tokenEmbedding: () => 'model.embed_tokens.weight',
  attentionOutput: (c, l) => blockLinears(c, l)[3],
  embedHooks: () => ['hook_embed'],
  blockHooks(_c, layer) {
    return [
      'hook_resid_pre', 'ln1.hook_normalized', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern', 'attn.hook_z',
      'hook_attn_out', 'hook_resid_mid', 'ln2.hook_normalized', 'mlp.hook_pre', 'mlp.hook_pre_linear', 'mlp.hook_post', 'hook_mlp_out', 'hook_resid_post',
    ].map((n) => `blocks.${layer}.${n}`);
  },
  forward: llamaForward,
  decodeStep: llamaDecodeStep,
  info: (c) => ({ layers: c.layers, d_model: c.dim, heads: c.heads, kv_heads: c.kvHeads, head_dim: c.headDim, d_mlp: c.mlpHidden, rope_theta: c.ropeTheta, rope_scaling: c.ropeScaling, qkv_bias: c.qkvBias, tied_embeddings: c.tiedEmbeddings, ...(c.slidingWindow !== undefined ? { sliding_window: c.slidingWindow } : {}) }),
};
