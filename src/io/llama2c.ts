// llama2.c checkpoints (github.com/karpathy/llama2.c, run.c / runq.c / export.py), read into
// Hugging Face Llama tensor names with q/k rows permuted to HF's rotate-half layout.
//
// v0 (legacy): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len);
//   vocab_size < 0 means a separate classifier. Then float32:
//   tok_emb (V,D) | rms_att (L,D) | wq (L,D,D) | wk (L,KV,D) | wv (L,KV,D) | wo (L,D,D) | rms_ffn (L,D)
//   | w1 (L,H,D) | w2 (L,D,H) | w3 (L,H,D) | rms_final (D) | freq_cis_real (S,hs/2) | freq_cis_imag (S,hs/2)
//   | wcls (V,D) if not shared.           (KV = n_kv_heads * head_size, hs = D / n_heads)
// v1 / v2: a 256-byte header: u32 magic "ak42" (0x616b3432) | i32 version | 7 int32 | u8 shared_classifier
//   | (v2: i32 group_size at byte 37). v1 float32: rms_att, rms_ffn, rms_final, tok_emb, wq, wk, wv, wo,
//   w1, w2, w3, [wcls]. v2: rms_att, rms_ffn, rms_final in float32, then each of tok_emb, wq[l]..., wk[l]...,
//   wv, wo, w1, w2, w3, [wcls] as int8 q[n] followed by float32 scales[n / group_size] (x = q * scale).

import { assertLittleEndianHost } from './bytes.js';
import { interleavedToHalves } from './permute.js';
import type { NamedTensor } from './types.js';

export const LLAMA2C_MAGIC = 0x616b3432;
const HEADER_BYTES_V1 = 256;

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

export interface Llama2cCheckpoint {
  version: 0 | 1 | 2;
  config: Llama2cConfig;
  groupSize?: number; // v2 only
  tensors: Map<string, NamedTensor>; // Hugging Face names
}

function validateConfig(c: Llama2cConfig): void {
  const fields = { dim: 'dim', hiddenDim: 'hidden_dim', nLayers: 'n_layers', nHeads: 'n_heads', nKvHeads: 'n_kv_heads', vocabSize: 'vocab_size', seqLen: 'seq_len' } as const;
  for (const [k, field] of Object.entries(fields) as [keyof typeof fields, string][]) {
    if (!Number.isSafeInteger(c[k]) || c[k] <= 0 || c[k] > 1 << 24) throw new Error(`llama2.c: header ${field} = ${c[k]} is not a sensible positive integer (at most 2^24)`);
  }
  if (c.dim % c.nHeads !== 0) throw new Error(`llama2.c: dim ${c.dim} is not divisible by n_heads ${c.nHeads}`);
  if (c.nHeads % c.nKvHeads !== 0) throw new Error(`llama2.c: n_heads ${c.nHeads} is not a multiple of n_kv_heads ${c.nKvHeads}`);
  if ((c.dim / c.nHeads) % 2 !== 0) throw new Error(`llama2.c: head size ${c.dim / c.nHeads} is odd`);
}

/** The weight matrices in file order: [name, per-layer shape or whole shape, stacked over layers?]. */
function weightShapes(c: Llama2cConfig): Record<string, number[]> {
  const D = c.dim, H = c.hiddenDim, KV = c.nKvHeads * (c.dim / c.nHeads), V = c.vocabSize;
  return {
    tok: [V, D], rms_att: [D], wq: [D, D], wk: [KV, D], wv: [KV, D], wo: [D, D], rms_ffn: [D],
    w1: [H, D], w2: [D, H], w3: [H, D], rms_final: [D], freq_real: [c.seqLen, D / c.nHeads / 2],
    freq_imag: [c.seqLen, D / c.nHeads / 2], wcls: [V, D],
  };
}

const PER_LAYER = new Set(['rms_att', 'wq', 'wk', 'wv', 'wo', 'rms_ffn', 'w1', 'w2', 'w3']);
const V0_ORDER = ['tok', 'rms_att', 'wq', 'wk', 'wv', 'wo', 'rms_ffn', 'w1', 'w2', 'w3', 'rms_final', 'freq_real', 'freq_imag', 'wcls'];
const V1_ORDER = ['rms_att', 'rms_ffn', 'rms_final', 'tok', 'wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3', 'wcls'];
const V2_FLOAT = ['rms_att', 'rms_ffn', 'rms_final'];
const V2_QUANT = ['tok', 'wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3', 'wcls'];

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The header of a llama2.c .bin (v0, v1 or v2), checked against the file: the sizes it implies must
 * add up to the file's length exactly (so a llama2.c tokenizer or any other file is refused).
 */
export function llama2cHeader(bytes: Uint8Array): { version: 0 | 1 | 2; config: Llama2cConfig; groupSize?: number } {
  if (bytes.length < 28) throw new Error(`llama2.c: file is ${bytes.length} bytes, shorter than the 28-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const versioned = view.getUint32(0, true) === LLAMA2C_MAGIC;
  let version: 0 | 1 | 2 = 0;
  if (versioned) {
    if (bytes.length < HEADER_BYTES_V1) throw new Error(`llama2.c: versioned file is ${bytes.length} bytes, shorter than its 256-byte header`);
    const v = view.getInt32(4, true);
    if (v !== 1 && v !== 2) throw new Error(`llama2.c: unsupported version ${v} (this reader knows 0, 1, 2)`);
    version = v;
  }
  const p = versioned ? 8 : 0;
  const rawVocab = view.getInt32(p + 20, true);
  const config: Llama2cConfig = {
    dim: view.getInt32(p, true), hiddenDim: view.getInt32(p + 4, true), nLayers: view.getInt32(p + 8, true),
    nHeads: view.getInt32(p + 12, true), nKvHeads: view.getInt32(p + 16, true),
    vocabSize: Math.abs(rawVocab), seqLen: view.getInt32(p + 24, true),
    sharedClassifier: versioned ? bytes[36] !== 0 : rawVocab > 0,
  };
  validateConfig(config);
  const shapes = weightShapes(config);
  const count = (k: string) => size(shapes[k]) * (PER_LAYER.has(k) ? config.nLayers : 1);
  const present = (k: string) => k !== 'wcls' || !config.sharedClassifier;
  if (version < 2) {
    const order = (version === 0 ? V0_ORDER : V1_ORDER).filter(present);
    const start = version === 0 ? 28 : HEADER_BYTES_V1;
    const floats = order.reduce((n, k) => n + count(k), 0);
    if (bytes.length !== start + 4 * floats) {
      throw new Error(`llama2.c v${version}: config ${JSON.stringify(config)} needs ${start + 4 * floats} bytes, file has ${bytes.length}`);
    }
    return { version, config };
  }
  const gs = view.getInt32(37, true);
  if (gs <= 0) throw new Error(`llama2.c v2: group size ${gs} is not positive`);
  const quant = V2_QUANT.filter(present);
  for (const k of quant) if (size(shapes[k]) % gs !== 0) throw new Error(`llama2.c v2: ${k} size ${size(shapes[k])} is not a multiple of group size ${gs}`);
  const floats = V2_FLOAT.reduce((n, k) => n + count(k), 0);
  const quantBytes = quant.reduce((n, k) => n + count(k) + 4 * (count(k) / gs), 0);
  if (bytes.length !== HEADER_BYTES_V1 + 4 * floats + quantBytes) {
    throw new Error(`llama2.c v2: config ${JSON.stringify(config)} with group size ${gs} needs ${HEADER_BYTES_V1 + 4 * floats + quantBytes} bytes, file has ${bytes.length}`);
  }
  return { version, config, groupSize: gs };
}

/** Reads a llama2.c .bin file (v0, v1 or v2) from its bytes. */
export function readLlama2c(bytes: Uint8Array): Llama2cCheckpoint {
  assertLittleEndianHost();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { version, config, groupSize } = llama2cHeader(bytes);
  const shapes = weightShapes(config);
  const count = (k: string) => size(shapes[k]) * (PER_LAYER.has(k) ? config.nLayers : 1);
  const present = (k: string) => k !== 'wcls' || !config.sharedClassifier;

  const raw = new Map<string, Float32Array>(); // stacked over layers where per-layer
  if (version < 2) {
    const order = (version === 0 ? V0_ORDER : V1_ORDER).filter(present);
    const start = version === 0 ? 28 : HEADER_BYTES_V1;
    const floats = order.reduce((n, k) => n + count(k), 0);
    const all = (bytes.byteOffset + start) % 4 === 0
      ? new Float32Array(bytes.buffer, bytes.byteOffset + start, floats)
      : new Float32Array(bytes.slice(start, start + 4 * floats).buffer);
    let at = 0;
    for (const k of order) { raw.set(k, all.subarray(at, at + count(k))); at += count(k); }
  } else {
    const gs = groupSize!;
    const quant = V2_QUANT.filter(present);
    let at = HEADER_BYTES_V1;
    for (const k of V2_FLOAT) {
      const n = count(k);
      const t = new Float32Array(n);
      for (let i = 0; i < n; i++) t[i] = view.getFloat32(at + 4 * i, true);
      raw.set(k, t);
      at += 4 * n;
    }
    for (const k of quant) {
      const tensors = PER_LAYER.has(k) ? config.nLayers : 1;
      const n = size(shapes[k]);
      const t = new Float32Array(n * tensors);
      for (let l = 0; l < tensors; l++) {
        const qAt = at, sAt = at + n; // int8 quants, then float32 scales
        for (let i = 0; i < n; i++) t[l * n + i] = ((bytes[qAt + i] << 24) >> 24) * view.getFloat32(sAt + 4 * Math.floor(i / gs), true);
        at += n + 4 * (n / gs);
      }
      raw.set(k, t);
    }
  }
  return { version, config, groupSize, tensors: toHuggingFace(config, raw) };
}

/** Renames to HF Llama names, splitting per-layer stacks and permuting q/k rows. */
function toHuggingFace(c: Llama2cConfig, raw: Map<string, Float32Array>): Map<string, NamedTensor> {
  const shapes = weightShapes(c);
  const out = new Map<string, NamedTensor>();
  const put = (name: string, shape: number[], data: Float32Array) => out.set(name, { name, shape, data });
  put('model.embed_tokens.weight', shapes.tok, raw.get('tok')!);
  const layerNames: Record<string, string> = {
    rms_att: 'input_layernorm.weight', wq: 'self_attn.q_proj.weight', wk: 'self_attn.k_proj.weight',
    wv: 'self_attn.v_proj.weight', wo: 'self_attn.o_proj.weight', rms_ffn: 'post_attention_layernorm.weight',
    w1: 'mlp.gate_proj.weight', w2: 'mlp.down_proj.weight', w3: 'mlp.up_proj.weight',
  };
  for (let l = 0; l < c.nLayers; l++) {
    for (const [k, hf] of Object.entries(layerNames)) {
      const n = size(shapes[k]);
      let data = raw.get(k)!.subarray(l * n, (l + 1) * n);
      const name = `model.layers.${l}.${hf}`;
      if (k === 'wq') data = interleavedToHalves(data, shapes.wq[0], c.nHeads, name);
      if (k === 'wk') data = interleavedToHalves(data, shapes.wk[0], c.nKvHeads, name);
      put(name, shapes[k], data);
    }
  }
  put('model.norm.weight', shapes.rms_final, raw.get('rms_final')!);
  if (!c.sharedClassifier) put('lm_head.weight', shapes.wcls, raw.get('wcls')!);
  return out;
}

/** The Hugging Face config.json object for a llama2.c model (LlamaForCausalLM). */
export function llama2cToHfConfig(c: Llama2cConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    num_hidden_layers: c.nLayers,
    head_dim: c.dim / c.nHeads,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.seqLen,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_parameters: { rope_theta: 10000, rope_type: 'default' }, // transformers >= 5 reads this form
    tie_word_embeddings: c.sharedClassifier,
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
  };
}
