// The Llama family (Llama 2/3, Mistral, Qwen2, SmolLM): RMSNorm, rotary positions, grouped-query
// attention with optional q/k/v biases (Qwen2), SwiGLU MLP. Every product goes through w.proj.

import * as op from '../../../ops/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { attend } from '../../attention-block.js';
import type { ForwardInputs, Weights } from '../../family.js';
import type { LlamaConfig } from './config.js';
import { llamaInverseFrequencies } from './rope.js';

/** Inverse frequencies per config, computed once. */
const invFreqs = new WeakMap<LlamaConfig, Float32Array>();

/** ids (B, T) int32 at positions inp.positions -> the final residual stream (B, T, C), before the final norm. */
export function llamaForward(c: LlamaConfig, w: Weights, inp: ForwardInputs): Tensor {
  const { ids, ctx, cache, positions } = inp;
  let invFreq = invFreqs.get(c);
  if (!invFreq) invFreqs.set(c, (invFreq = llamaInverseFrequencies(c)));
  const p = w.params;
  const [B, T] = ids.shape;
  const H = c.heads, Hkv = c.kvHeads, D = c.headDim;
  let resid = ctx.point('hook_embed', w.proj.embed('model.embed_tokens.weight', ids)); // (B, T, C)
  for (let l = 0; l < c.layers; l++) {
    const weight = (name: string) => p.get(`model.layers.${l}.${name}`)!;
    const proj = (x: Tensor, name: string) => w.proj.apply(x, `model.layers.${l}.${name}.weight`);
    const b = `blocks.${l}.`;
    resid = ctx.point(b + 'hook_resid_pre', resid);
    // attention
    const h1 = ctx.point(b + 'ln1.hook_normalized', op.rmsNorm(resid, weight('input_layernorm.weight'), c.normEps));
    const q = op.reshape(proj(h1, 'self_attn.q_proj'), [B, T, H, D]);
    const k = op.reshape(proj(h1, 'self_attn.k_proj'), [B, T, Hkv, D]);
    const v = op.reshape(proj(h1, 'self_attn.v_proj'), [B, T, Hkv, D]);
    const z = attend(ctx, b + 'attn.', l, op.rope(q, positions, invFreq), op.rope(k, positions, invFreq), v, cache, c.slidingWindow); // (B, T, H·D)
    const attnOut = ctx.point(b + 'hook_attn_out', proj(z, 'self_attn.o_proj'));
    resid = ctx.point(b + 'hook_resid_mid', op.add(resid, attnOut));
    // SwiGLU MLP: down(silu(gate(x)) * up(x))
    const h2 = ctx.point(b + 'ln2.hook_normalized', op.rmsNorm(resid, weight('post_attention_layernorm.weight'), c.normEps));
    const gate = ctx.point(b + 'mlp.hook_pre', proj(h2, 'mlp.gate_proj')); // (B, T, d_mlp)
    const up = ctx.point(b + 'mlp.hook_pre_linear', proj(h2, 'mlp.up_proj'));
    const post = ctx.point(b + 'mlp.hook_post', op.mul(op.silu(gate), up));
    const mlpOut = ctx.point(b + 'hook_mlp_out', proj(post, 'mlp.down_proj'));
    resid = ctx.point(b + 'hook_resid_post', op.add(resid, mlpOut));
  }
  return resid;
}
