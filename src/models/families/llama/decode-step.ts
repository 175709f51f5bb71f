// The Llama family's decode step: the operations of llamaForward (forward.ts) and the readout for one
// token, in its order, as a program (see program.ts).

import type { Tensor } from '../../../tensor/tensor.js';
import type { LlamaConfig } from './config.js';
import type { KVCache } from '../../kv-cache.js';
import { type DecodeStep, NotSteppable, type ProgramWriter, type StepWeights, type Vec } from '../../decode-step/program.js';
import { llamaInverseFrequencies } from './rope.js';

export function llamaDecodeStep(c: LlamaConfig, { params: p, quantized }: StepWeights, cache: KVCache, w: ProgramWriter): DecodeStep {
  if (c.slidingWindow !== undefined) throw new NotSteppable('sliding-window attention');
  if (c.moe) throw new NotSteppable('a mixture-of-experts MLP');
  const invFreq = llamaInverseFrequencies(c); // as the general forward computes them
  const C = c.dim, H = c.heads, Hkv = c.kvHeads, D = c.headDim, F = c.mlpHidden, V = c.vocabSize;
  const resid = w.vec(C), h = w.vec(C), out = w.vec(C);
  const q = w.vec(H * D), qr = w.vec(H * D), k = w.vec(Hkv * D), kr = w.vec(Hkv * D), v = w.vec(Hkv * D), z = w.vec(H * D);
  const gate = w.vec(F), up = w.vec(F), act = w.vec(F);
  const logits = w.vec(V), logProbs = w.vec(V);
  /** x · Wᵀ (+ b) by parameter name, through the int8 copy when there is one. */
  const linear = (x: Vec, name: string, bias: Tensor | undefined, y: Vec) => {
    const w8 = quantized.get(name);
    if (w8) w.matvecQ8(x, w8, bias, y);
    else w.matvecNK(x, p.get(name)!, bias, y);
  };
  const proj = (x: Vec, l: number, name: string, y: Vec) =>
    linear(x, `model.layers.${l}.${name}.weight`, p.get(`model.layers.${l}.${name}.bias`), y);
  const table = p.get('model.embed_tokens.weight');
  w.embed(table ?? quantized.get('lm_head')!, C, resid);
  for (let l = 0; l < c.layers; l++) {
    const n = `model.layers.${l}.`;
    w.rmsNorm(resid, p.get(n + 'input_layernorm.weight')!, h, C, c.normEps);
    proj(h, l, 'self_attn.q_proj', q);
    proj(h, l, 'self_attn.k_proj', k);
    proj(h, l, 'self_attn.v_proj', v);
    w.rope(q, qr, H, D, invFreq);
    w.rope(k, kr, Hkv, D, invFreq);
    w.kvWrite(kr, cache.keys[l], Hkv, D);
    w.kvWrite(v, cache.values[l], Hkv, D);
    w.attention(qr, cache.keys[l], cache.values[l], z, H, Hkv, D);
    proj(z, l, 'self_attn.o_proj', out);
    w.binary('add', resid, out, resid, C);
    w.rmsNorm(resid, p.get(n + 'post_attention_layernorm.weight')!, h, C, c.normEps);
    proj(h, l, 'mlp.gate_proj', gate);
    proj(h, l, 'mlp.up_proj', up);
    w.unary('silu', gate, act, F);
    w.binary('mul', act, up, act, F);
    proj(act, l, 'mlp.down_proj', out);
    w.binary('add', resid, out, resid, C);
  }
  w.rmsNorm(resid, p.get('model.norm.weight')!, h, C, c.normEps);
  const head = quantized.get('lm_head');
  if (head) w.matvecQ8(h, head, undefined, logits);
  else linear(h, c.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight', undefined, logits);
  w.logSoftmax(logits, logProbs, V);
  return w.finish(cache, V, logits, logProbs);
}
