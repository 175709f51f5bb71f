// GPT-2: learned positions, pre-LayerNorm blocks, GELU MLP, output head tied to the token embedding.
// Parameter names are Hugging Face's; Conv1D weights are stored (in, out), so x · W + b.

import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { attend } from './attention-block.js';
import type { Gpt2Config } from './config.js';
import type { HookContext } from './hooks.js';
import type { KVCache } from './kv-cache.js';

type Params = ReadonlyMap<string, Tensor>;

/** x (…, in) · w (in, out) + b */
function conv1d(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return op.add(op.matmul(x, w), b);
}

/** ids (B, T) int32 at absolute positions start … start+T-1 -> logits (B, T, vocab). */
export function gpt2Forward(c: Gpt2Config, p: Params, ids: Tensor, start: number, ctx: HookContext, cache?: KVCache): Tensor {
  const [B, T] = ids.shape;
  const C = c.dim, H = c.heads, D = C / H;
  const tokens = ctx.point('hook_embed', op.embedding(p.get('transformer.wte.weight')!, ids)); // (B, T, C)
  const positions = op.arange(start, start + T);
  const pos = ctx.point('hook_pos_embed', op.embedding(p.get('transformer.wpe.weight')!, positions)); // (T, C)
  let resid = op.add(tokens, pos); // (B, T, C)
  for (let l = 0; l < c.layers; l++) {
    const w = (name: string) => p.get(`transformer.h.${l}.${name}`)!;
    const b = `blocks.${l}.`;
    resid = ctx.point(b + 'hook_resid_pre', resid);
    // attention
    const h1 = ctx.point(b + 'ln1.hook_normalized', op.layerNorm(resid, w('ln_1.weight'), w('ln_1.bias'), c.normEps));
    const qkv = conv1d(h1, w('attn.c_attn.weight'), w('attn.c_attn.bias')); // (B, T, 3C)
    const [q, k, v] = op.split(qkv, -1, [C, C, C]).map((t) => op.reshape(t, [B, T, H, D]));
    const z = attend(ctx, b + 'attn.', l, q, k, v, cache); // (B, T, C)
    const attnOut = ctx.point(b + 'hook_attn_out', conv1d(z, w('attn.c_proj.weight'), w('attn.c_proj.bias')));
    resid = ctx.point(b + 'hook_resid_mid', op.add(resid, attnOut));
    // MLP
    const h2 = ctx.point(b + 'ln2.hook_normalized', op.layerNorm(resid, w('ln_2.weight'), w('ln_2.bias'), c.normEps));
    const pre = ctx.point(b + 'mlp.hook_pre', conv1d(h2, w('mlp.c_fc.weight'), w('mlp.c_fc.bias'))); // (B, T, 4C)
    const post = ctx.point(b + 'mlp.hook_post', op.gelu(pre));
    const mlpOut = ctx.point(b + 'hook_mlp_out', conv1d(post, w('mlp.c_proj.weight'), w('mlp.c_proj.bias')));
    resid = ctx.point(b + 'hook_resid_post', op.add(resid, mlpOut));
  }
  const final = ctx.point('ln_final.hook_normalized', op.layerNorm(resid, p.get('transformer.ln_f.weight')!, p.get('transformer.ln_f.bias')!, c.normEps));
  return op.matmul(final, op.transpose(p.get('transformer.wte.weight')!)); // (B, T, vocab)
}
