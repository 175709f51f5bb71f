// What a model family is, in one interface: its config (Hugging Face config.json and GGUF
// metadata, both ways), its parameters (Hugging Face names and shapes, GGUF names and layouts),
// its forward pass up to the final residual stream, its readout (final norm and unembedding),
// the linear layers it has (for int8 and adapters), how it initialises and what `glasslm info`
// says about it. Everything outside src/models/families/ asks the family and never branches on
// its name; src/models/families/index.ts maps names to families.

import type { GgufMetadata } from '../io/gguf/metadata.js';
import type { HeadCounts } from '../io/gguf/rename.js';
import type { NamedTensor } from '../io/types.js';
import type { Tensor } from '../tensor/tensor.js';
import type { HookContext } from './hooks.js';
import type { KVCache } from './kv-cache.js';
import type { Projections } from './linear.js';
import type { QuantizedMatrix } from '../ops/quantized.js';
import type { DecodeStep, ProgramWriter, StepWeights } from './decode-step/program.js';

export type Json = Record<string, unknown>;

/**
 * How a matrix is stored: 'out-in' as nn.Linear (y = x·Wᵀ), 'in-out' as GPT-2's Conv1D (y = x·W).
 * The int8 copy of either is held (out, in), rows along the input.
 */
export type WeightLayout = 'out-in' | 'in-out';

/** One linear layer (a matrix used in a product) of a model, by its Hugging Face names. */
export interface LinearSpec {
  /** The weight's parameter name, e.g. 'model.layers.0.self_attn.q_proj.weight'. */
  weight: string;
  /** The bias's parameter name, when the model has one. */
  bias?: string;
  in: number;
  out: number;
  layout: WeightLayout;
  /** The module's short name: 'q_proj', 'c_attn', 'lm_head', … (what adapter configs name as targets). */
  module: string;
  /** Its layer, or -1 for the output head. */
  layer: number;
  /** The key of its int8 copy in Model.quantized (default: the weight's name; 'lm_head' for the head). */
  int8Key?: string;
  /** Whether an adapter (LoRA) may target it (every projection in the blocks; not the output head). */
  adaptable: boolean;
}

/** The final norm and the unembedding: what the model and the inspect views (lens, attribution) read out with. */
export interface ReadoutSpec {
  norm: 'layernorm' | 'rmsnorm';
  /** Parameter names of the final norm's gain and (LayerNorm) bias. */
  weight: string;
  bias?: string;
  eps: number;
  /** The unembedding's weight name (vocab, d_model); a LinearSpec of the family with int8Key 'lm_head'. */
  unembed: string;
}

/** Attention geometry, for KV caches and per-head views. */
export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
}

/** What a forward pass is given: token ids, their positions (computed once, by Model.forward), hooks and cache. */
export interface ForwardInputs {
  ids: Tensor; // (B, T) int32
  /** Absolute position of each of the T tokens (the same in every row). */
  positions: Int32Array; // (T)
  /**
   * Each token's own position when rows differ (B·T, row-major; positions is then unused): rows of
   * a KV cache holding different lengths, or packed examples restarting at 0. See ./positions.ts.
   */
  rowPositions?: Int32Array;
  /** Packed examples: each token's segment (B·T); attention stays inside a segment. */
  segments?: Int32Array;
  ctx: HookContext;
  cache?: KVCache;
  /** When given, a routed model pushes each layer's router logits (B·T, experts) here (for the load-balancing loss). */
  routerLogits?: Tensor[];
}

/** The weights as a forward pass reads them: parameters by name, and every product through `proj`. */
export interface Weights {
  params: ReadonlyMap<string, Tensor>;
  proj: Projections;
}

/** A training run's model shape (`glasslm train --arch` and the size flags). */
export interface TrainShape {
  /** A `--arch` value some family trains ('gpt2', 'llama', …). */
  arch: string;
  layers: number;
  heads: number;
  /** Llama family: key/value heads (default heads). */
  kvHeads?: number;
  dim: number;
  /** Default: 4·dim for GPT-2, the SwiGLU width 8·dim/3 rounded up to 16 for Llama. */
  mlpHidden?: number;
  contextLength: number;
  /** GPT-2 only: false drops every bias from linear layers and LayerNorms (nanoGPT's bias=False). */
  bias?: boolean;
  /** Mixture of experts (mixtral, qwen2_moe): experts per layer (default 8) and experts per token (default 2). */
  experts?: number;
  expertsPerToken?: number;
}

/** A parameter's share of the model in `glasslm info`. */
export type Component = 'embeddings' | 'attention' | 'mlp' | 'norms' | 'head';

/** One parameter inside a fused tensor: its name and shape, and where its values start. */
export interface TensorPart { name: string; shape: number[]; offset: number }

/** The GGUF side of a family: names, layouts and metadata keys as llama.cpp writes them. */
export interface GgufSide {
  /** general.architecture values this family reads. */
  readonly archs: readonly string[];
  /** The general.architecture to write for a HF config.json of this family. */
  archFor(hf: Json): string;
  /** config.json -> {arch}.* metadata (general.architecture included). */
  metadataFromHf(hf: Json, arch: string): GgufMetadata;
  /** {arch}.* metadata -> config.json fields. aux: non-parameter tensors the file carries (rope_freqs.weight). */
  metadataToHf(meta: GgufMetadata, arch: string, tiedEmbeddings: boolean, aux: ReadonlyMap<string, Float32Array>): Json;
  /** Tensors a GGUF of this family may carry that are not parameters (read and passed to metadataToHf as aux). */
  readonly auxTensors: readonly string[];
  /** Non-parameter tensors to write beside the parameters (Llama 3's rope_freqs.weight). */
  auxTensorsFor(hf: Json): NamedTensor[];
  /** GGUF name of a HF tensor; undefined for tensors llama.cpp does not store. Throws for unknown names. */
  nameToGguf(arch: string, hfName: string): string | undefined;
  nameFromGguf(arch: string, ggufName: string): string;
  /** HF shape of a GGUF tensor, and whether its values are rearranged on the way. */
  layoutFromGguf(arch: string, ggufName: string, shape: readonly number[]): { shape: number[]; relayout: boolean };
  /** The GGUF shape of a HF tensor (already named in GGUF terms), and whether its values are rearranged on the way. */
  layoutToGguf(arch: string, ggufName: string, hfShape: readonly number[]): { shape: number[]; relayout: boolean };
  /**
   * Tensors that GGUF stores fused (a mixture's experts as one (experts, out, in) tensor): packs
   * the HF tensors that go into them, in GGUF names and order, and passes the others on.
   */
  pack?(arch: string, tensors: readonly NamedTensor[]): { packed: NamedTensor[]; rest: NamedTensor[] };
  /** The HF parameters a fused GGUF tensor holds, each a contiguous run of its values (undefined: not fused). */
  unpack?(arch: string, ggufName: string, shape: readonly number[]): TensorPart[] | undefined;
  /**
   * Rearranges one tensor (named in GGUF terms, `shape` its GGUF shape) from HF to GGUF order
   * (toGguf) or back, into `out` (a separate array).
   */
  relayout(arch: string, heads: HeadCounts | undefined, ggufName: string, shape: readonly number[], src: Float32Array, out: Float32Array, toGguf: boolean): void;
}

export interface ModelFamily<C extends { arch: string } = { arch: string; [k: string]: unknown }> {
  /** The config's `arch` value, and the family's name. */
  readonly name: string;
  /** One line for help texts: 'GPT-2', 'Llama, Mistral, Qwen2, SmolLM'. */
  readonly description: string;
  /** config.json model_type values it reads, and architectures[0] classes mapped to one of them. */
  readonly hfModelTypes: readonly string[];
  readonly hfClasses: Readonly<Record<string, string>>;
  /** `glasslm train --arch` values. */
  readonly trainArchs: readonly string[];

  /** config.json -> the typed config; options that change the math and are not implemented are errors. */
  configFromHf(hf: Json): C;
  configToHf(c: C): Json;
  /** A fresh model's config for training. */
  configForTraining(shape: TrainShape, vocabSize: number): C;
  /** Its GGUF names, layouts and metadata. */
  readonly gguf: GgufSide;

  /** Every parameter: Hugging Face name -> shape (the checkpoint contract). */
  parameterShapes(c: C): Map<string, number[]>;
  /** A checkpoint's tensor name as glasslm names it (GPT-2 hub files omit 'transformer.'). */
  canonicalName(name: string, c: C): string;
  /** A checkpoint tensor that holds several parameters (Mixtral's fused experts.gate_up_proj), as parts; undefined otherwise. */
  splitHf?(name: string, shape: readonly number[]): TensorPart[] | undefined;
  /** Tensors some checkpoints carry that are not parameters (GPT-2's attn.bias masks). */
  isNonParameter(name: string): boolean;
  /** Which share of the model a parameter is. */
  component(name: string): Component;
  /** The initial value's kind for a parameter: 'one' (norm gains), 'zero' (biases), or normal with this std. */
  initOf(c: C, name: string): 'one' | 'zero' | number;

  /** Every matrix used in a product, the output head included. */
  linears(c: C): LinearSpec[];
  readout(c: C): ReadoutSpec;
  attention(c: C): AttentionShape;
  /** The token embedding table (vocab, d_model). */
  tokenEmbedding(c: C): string;
  /** The attention output projection of a layer (attribution splits it per head). */
  attentionOutput(c: C, layer: number): LinearSpec;
  /** Hook points before the first block, in order ('hook_embed', GPT-2's 'hook_pos_embed'): their sum is the first residual. */
  embedHooks(c: C): string[];
  /** The hook points of block `layer`, in the order the forward pass reaches them. */
  blockHooks(c: C, layer: number): string[];

  /**
   * The hook points whose sum is a layer's MLP output, when it has parts (each expert's weighted
   * output, the shared expert): direct logit attribution splits the MLP by them. Absent: one MLP.
   */
  mlpParts?(c: C, layer: number): { label: string; hook: string }[] | undefined;
  /** A mixture of experts: experts per layer, chosen per token, and the load-balancing loss's weight (absent: a dense model). */
  routing?(c: C): { experts: number; expertsPerToken: number; auxLossCoef: number } | undefined;

  /** ids -> the final residual stream (B, T, d_model), before the final norm; every product through w.proj. */
  forward(c: C, w: Weights, inp: ForwardInputs): Tensor;

  /** What `glasslm info` prints about the shape (name -> value). */
  info(c: C): Record<string, unknown>;
  /**
   * Throws unless the family's own values are usable (Llama: rope_theta > 0); the sizes, the
   * attention shape and the norm epsilon every family has are checked by models/validate.ts.
   */
  checkValues?(c: C): void;

  /**
   * The decode step's plan (src/models/decode-step/): one token's forward, the same operations in
   * the same order as `forward` and the readout, written as a program for one wasm call per token.
   * Absent (or throwing NotSteppable for a config it does not cover): decoding takes the general path.
   */
  decodeStep?(c: C, weights: StepWeights, cache: KVCache, w: ProgramWriter): DecodeStep;
}

export type AnyFamily = ModelFamily<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
