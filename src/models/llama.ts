// The Llama family (Llama 2/3, Mistral, Qwen2, SmolLM): RMSNorm, rotary positions, grouped-query
// attention with optional q/k/v biases (Qwen2), SwiGLU MLP, tied or untied output head.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LinearAdapter, withAdapter } from './adapters.js';
import { attend } from './attention-block.js';
import { ropeRows, type TokenLayout } from './positions.js';
import type { LlamaConfig, RopeScaling } from './config.js';
import type { HookContext } from './hooks.js';
import type { KVCache } from './kv-cache.js';
import type { QuantizedMatrix } from '../ops/quantized.js';

type Params = ReadonlyMap<string, Tensor>;
type Quantized = ReadonlyMap<string, QuantizedMatrix>;

/** RoPE inverse frequencies, with Llama 3's long-context rescaling when configured. */
export function llamaInverseFrequencies(c: LlamaConfig): Float32Array {
  const inv = op.ropeInverseFrequencies(c.headDim, c.ropeTheta);
  if (c.ropeScaling) applyLlama3Scaling(inv, c.ropeScaling);
  return inv;
}

/** Llama 3: long wavelengths are divided by factor, short ones kept, the band between blended. */
function applyLlama3Scaling(inv: Float32Array, s: RopeScaling): void {
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  for (let j = 0; j < inv.length; j++) {
    const wavelen = (2 * Math.PI) / inv[j];
    if (wavelen > lowWavelen) inv[j] = inv[j] / s.factor;
    else if (wavelen >= highWavelen) {
      const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      inv[j] = (1 - smooth) * (inv[j] / s.factor) + smooth * inv[j];
    }
  }
}

/** ids (B, T) int32, row b at positions starts[b] … starts[b]+T-1 (or as `layout` says) -> logits (B, T, vocab). */
export function llamaForward(c: LlamaConfig, p: Params, ids: Tensor, starts: Int32Array, ctx: HookContext, cache?: KVCache, invFreq = llamaInverseFrequencies(c), quantized: Quantized = new Map(), lastOnly = false, layout?: TokenLayout, adapter?: LinearAdapter | null): Tensor {
  /** x · Wᵀ (+ b) by parameter name, through the quantized copy when there is one. */
  const linear = (x: Tensor, name: string, bias?: Tensor) => {
    const q = quantized.get(name);
    const out = q ? op.linearQ8(x, q, bias) : op.linear(x, p.get(name)!, bias);
    return withAdapter(adapter, name.slice(0, -'.weight'.length), x, out, op.add); // + LoRA, when attached
  };
  const [B, T] = ids.shape;
  const H = c.heads, Hkv = c.kvHeads, D = c.headDim;
  const table = p.get('model.embed_tokens.weight'); // absent when only its int8 copy (the tied head) is kept
  let resid = ctx.point('hook_embed', table ? op.embedding(table, ids) : op.embeddingQ8(quantized.get('lm_head')!, ids)); // (B, T, C)
  for (let l = 0; l < c.layers; l++) {
    const w = (name: string) => p.get(`model.layers.${l}.${name}`)!;
    const proj = (x: Tensor, name: string) => linear(x, `model.layers.${l}.${name}.weight`, p.get(`model.layers.${l}.${name}.bias`));
    const b = `blocks.${l}.`;
    resid = ctx.point(b + 'hook_resid_pre', resid);
    // attention
    const h1 = ctx.point(b + 'ln1.hook_normalized', op.rmsNorm(resid, w('input_layernorm.weight'), c.normEps));
    const q = op.reshape(proj(h1, 'self_attn.q_proj'), [B, T, H, D]);
    const k = op.reshape(proj(h1, 'self_attn.k_proj'), [B, T, Hkv, D]);
    const v = op.reshape(proj(h1, 'self_attn.v_proj'), [B, T, Hkv, D]);
    const z = attend(ctx, b + 'attn.', l, ropeRows(q, starts, invFreq, layout), ropeRows(k, starts, invFreq, layout), v, cache, layout?.segments); // (B, T, H·D)
    const attnOut = ctx.point(b + 'hook_attn_out', proj(z, 'self_attn.o_proj'));
    resid = ctx.point(b + 'hook_resid_mid', op.add(resid, attnOut));
    // SwiGLU MLP: down(silu(gate(x)) * up(x))
    const h2 = ctx.point(b + 'ln2.hook_normalized', op.rmsNorm(resid, w('post_attention_layernorm.weight'), c.normEps));
    const gate = ctx.point(b + 'mlp.hook_pre', proj(h2, 'mlp.gate_proj')); // (B, T, d_mlp)
    const up = ctx.point(b + 'mlp.hook_pre_linear', proj(h2, 'mlp.up_proj'));
    const post = ctx.point(b + 'mlp.hook_post', op.mul(op.silu(gate), up));
    const mlpOut = ctx.point(b + 'hook_mlp_out', proj(post, 'mlp.down_proj'));
    resid = ctx.point(b + 'hook_resid_post', op.add(resid, mlpOut));
  }
  if (lastOnly) resid = op.slice(resid, 1, T - 1, T); // (B, 1, C): a prompt needs only its last prediction
  const final = ctx.point('ln_final.hook_normalized', op.rmsNorm(resid, p.get('model.norm.weight')!, c.normEps));
  const head = quantized.get('lm_head');
  if (head) return op.linearQ8(final, head); // (B, T, vocab)
  return linear(final, c.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'); // (B, T, vocab)
}
