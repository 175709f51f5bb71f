// GPT-2: learned positions, pre-LayerNorm blocks, GELU MLP, output head tied to the token embedding.
// Parameter names are Hugging Face's; Conv1D weights are stored (in, out), so x · W + b.
// Without biases (config bias: false, nanoGPT's bias=False) every `b` above is simply absent.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LinearAdapter, withAdapter } from './adapters.js';
import { attend } from './attention-block.js';
import { positionIds, type TokenLayout } from './positions.js';
import type { Gpt2Config } from './config.js';
import type { HookContext } from './hooks.js';
import type { KVCache } from './kv-cache.js';
import type { QuantizedMatrix } from '../ops/quantized.js';

type Params = ReadonlyMap<string, Tensor>;
type Quantized = ReadonlyMap<string, QuantizedMatrix>;

/** ids (B, T) int32, row b at positions starts[b] … starts[b]+T-1 (or as `layout` says) -> logits (B, T, vocab), or (B, 1, vocab) for the last position only. */
export function gpt2Forward(c: Gpt2Config, p: Params, ids: Tensor, starts: Int32Array, ctx: HookContext, cache?: KVCache, quantized: Quantized = new Map(), lastOnly = false, layout?: TokenLayout, adapter?: LinearAdapter | null): Tensor {
  /** x (…, in) · W (in, out) + b, Conv1D as Hugging Face stores it (a quantized copy holds Wᵀ). */
  const conv1d = (x: Tensor, name: string, bias: Tensor | undefined) => {
    const q = quantized.get(name);
    const out = q ? op.linearQ8(x, q, bias) : bias ? op.matmulBias(x, p.get(name)!, bias) : op.matmul(x, p.get(name)!);
    return withAdapter(adapter, name.slice(0, -'.weight'.length), x, out, op.add); // + LoRA, when attached
  };
  const [B, T] = ids.shape;
  const C = c.dim, H = c.heads, D = C / H;
  const wte = p.get('transformer.wte.weight'); // absent when only its int8 copy (the head) is kept
  const tokens = ctx.point('hook_embed', wte ? op.embedding(wte, ids) : op.embeddingQ8(quantized.get('lm_head')!, ids)); // (B, T, C)
  const pos = ctx.point('hook_pos_embed', op.embedding(p.get('transformer.wpe.weight')!, positionIds(starts, T, layout))); // (T, C), or (B, T, C) when rows start apart
  let resid = op.add(tokens, pos); // (B, T, C)
  for (let l = 0; l < c.layers; l++) {
    const w = (name: string) => p.get(`transformer.h.${l}.${name}`)!;
    const bias = (name: string) => p.get(`transformer.h.${l}.${name}`); // undefined without biases
    const proj = (x: Tensor, name: string) => conv1d(x, `transformer.h.${l}.${name}.weight`, bias(`${name}.bias`));
    const b = `blocks.${l}.`;
    resid = ctx.point(b + 'hook_resid_pre', resid);
    // attention
    const h1 = ctx.point(b + 'ln1.hook_normalized', op.layerNorm(resid, w('ln_1.weight'), bias('ln_1.bias'), c.normEps));
    const qkv = proj(h1, 'attn.c_attn'); // (B, T, 3C)
    const [q, k, v] = op.split(qkv, -1, [C, C, C]).map((t) => op.reshape(t, [B, T, H, D]));
    const z = attend(ctx, b + 'attn.', l, q, k, v, cache, layout?.segments); // (B, T, C)
    const attnOut = ctx.point(b + 'hook_attn_out', proj(z, 'attn.c_proj'));
    resid = ctx.point(b + 'hook_resid_mid', op.add(resid, attnOut));
    // MLP
    const h2 = ctx.point(b + 'ln2.hook_normalized', op.layerNorm(resid, w('ln_2.weight'), bias('ln_2.bias'), c.normEps));
    const pre = ctx.point(b + 'mlp.hook_pre', proj(h2, 'mlp.c_fc')); // (B, T, 4C)
    const post = ctx.point(b + 'mlp.hook_post', op.gelu(pre));
    const mlpOut = ctx.point(b + 'hook_mlp_out', proj(post, 'mlp.c_proj'));
    resid = ctx.point(b + 'hook_resid_post', op.add(resid, mlpOut));
  }
  if (lastOnly) resid = op.slice(resid, 1, T - 1, T); // (B, 1, C): a prompt needs only its last prediction
  const final = ctx.point('ln_final.hook_normalized', op.layerNorm(resid, p.get('transformer.ln_f.weight')!, p.get('transformer.ln_f.bias'), c.normEps));
  const head = quantized.get('lm_head');
  return head ? op.linearQ8(final, head) : op.matmul(final, op.transpose(p.get('transformer.wte.weight')!)); // (B, T, vocab)
}
