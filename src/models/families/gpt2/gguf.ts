// GPT-2 in GGUF, as convert_hf_to_gguf.py writes it: Conv1D weights (in, out) are transposed to
// (out, in); the attn.bias causal-mask buffers are dropped; metadata under gpt2.*.

import { ggufFloat, ggufInt, ggufVocab } from '../../../io/gguf/fields.js';
import { gguf, type GgufMetadata } from '../../../io/gguf/metadata.js';
import { type NameTables, tableFromGguf, tableToGguf, transposeInto } from '../../../io/gguf/rename.js';
import type { GgufSide, Json } from '../../family.js';
import { hfNum } from '../json.js';

const TABLES: NameTables = {
  layerPrefix: 'transformer.h.',
  layer: [
    ['ln_1', 'attn_norm'], ['attn.c_attn', 'attn_qkv'], ['attn.c_proj', 'attn_output'],
    ['ln_2', 'ffn_norm'], ['mlp.c_fc', 'ffn_up'], ['mlp.c_proj', 'ffn_down'],
  ],
  global: [['transformer.wte', 'token_embd'], ['transformer.wpe', 'position_embd'], ['transformer.ln_f', 'output_norm'], ['lm_head', 'output']],
};

const CONV1D = /^blk\.\d+\.(attn_qkv|attn_output|ffn_up|ffn_down)\.weight$/;

/** Original GPT-2 files omit the "transformer." prefix. */
export function gpt2CanonicalName(name: string): string {
  return !name.startsWith('transformer.') && !name.startsWith('lm_head.') ? 'transformer.' + name : name;
}

export const gpt2Gguf: GgufSide = {
  archs: ['gpt2'],
  archFor: () => 'gpt2',
  auxTensors: [],
  auxTensorsFor: () => [],

  metadataFromHf(config: Json, arch: string): GgufMetadata {
    const m: GgufMetadata = new Map();
    const k = (key: string) => `${arch}.${key}`;
    m.set('general.architecture', gguf.str(arch));
    const nEmbd = hfNum(config, 'n_embd');
    m.set(k('context_length'), gguf.u32(hfNum(config, 'n_positions', config.n_ctx as number)));
    m.set(k('embedding_length'), gguf.u32(nEmbd));
    m.set(k('block_count'), gguf.u32(hfNum(config, 'n_layer')));
    m.set(k('feed_forward_length'), gguf.u32((config.n_inner as number | null) ?? 4 * nEmbd));
    m.set(k('attention.head_count'), gguf.u32(hfNum(config, 'n_head')));
    m.set(k('attention.layer_norm_epsilon'), gguf.f32(hfNum(config, 'layer_norm_epsilon', 1e-5)));
    m.set(k('vocab_size'), gguf.u32(hfNum(config, 'vocab_size')));
    return m;
  },

  metadataToHf(meta: GgufMetadata, arch: string, tieWordEmbeddings: boolean): Json {
    const int = ggufInt(meta, arch), float = ggufFloat(meta, arch);
    const nEmbd = int('embedding_length');
    const ff = int('feed_forward_length', 4 * nEmbd);
    return {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', activation_function: 'gelu_new',
      n_embd: nEmbd, n_layer: int('block_count'), n_head: int('attention.head_count'),
      n_positions: int('context_length'), n_inner: ff === 4 * nEmbd ? null : ff,
      layer_norm_epsilon: float('attention.layer_norm_epsilon', 1e-5), vocab_size: ggufVocab(meta, arch),
      tie_word_embeddings: tieWordEmbeddings,
    };
  },

  nameToGguf(arch: string, hfName: string): string | undefined {
    if (/\.attn\.(masked_)?bias$/.test(hfName)) return undefined;
    const name = tableToGguf(TABLES, gpt2CanonicalName(hfName));
    if (name === undefined) throw new Error(`GGUF names: no ${arch} GGUF name for HF tensor ${gpt2CanonicalName(hfName)}`);
    return name;
  },

  nameFromGguf(arch: string, ggufName: string): string {
    const name = tableFromGguf(TABLES, ggufName);
    if (name === undefined) throw new Error(`GGUF names: no ${arch} HF name for GGUF tensor ${ggufName}`);
    return name;
  },

  layoutFromGguf(_arch: string, ggufName: string, shape: readonly number[]) {
    return CONV1D.test(ggufName) ? { shape: [...shape].reverse(), relayout: true } : { shape: [...shape], relayout: false };
  },

  layoutToGguf(_arch: string, ggufName: string, shape: readonly number[]) {
    return CONV1D.test(ggufName) ? { shape: [...shape].reverse(), relayout: true } : { shape: [...shape], relayout: false };
  },

  relayout(_arch, _heads, ggufName, shape, src, out, toGguf) {
    if (!CONV1D.test(ggufName)) out.set(src);
    else if (toGguf) transposeInto(src, shape[1], shape[0], out); // HF (in, out) -> GGUF (out, in)
    else transposeInto(src, shape[0], shape[1], out);
  },
};
