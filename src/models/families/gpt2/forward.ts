// GPT-2: learned positions, pre-LayerNorm blocks, GELU MLP, output head tied to the token embedding.
// Parameter names are Hugging Face's; Conv1D weights are stored (in, out), so x · W + b (the
// layout is the family's LinearSpec; every product goes through w.proj).
// Without biases (config bias: false, nanoGPT's bias=False) every `b` above is simply absent.

import * as op from '../../../ops/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { attend } from '../../attention-block.js';
import type { ForwardInputs, Weights } from '../../family.js';
import type { Gpt2Config } from './config.js';

/** ids (B, T) int32 at positions inp.positions -> the final residual stream (B, T, C), before ln_f. */
export function gpt2Forward(c: Gpt2Config, w: Weights, inp: ForwardInputs): Tensor {
  const { ids, ctx, cache } = inp;
  const p = w.params;
  const [B, T] = ids.shape;
  const C = c.dim, H = c.heads, D = C / H;
  const tokens = ctx.point('hook_embed', w.proj.embed('transformer.wte.weight', ids)); // (B, T, C)
  const positions = op.tensor(inp.positions, [T], 'int32');
  const pos = ctx.point('hook_pos_embed', op.embedding(p.get('transformer.wpe.weight')!, positions)); // (T, C)
  let resid = op.add(tokens, pos); // (B, T, C)
  for (let l = 0; l < c.layers; l++) {
    const weight = (name: string) => p.get(`transformer.h.${l}.${name}`)!;
    const bias = (name: string) => p.get(`transformer.h.${l}.${name}`); // undefined without biases
    const proj = (x: Tensor, name: string) => w.proj.apply(x, `transformer.h.${l}.${name}.weight`);
    const b = `blocks.${l}.`;
    resid = ctx.point(b + 'hook_resid_pre', resid);
    // attention
    const h1 = ctx.point(b + 'ln1.hook_normalized', op.layerNorm(resid, weight('ln_1.weight'), bias('ln_1.bias'), c.normEps));
    const qkv = proj(h1, 'attn.c_attn'); // (B, T, 3C)
    const [q, k, v] = op.split(qkv, -1, [C, C, C]).map((t) => op.reshape(t, [B, T, H, D]));
    const z = attend(ctx, b + 'attn.', l, q, k, v, cache); // (B, T, C)
    const attnOut = ctx.point(b + 'hook_attn_out', proj(z, 'attn.c_proj'));
    resid = ctx.point(b + 'hook_resid_mid', op.add(resid, attnOut));
    // MLP
    const h2 = ctx.point(b + 'ln2.hook_normalized', op.layerNorm(resid, weight('ln_2.weight'), bias('ln_2.bias'), c.normEps));
    const pre = ctx.point(b + 'mlp.hook_pre', proj(h2, 'mlp.c_fc')); // (B, T, 4C)
    const post = ctx.point(b + 'mlp.hook_post', op.gelu(pre));
    const mlpOut = ctx.point(b + 'hook_mlp_out', proj(post, 'mlp.c_proj'));
    resid = ctx.point(b + 'hook_resid_post', op.add(resid, mlpOut));
  }
  return resid;
}
