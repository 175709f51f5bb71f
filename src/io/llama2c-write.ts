// Writing llama2.c checkpoints from Hugging Face Llama tensors, mirroring export.py:
// legacy_export (v0), version1_export (v1, float32) and version2_export (v2, int8 groups).
// q/k rows go back from HF's rotate-half layout to llama2.c's interleaved layout.

import { ByteWriter } from './bytes.js';
import { LLAMA2C_MAGIC, type Llama2cConfig } from './llama2c.js';
import { halvesToInterleaved } from './permute.js';
import type { NamedTensor } from './types.js';

/** torch.round: halfway cases to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** export.py's quantize_q80: per group, scale = max|w| / 127, q = round(w / scale). */
function quantizeGroups(w: Float32Array, gs: number): { q: Int8Array; s: Float32Array } {
  const q = new Int8Array(w.length);
  const s = new Float32Array(w.length / gs);
  for (let g = 0; g < s.length; g++) {
    let wmax = 0;
    for (let i = g * gs; i < (g + 1) * gs; i++) wmax = Math.max(wmax, Math.abs(w[i]));
    const scale = Math.fround(wmax / 127);
    s[g] = scale;
    for (let i = g * gs; i < (g + 1) * gs; i++) q[i] = scale ? roundHalfEven(Math.fround(w[i] / scale)) : 0;
  }
  return { q, s };
}

/** Writes v0, v1 or v2 (v2: weights quantized in groups of groupSize, default 64 halved until it divides dim). */
export function writeLlama2c(c: Llama2cConfig, tensors: Map<string, NamedTensor>, opts: { version: 0 | 1 | 2; groupSize?: number }): Uint8Array {
  const get = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (!t || !(t.data instanceof Float32Array)) throw new Error(`writeLlama2c: missing float32 tensor ${name}`);
    return t.data;
  };
  const layers = (suffix: string, permuteHeads?: number): Float32Array[] =>
    Array.from({ length: c.nLayers }, (_, l) => {
      const w = get(`model.layers.${l}.${suffix}`);
      return permuteHeads ? halvesToInterleaved(w, w.length / c.dim, permuteHeads, suffix) : w;
    });
  const w = {
    tok: [get('model.embed_tokens.weight')], rms_att: layers('input_layernorm.weight'),
    wq: layers('self_attn.q_proj.weight', c.nHeads), wk: layers('self_attn.k_proj.weight', c.nKvHeads),
    wv: layers('self_attn.v_proj.weight'), wo: layers('self_attn.o_proj.weight'),
    rms_ffn: layers('post_attention_layernorm.weight'), w1: layers('mlp.gate_proj.weight'),
    w2: layers('mlp.down_proj.weight'), w3: layers('mlp.up_proj.weight'), rms_final: [get('model.norm.weight')],
    wcls: c.sharedClassifier ? [] : [get('lm_head.weight')],
  };
  const out = new ByteWriter(1 << 20);
  const params = [c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads];
  const floats = (list: Float32Array[]) => { for (const a of list) out.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)); };

  if (opts.version === 0) {
    for (const v of params) out.i32(v);
    out.i32(c.sharedClassifier ? c.vocabSize : -c.vocabSize);
    out.i32(c.seqLen);
    floats([...w.tok, ...w.rms_att, ...w.wq, ...w.wk, ...w.wv, ...w.wo, ...w.rms_ffn, ...w.w1, ...w.w2, ...w.w3, ...w.rms_final]);
    // freq_cis_real / imag as model.py's precompute_freqs_cis (run.c skips them)
    const hs = c.dim / c.nHeads;
    const re = new Float32Array((c.seqLen * hs) / 2), im = new Float32Array((c.seqLen * hs) / 2);
    for (let t = 0; t < c.seqLen; t++) {
      for (let i = 0; i < hs / 2; i++) {
        const angle = Math.fround(t * Math.fround(1 / Math.fround(10000 ** Math.fround((2 * i) / hs))));
        re[t * (hs / 2) + i] = Math.cos(angle);
        im[t * (hs / 2) + i] = Math.sin(angle);
      }
    }
    floats([re, im, ...w.wcls]);
    return out.finish().slice();
  }

  out.u32(LLAMA2C_MAGIC);
  out.i32(opts.version);
  for (const v of params) out.i32(v);
  out.i32(c.vocabSize);
  out.i32(c.seqLen);
  out.u8(c.sharedClassifier ? 1 : 0);
  if (opts.version === 1) {
    out.pad(256);
    floats([...w.rms_att, ...w.rms_ffn, ...w.rms_final, ...w.tok, ...w.wq, ...w.wk, ...w.wv, ...w.wo, ...w.w1, ...w.w2, ...w.w3, ...w.wcls]);
    return out.finish().slice();
  }
  let gs = opts.groupSize ?? 64;
  while (c.dim % gs !== 0) gs /= 2; // export.py's BACKOFF
  out.i32(gs);
  out.pad(256);
  floats([...w.rms_att, ...w.rms_ffn, ...w.rms_final]);
  for (const a of [...w.tok, ...w.wq, ...w.wk, ...w.wv, ...w.wo, ...w.w1, ...w.w2, ...w.w3, ...w.wcls]) {
    if (a.length % gs !== 0) throw new Error(`writeLlama2c: a weight of ${a.length} values is not a multiple of group size ${gs}`);
    const { q, s } = quantizeGroups(a, gs);
    out.bytes(new Uint8Array(q.buffer));
    out.bytes(new Uint8Array(s.buffer));
  }
  return out.finish().slice();
}
