// The GPT-2 family: learned positions, LayerNorm, GELU MLP, Conv1D weights stored (in, out),
// output head tied to the token embedding.

import type { Component, LinearSpec, ModelFamily } from '../../family.js';
import { type Gpt2Config, gpt2ForTraining, gpt2FromHf, gpt2ToHf } from './config.js';
import { gpt2Forward } from './forward.js';
import { gpt2DecodeStep } from './decode-step.js';
import { gpt2CanonicalName, gpt2Gguf } from './gguf.js';

export type { Gpt2Config } from './config.js';

/** The matrices of one block, as (module, in, out). */
function blockLinears(c: Gpt2Config, l: number): LinearSpec[] {
  const C = c.dim, bias = c.bias !== false;
  const spec = (module: string, inDim: number, outDim: number): LinearSpec => ({
    weight: `transformer.h.${l}.${module}.weight`, ...(bias ? { bias: `transformer.h.${l}.${module}.bias` } : {}),
    in: inDim, out: outDim, layout: 'in-out', module: module.split('.')[1], layer: l, adaptable: true,
  });
  return [spec('attn.c_attn', C, 3 * C), spec('attn.c_proj', C, C), spec('mlp.c_fc', C, c.mlpHidden), spec('mlp.c_proj', c.mlpHidden, C)];
}

function parameterShapes(c: Gpt2Config): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
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

const HEAD: Omit<LinearSpec, 'in' | 'out'> = { weight: 'transformer.wte.weight', layout: 'out-in', module: 'lm_head', layer: -1, int8Key: 'lm_head', adaptable: false };

export const gpt2Family: ModelFamily<Gpt2Config> = {
  name: 'gpt2',
  description: 'GPT-2',
  hfModelTypes: ['gpt2'],
  hfClasses: { GPT2LMHeadModel: 'gpt2' },
  trainArchs: ['gpt2'],
  configFromHf: gpt2FromHf,
  configToHf: gpt2ToHf,
  configForTraining: gpt2ForTraining,
  gguf: gpt2Gguf,
  parameterShapes,
  canonicalName: gpt2CanonicalName,
  isNonParameter: (name) => /\.attn\.(masked_)?bias$/.test(name),
  component(name): Component {
    if (/(wte|wpe)\.weight$/.test(name)) return 'embeddings';
    if (/\.attn\./.test(name)) return 'attention';
    if (/\.mlp\./.test(name)) return 'mlp';
    return 'norms';
  },
  initOf(c, name) {
    if (/(ln_\d|ln_f)\.weight$/.test(name)) return 'one';
    if (name.endsWith('.bias')) return 'zero';
    // residual projections scaled by 1/√(2·layers), as GPT-2 / nanoGPT
    return /c_proj\.weight$/.test(name) ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
  },
  linears(c) {
    const out: LinearSpec[] = [];
    for (let l = 0; l < c.layers; l++) out.push(...blockLinears(c, l));
    out.push({ ...HEAD, in: c.dim, out: c.vocabSize });
    return out;
  },
  readout: (c) => ({ norm: 'layernorm', weight: 'transformer.ln_f.weight', ...(c.bias !== false ? { bias: 'transformer.ln_f.bias' } : {}), eps: c.normEps, unembed: 'transformer.wte.weight' }),
  attention: (c) => ({ heads: c.heads, kvHeads: c.heads, headDim: c.dim / c.heads }),
  tokenEmbedding: () => 'transformer.wte.weight',
  attentionOutput: (c, l) => blockLinears(c, l)[1],
  embedHooks: () => ['hook_embed', 'hook_pos_embed'],
  blockHooks(_c, layer) {
    return [
      'hook_resid_pre', 'ln1.hook_normalized', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern', 'attn.hook_z',
      'hook_attn_out', 'hook_resid_mid', 'ln2.hook_normalized', 'mlp.hook_pre', 'mlp.hook_post', 'hook_mlp_out', 'hook_resid_post',
    ].map((n) => `blocks.${layer}.${n}`);
  },
  forward: gpt2Forward,
  decodeStep: gpt2DecodeStep,
  info: (c) => ({ layers: c.layers, d_model: c.dim, heads: c.heads, d_mlp: c.mlpHidden }),
};
