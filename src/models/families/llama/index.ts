// The Llama family: Llama 2/3, Mistral, Qwen2 (q/k/v biases), SmolLM. RMSNorm, rotary positions,
// grouped-query attention, SwiGLU MLP, nn.Linear weights stored (out, in), tied or untied head.

import type { Component, LinearSpec, ModelFamily } from '../../family.js';
import { type LlamaConfig, checkLlamaValues, llamaForTraining, llamaFromHf, llamaToHf } from './config.js';
import { llamaForward } from './forward.js';
import { llamaDecodeStep } from './decode-step.js';
import { moeMatrices, splitFusedHf } from './experts.js';
import { llamaGguf } from './gguf.js';

export type { LlamaConfig, MoeConfig, RopeScaling } from './config.js';
export { llamaInverseFrequencies, llama3RopeFactors } from './rope.js';

/** The matrices of one block: q, k, v, o, then gate, up, down (or the router and every expert's). */
function blockLinears(c: LlamaConfig, l: number): LinearSpec[] {
  const C = c.dim, q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  const spec = (module: string, inDim: number, outDim: number, bias = false): LinearSpec => ({
    weight: `model.layers.${l}.${module}.weight`, ...(bias ? { bias: `model.layers.${l}.${module}.bias` } : {}),
    in: inDim, out: outDim, layout: 'out-in', module: module.split('.')[1], layer: l, adaptable: true,
  });
  const attention = [spec('self_attn.q_proj', C, q, c.qkvBias), spec('self_attn.k_proj', C, kv, c.qkvBias), spec('self_attn.v_proj', C, kv, c.qkvBias), spec('self_attn.o_proj', q, C)];
  if (c.moe) {
    const moe = moeMatrices({ ...c, moe: c.moe }, l).map(([weight, module, inDim, outDim]): LinearSpec => ({ weight, in: inDim, out: outDim, layout: 'out-in', module, layer: l, adaptable: module !== 'router' && module !== 'shared_expert_gate' }));
    return [...attention, ...moe];
  }
  return [...attention, spec('mlp.gate_proj', C, c.mlpHidden), spec('mlp.up_proj', C, c.mlpHidden), spec('mlp.down_proj', c.mlpHidden, C)];
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
    if (c.moe) for (const [name, , inDim, outDim] of moeMatrices({ ...c, moe: c.moe }, l)) shapes.set(name, [outDim, inDim]);
    else shapes.set(p + 'mlp.gate_proj.weight', [c.mlpHidden, C]).set(p + 'mlp.up_proj.weight', [c.mlpHidden, C]).set(p + 'mlp.down_proj.weight', [C, c.mlpHidden]);
  }
  shapes.set('model.norm.weight', [C]);
  if (!c.tiedEmbeddings) shapes.set('lm_head.weight', [c.vocabSize, C]);
  return shapes;
}

const headName = (c: LlamaConfig) => (c.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');

export const llamaFamily: ModelFamily<LlamaConfig> = {
  name: 'llama',
  description: 'Llama, Mistral, Qwen2, SmolLM; Mixtral and Qwen2-MoE (mixtures of experts)',
  hfModelTypes: ['llama', 'mistral', 'qwen2', 'mixtral', 'qwen2_moe'],
  hfClasses: { LlamaForCausalLM: 'llama', MistralForCausalLM: 'mistral', Qwen2ForCausalLM: 'qwen2', MixtralForCausalLM: 'mixtral', Qwen2MoeForCausalLM: 'qwen2_moe' },
  trainArchs: ['llama', 'mixtral', 'qwen2_moe'],
  configFromHf: llamaFromHf,
  configToHf: llamaToHf,
  configForTraining: llamaForTraining,
  gguf: llamaGguf,
  parameterShapes,
  // newer Mixtral checkpoints name the router mlp.gate (Qwen2-MoE's own name for it)
  canonicalName: (name, c) => (c.moe?.style === 'mixtral' ? name.replace(/^(model\.layers\.\d+\.)mlp\.gate\.weight$/, '$1block_sparse_moe.gate.weight') : name),
  splitHf: splitFusedHf,
  isNonParameter: () => false,
  component(name): Component {
    if (name === 'model.embed_tokens.weight') return 'embeddings';
    if (name.startsWith('lm_head.')) return 'head';
    if (/\.self_attn\./.test(name)) return 'attention';
    if (/\.(mlp|block_sparse_moe)\./.test(name)) return 'mlp';
    return 'norms';
  },
  initOf(c, name) {
    if (/norm\.weight$/.test(name)) return 'one';
    if (name.endsWith('.bias')) return 'zero';
    // residual projections scaled by 1/√(2·layers), as GPT-2 / nanoGPT
    return /(o_proj|down_proj|experts\.\d+\.w2)\.weight$/.test(name) ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
  },
  linears(c) {
    const out: LinearSpec[] = [];
    for (let l = 0; l < c.layers; l++) out.push(...blockLinears(c, l));
    out.push({ weight: headName(c), in: c.dim, out: c.vocabSize, layout: 'out-in', module: 'lm_head', layer: -1, int8Key: 'lm_head', adaptable: false });
    return out;
  },
  readout: (c) => ({ norm: 'rmsnorm', weight: 'model.norm.weight', eps: c.normEps, unembed: headName(c) }),
  attention: (c) => ({ heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim }),
  checkValues: checkLlamaValues,
  tokenEmbedding: () => 'model.embed_tokens.weight',
  attentionOutput: (c, l) => blockLinears(c, l)[3],
  embedHooks: () => ['hook_embed'],
  blockHooks(c, layer) {
    const mlp = c.moe
      ? ['mlp.hook_router_logits', 'mlp.hook_router_weights', ...Array.from({ length: c.moe.experts }, (_, e) => `mlp.experts.${e}.hook_out`), ...(c.moe.sharedExpertHidden ? ['mlp.shared_expert.hook_out'] : [])]
      : ['mlp.hook_pre', 'mlp.hook_pre_linear', 'mlp.hook_post'];
    return [
      'hook_resid_pre', 'ln1.hook_normalized', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern', 'attn.hook_z',
      'hook_attn_out', 'hook_resid_mid', 'ln2.hook_normalized', ...mlp, 'hook_mlp_out', 'hook_resid_post',
    ].map((n) => `blocks.${layer}.${n}`);
  },
  mlpParts: (c, l) => (c.moe
    ? [...Array.from({ length: c.moe.experts }, (_, e) => ({ label: `expert ${e}`, hook: `blocks.${l}.mlp.experts.${e}.hook_out` })),
      ...(c.moe.sharedExpertHidden ? [{ label: 'shared expert', hook: `blocks.${l}.mlp.shared_expert.hook_out` }] : [])]
    : undefined),
  routing: (c) => (c.moe ? { experts: c.moe.experts, expertsPerToken: c.moe.expertsPerToken, auxLossCoef: c.moe.auxLossCoef } : undefined),
  forward: llamaForward,
  decodeStep: llamaDecodeStep,
  info: (c) => ({ model_type: llamaToHf(c).model_type, ...(c.moe ? { experts: c.moe.experts, experts_per_token: c.moe.expertsPerToken, expert_hidden: c.moe.expertHidden, ...(c.moe.sharedExpertHidden ? { shared_expert_hidden: c.moe.sharedExpertHidden } : {}), norm_topk_prob: c.moe.normTopK } : {}), layers: c.layers, d_model: c.dim, heads: c.heads, kv_heads: c.kvHeads, head_dim: c.headDim, d_mlp: c.mlpHidden, rope_theta: c.ropeTheta, rope_scaling: c.ropeScaling, qkv_bias: c.qkvBias, tied_embeddings: c.tiedEmbeddings, ...(c.slidingWindow !== undefined ? { sliding_window: c.slidingWindow } : {}) }),
};
