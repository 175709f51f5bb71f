// Tensor names and layouts: Hugging Face checkpoints <-> llama.cpp GGUF, for the
// architectures glasslm runs (as convert_hf_to_gguf.py writes them):
//   llama: HF q/k rows (rotate-half) are permuted to the interleaved layout (LlamaModel.permute).
//   qwen2: same names plus q/k/v biases; no permutation (llama.cpp uses NeoX-style rope there).
//   gpt2:  HF Conv1D weights (in, out) are transposed to (out, in); attn.bias buffers are dropped.
// A GGUF shape is row-major here (ggml dims reversed), so (out, in) matches nn.Linear.

import { halvesToInterleaved, interleavedToHalves } from '../permute.js';
import type { NamedTensor } from '../types.js';

export type GgufArch = 'llama' | 'qwen2' | 'gpt2';
export const GGUF_ARCHS: readonly GgufArch[] = ['llama', 'qwen2', 'gpt2'];

/** Head counts, needed for the llama q/k permutation. */
export interface HeadCounts { nHeads: number; nKvHeads: number }

// [HF per-layer module, GGUF per-layer name]; ".weight" / ".bias" carry over unchanged
const LLAMA_LAYER: [string, string][] = [
  ['self_attn.q_proj', 'attn_q'], ['self_attn.k_proj', 'attn_k'], ['self_attn.v_proj', 'attn_v'],
  ['self_attn.o_proj', 'attn_output'], ['mlp.gate_proj', 'ffn_gate'], ['mlp.up_proj', 'ffn_up'],
  ['mlp.down_proj', 'ffn_down'], ['input_layernorm', 'attn_norm'], ['post_attention_layernorm', 'ffn_norm'],
];
const LLAMA_GLOBAL: [string, string][] = [['model.embed_tokens', 'token_embd'], ['model.norm', 'output_norm'], ['lm_head', 'output']];
const GPT2_LAYER: [string, string][] = [
  ['ln_1', 'attn_norm'], ['attn.c_attn', 'attn_qkv'], ['attn.c_proj', 'attn_output'],
  ['ln_2', 'ffn_norm'], ['mlp.c_fc', 'ffn_up'], ['mlp.c_proj', 'ffn_down'],
];
const GPT2_GLOBAL: [string, string][] = [
  ['transformer.wte', 'token_embd'], ['transformer.wpe', 'position_embd'], ['transformer.ln_f', 'output_norm'], ['lm_head', 'output'],
];

function tables(arch: GgufArch): { layerPrefix: string; layer: [string, string][]; global: [string, string][] } {
  if (arch === 'gpt2') return { layerPrefix: 'transformer.h.', layer: GPT2_LAYER, global: GPT2_GLOBAL };
  if (arch === 'llama' || arch === 'qwen2') return { layerPrefix: 'model.layers.', layer: LLAMA_LAYER, global: LLAMA_GLOBAL };
  throw new Error(`GGUF names: unknown architecture ${JSON.stringify(arch)} (known: ${GGUF_ARCHS.join(', ')})`);
}

function splitSuffix(name: string): [string, string] | undefined {
  const m = /^(.*)\.(weight|bias)$/.exec(name);
  return m ? [m[1], m[2]] : undefined;
}

/** The GGUF name of a HF tensor; undefined for tensors llama.cpp does not store (GPT-2 attn.bias masks). */
export function hfToGgufName(arch: GgufArch, hfName: string): string | undefined {
  const t = tables(arch);
  if (arch === 'gpt2') {
    if (/\.attn\.(masked_)?bias$/.test(hfName)) return undefined;
    if (!hfName.startsWith('transformer.') && !hfName.startsWith('lm_head.')) hfName = `transformer.${hfName}`; // original GPT-2 files omit the prefix
  }
  const parts = splitSuffix(hfName);
  if (parts) {
    const [module, suffix] = parts;
    for (const [hf, gg] of t.global) if (module === hf) return `${gg}.${suffix}`;
    if (module.startsWith(t.layerPrefix)) {
      const m = /^(\d+)\.(.+)$/.exec(module.slice(t.layerPrefix.length));
      if (m) for (const [hf, gg] of t.layer) if (m[2] === hf) return `blk.${m[1]}.${gg}.${suffix}`;
    }
  }
  throw new Error(`GGUF names: no ${arch} GGUF name for HF tensor ${hfName}`);
}

/** The HF name of a GGUF tensor. */
export function ggufToHfName(arch: GgufArch, ggufName: string): string {
  const t = tables(arch);
  const parts = splitSuffix(ggufName);
  if (parts) {
    const [module, suffix] = parts;
    for (const [hf, gg] of t.global) if (module === gg) return `${hf}.${suffix}`;
    const m = /^blk\.(\d+)\.(.+)$/.exec(module);
    if (m) for (const [hf, gg] of t.layer) if (m[2] === gg) return `${t.layerPrefix}${m[1]}.${hf}.${suffix}`;
  }
  throw new Error(`GGUF names: no ${arch} HF name for GGUF tensor ${ggufName}`);
}

/** (rows, cols) -> (cols, rows). */
export function transpose2d(t: NamedTensor): NamedTensor {
  if (t.shape.length !== 2 || !(t.data instanceof Float32Array)) throw new Error(`transpose2d: ${t.name} is not a 2-D float32 tensor`);
  const [rows, cols] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
  return { name: t.name, shape: [cols, rows], data: out };
}

const GPT2_CONV1D = /^blk\.\d+\.(attn_qkv|attn_output|ffn_up|ffn_down)\.weight$/;

/** Applies (toGguf) or undoes the layout change of one tensor already named in GGUF terms. */
function relayout(arch: GgufArch, heads: HeadCounts | undefined, t: NamedTensor, toGguf: boolean): NamedTensor {
  if (arch === 'gpt2' && GPT2_CONV1D.test(t.name)) return transpose2d(t);
  const qk = /^blk\.\d+\.attn_(q|k)\.(weight|bias)$/.exec(t.name);
  if (arch === 'llama' && qk) {
    if (!heads) throw new Error(`GGUF names: ${t.name} needs head counts for the llama q/k permutation`);
    if (!(t.data instanceof Float32Array)) throw new Error(`GGUF names: ${t.name} is not float32`);
    const n = qk[1] === 'q' ? heads.nHeads : heads.nKvHeads;
    const data = toGguf ? halvesToInterleaved(t.data, t.shape[0], n, t.name) : interleavedToHalves(t.data, t.shape[0], n, t.name);
    return { name: t.name, shape: t.shape, data };
  }
  return t;
}

/**
 * The HF shape of a GGUF tensor, and whether its values must be rearranged on the way (GPT-2's
 * Conv1D weights are transposed; llama q/k rows are permuted back to the rotate-half order).
 */
export function ggufToHfLayout(arch: GgufArch, ggufName: string, shape: readonly number[]): { shape: number[]; relayout: boolean } {
  if (arch === 'gpt2' && GPT2_CONV1D.test(ggufName)) return { shape: [...shape].reverse(), relayout: true };
  if (arch === 'llama' && /^blk\.\d+\.attn_(q|k)\.(weight|bias)$/.test(ggufName)) return { shape: [...shape], relayout: true };
  return { shape: [...shape], relayout: false };
}

/**
 * Writes the HF layout of GGUF tensor `ggufName` (values `src` in GGUF order, shape `shape`) into
 * `out`, a separate array of the same length: the transpose or permutation of ggufToHfLayout.
 */
export function ggufToHfInto(arch: GgufArch, heads: HeadCounts | undefined, ggufName: string, shape: readonly number[], src: Float32Array, out: Float32Array): void {
  if (arch === 'gpt2' && GPT2_CONV1D.test(ggufName)) {
    const [rows, cols] = shape;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
    return;
  }
  const qk = /^blk\.\d+\.attn_(q|k)\.(weight|bias)$/.exec(ggufName);
  if (arch === 'llama' && qk) {
    if (!heads) throw new Error(`GGUF names: ${ggufName} needs head counts for the llama q/k permutation`);
    interleavedToHalves(src, shape[0], qk[1] === 'q' ? heads.nHeads : heads.nKvHeads, ggufName, out);
    return;
  }
  out.set(src);
}

/** HF tensors -> GGUF names and layouts (what convert_hf_to_gguf.py writes, before quantization). */
export function hfTensorsToGguf(arch: GgufArch, heads: HeadCounts | undefined, tensors: Iterable<NamedTensor>): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const t of tensors) {
    const name = hfToGgufName(arch, t.name);
    if (name !== undefined) out.push(relayout(arch, heads, { name, shape: t.shape, data: t.data }, true));
  }
  return out;
}

/** GGUF tensors -> HF names and layouts (the inverse of hfTensorsToGguf). */
export function ggufTensorsToHf(arch: GgufArch, heads: HeadCounts | undefined, tensors: Iterable<NamedTensor>): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const t of tensors) {
    const back = relayout(arch, heads, t, false);
    out.push({ name: ggufToHfName(arch, t.name), shape: back.shape, data: back.data });
  }
  return out;
}
