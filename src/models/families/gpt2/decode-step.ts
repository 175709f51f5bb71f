// GPT-2's decode step: the operations of gpt2Forward (forward.ts) and the readout for one token, in its
// order, as a program (see program.ts).

import type { Gpt2Config } from './config.js';
import type { KVCache } from '../../kv-cache.js';
import type { DecodeStep, ProgramWriter, StepWeights, Vec } from '../../decode-step/program.js';

export function gpt2DecodeStep(c: Gpt2Config, { params: p, quantized, transposed }: StepWeights, cache: KVCache, w: ProgramWriter): DecodeStep {
  const C = c.dim, H = c.heads, D = C / H, F = c.mlpHidden, V = c.vocabSize;
  const resid = w.vec(C), h = w.vec(C), qkv = w.vec(3 * C), z = w.vec(C), out = w.vec(C), mlp = w.vec(F), act = w.vec(F);
  const logits = w.vec(V), logProbs = w.vec(V);
  /** x · W (+ b), Conv1D as stored (in, out), or its (out, in) transpose, or its int8 copy (rows along the input). */
  const proj = (x: Vec, name: string, y: Vec) => {
    const q = quantized.get(`${name}.weight`), t = transposed.get(`${name}.weight`), bias = p.get(`${name}.bias`);
    if (q) w.matvecQ8(x, q, bias, y);
    else if (t) w.matvecNK(x, t, bias, y);
    else w.matvecKN(x, p.get(`${name}.weight`)!, bias, y);
  };
  const wte = p.get('transformer.wte.weight');
  w.embed(wte ?? quantized.get('lm_head')!, C, resid);
  w.addPositionRow(p.get('transformer.wpe.weight')!, C, resid); // resid = tokens + positions
  for (let l = 0; l < c.layers; l++) {
    const n = `transformer.h.${l}.`;
    w.layerNorm(resid, p.get(n + 'ln_1.weight')!, p.get(n + 'ln_1.bias'), h, C, c.normEps);
    proj(h, n + 'attn.c_attn', qkv); // q, k, v one after the other
    w.kvWrite(qkv + 4 * C, cache.keys[l], H, D);
    w.kvWrite(qkv + 8 * C, cache.values[l], H, D);
    w.attention(qkv, cache.keys[l], cache.values[l], z, H, H, D);
    proj(z, n + 'attn.c_proj', out);
    w.binary('add', resid, out, resid, C);
    w.layerNorm(resid, p.get(n + 'ln_2.weight')!, p.get(n + 'ln_2.bias'), h, C, c.normEps);
    proj(h, n + 'mlp.c_fc', mlp);
    w.unary('gelu', mlp, act, F);
    proj(act, n + 'mlp.c_proj', out);
    w.binary('add', resid, out, resid, C);
  }
  w.layerNorm(resid, p.get('transformer.ln_f.weight')!, p.get('transformer.ln_f.bias'), h, C, c.normEps);
  const head = quantized.get('lm_head');
  if (head) w.matvecQ8(h, head, undefined, logits);
  else w.matvecNK(h, wte!, undefined, logits); // the tied head: x · wteᵀ
  w.logSoftmax(logits, logProbs, V);
  return w.finish(cache, V, logits, logProbs);
}
