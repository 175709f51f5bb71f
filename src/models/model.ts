// A causal language model: a config, its parameters by Hugging Face name, and a forward pass
// that can return logits, the loss, every hidden state, every attention pattern, and any
// named activation.

import * as op from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled, keep, tidy } from '../tensor/engine.js';
import { formatShape } from '../tensor/shape.js';
import { type ModelConfig, parameterShapes } from './config.js';
import type { AnyFamily, LinearSpec } from './family.js';
import { familyOf } from './families/index.js';
import { type HookFn, HookContext, type HookOptions } from './hooks.js';
import { KVCache } from './kv-cache.js';
import { sameStart } from './positions.js';
import { type DecodeStep, buildDecodeStep } from './decode-step/index.js';
import { Projections } from './linear.js';
import { loadBalancingLoss } from './moe.js';
import { finalNorm, unembedNormed } from './readout.js';
import type { LinearAdapter } from './adapters.js';
import { validateModelConfig } from './validate.js';

export interface ForwardOptions extends HookOptions {
  /** Continue from a KV cache (generation); row b's positions start at cache.lengths[b] (rows may differ). */
  kvCache?: KVCache;
  /** Return hidden_states as Hugging Face does: the embedding output, each block's output, and the last after the final norm. */
  hiddenStates?: boolean;
  /** Return every layer's attention probabilities (batch, head, query, key). */
  attentions?: boolean;
  /** Next-token targets (B, T) int32 (-1 ignored): returns the mean cross-entropy as `loss`. */
  targets?: Tensor;
  /**
   * Logits for the last position only, (B, 1, vocab): what a prompt in generation needs (the
   * output head is a third of GPT-2-small's prefill work). Not with targets or hiddenStates.
   */
  lastPositionOnly?: boolean;
  /**
   * Mixture-of-experts models: add the router's load-balancing loss, weighted by the config's
   * router_aux_loss_coef, to `loss` (what training minimises; evaluation leaves it out). With
   * targets, the unweighted load-balancing loss is returned as `auxLoss` either way.
   */
  routerAuxLoss?: boolean;
  /**
   * Each token's position, (B, T) row-major, instead of 0 … T-1 in every row: packed examples
   * restart at 0. Not with a KV cache.
   */
  positions?: Int32Array;
  /**
   * Each token's segment id, (B, T) row-major: a token attends only to earlier tokens with the
   * same id, so packed examples never see each other. Not with a KV cache.
   */
  segments?: Int32Array;
}

export interface ForwardResult {
  logits: Tensor; // (B, T, vocab), or (B, 1, vocab) with lastPositionOnly
  loss?: Tensor; // scalar
  /** Mixture of experts, with targets: the load-balancing loss (scalar), before its coefficient. */
  auxLoss?: Tensor;
  hiddenStates?: Tensor[]; // layers + 1, each (B, T, d_model)
  attentions?: Tensor[]; // layers, each (B, H, T, S)
  /** Activations asked for with `cache`, by hook name. */
  cache: Map<string, Tensor>;
}

/** How quantize() holds a parameter as int8: its key in Model.quantized, and whether its float copy may go. */
export interface Int8Plan {
  key: string;
  /** GPT-2's Conv1D matrices are stored (in, out): they are quantized transposed, rows along the input. */
  transpose: boolean;
  /** Whether the float copy may go (a tied head is also the embedding table: its lookups then read the int8 rows). */
  droppable: boolean;
}

/** The linear layers of a config by weight name (computed once per config object). */
const linearsByConfig = new WeakMap<ModelConfig, Map<string, LinearSpec>>();
function linearSpecs(config: ModelConfig): Map<string, LinearSpec> {
  let m = linearsByConfig.get(config);
  if (!m) linearsByConfig.set(config, (m = new Map(familyOf(config).linears(config).map((l) => [l.weight, l]))));
  return m;
}

/**
 * Which parameters run as Q8_0: every linear layer of the family (the projections and the output
 * head), when its input has a multiple of 32 values, the rows that the blocks of 32 run along
 * (others stay float, as llama.cpp does). An embedding table is quantized only when it is also
 * the (tied) head; position embeddings and an untied token table stay float. null: stays float.
 */
export function int8Plan(config: ModelConfig, name: string, shape: readonly number[]): Int8Plan | null {
  if (shape.length !== 2) return null;
  const spec = linearSpecs(config).get(name);
  if (!spec) return null;
  return spec.in % 32 === 0 ? { key: spec.int8Key ?? name, transpose: spec.layout === 'in-out', droppable: true } : null;
}

/** Matrices already held as int8 when a model is built (a loader that quantizes as it reads). */
export interface Int8Weights {
  quantized: Map<string, op.QuantizedMatrix>;
  /** Parameters present only as int8 (absent from params). */
  dropped: Set<string>;
}

export class Model {
  /** The family this model belongs to (GPT-2, Llama, …): what its config, names and forward pass are. */
  readonly family: AnyFamily;
  /** Every product with one of the model's matrices goes through here (layouts, int8 copies). */
  readonly proj: Projections;
  /** Weight-only int8 copies of the matrices used in products (see quantize), by parameter name; 'lm_head' for the output head. */
  readonly quantized = new Map<string, op.QuantizedMatrix>();
  /** (in, out) matrices (GPT-2's Conv1D) held as their (out, in) transposes (see transposeConv1D), by parameter name. */
  readonly transposed = new Map<string, Tensor>();
  /** Matrices absent from params (quantize with keepFloat: false, transposeConv1D): inference only. */
  private readonly floatDropped = new Set<string>();

  /** Added to the linear layers' outputs (a LoRA adapter), or null. The model does not own it. */
  get adapter(): LinearAdapter | null {
    return this.proj.adapter;
  }

  set adapter(a: LinearAdapter | null) {
    this.proj.adapter = a;
  }

  constructor(readonly config: ModelConfig, readonly params: Map<string, Tensor>, int8?: Int8Weights) {
    validateModelConfig(config);
    this.family = familyOf(config);
    const expected = parameterShapes(config);
    for (const [key, q] of int8?.quantized ?? []) this.quantized.set(key, q);
    for (const name of int8?.dropped ?? []) this.floatDropped.add(name);
    for (const [name, shape] of expected) {
      const t = params.get(name);
      if (!t && this.floatDropped.has(name)) continue;
      if (!t) throw new Error(`the checkpoint has no parameter '${name}'`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`parameter '${name}' has shape ${formatShape(t.shape)}; the config needs ${formatShape(shape)}`);
      }
      if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`parameter '${name}' must be float, got ${t.dtype}`);
    }
    for (const name of params.keys()) if (!expected.has(name)) throw new Error(`the checkpoint has an unexpected parameter '${name}'`);
    this.proj = new Projections(params, this.quantized, [...linearSpecs(config).values()], this.transposed);
  }

  /** Random initialisation as the family says (GPT-2 / nanoGPT: N(0, 0.02), residual projections scaled by 1/√(2·layers), norms 1, biases 0). */
  static init(config: ModelConfig, rng: op.Rng): Model {
    validateModelConfig(config);
    const params = new Map<string, Tensor>();
    const family = familyOf(config);
    for (const [name, shape] of parameterShapes(config)) {
      const kind = family.initOf(config, name);
      const t = kind === 'one' ? op.ones(shape) : kind === 'zero' ? op.zeros(shape) : op.randn(shape, rng, kind);
      params.set(name, keep(t));
    }
    return new Model(config, params);
  }

  /** Every parameter of the config, whether held as float or only as int8 (the constructor checked they match). */
  get numParameters(): number {
    let n = 0;
    for (const shape of parameterShapes(this.config).values()) n += shape.reduce((a, d) => a * d, 1);
    return n;
  }

  /** True when some matrices are held only as int8 (quantize with keepFloat: false) or transposed (transposeConv1D): the model can run, not train or be saved. */
  get inferenceOnly(): boolean {
    return this.floatDropped.size > 0;
  }

  /** Why the model can only run (for errors that refuse to train or save it), or '' when it can. */
  get inferenceOnlyReason(): string {
    if (this.floatDropped.size === 0) return '';
    return this.transposed.size > 0
      ? 'this model holds its (in, out) matrices transposed for decoding (loaded to run only)'
      : 'this model holds some matrices only as int8 (loaded with --dtype q8_0)';
  }

  /**
   * A parameter as float32 by its Hugging Face name: the stored tensor, or, for a matrix held
   * only as int8 or transposed, a copy in its Hugging Face layout that the caller owns (dispose
   * it, or use it inside tidy).
   */
  weight(name: string): Tensor {
    const t = this.params.get(name);
    if (t) return t;
    if (!this.floatDropped.has(name)) throw new Error(`the model has no parameter '${name}'`);
    return this.proj.float(name);
  }

  /** Positions the model can attend over. */
  get contextLength(): number {
    return this.config.contextLength;
  }

  /** Marks every parameter as trainable (or not). */
  setTrainable(trainable: boolean): void {
    for (const t of this.params.values()) t.requiresGrad = trainable;
  }

  /** A KV cache sized for this model. */
  createKVCache(batch = 1, maxLen = this.config.contextLength): KVCache {
    const c = this.config;
    const { kvHeads, headDim } = this.family.attention(c);
    return new KVCache(c.layers, batch, kvHeads, Math.min(maxLen, c.contextLength), headDim);
  }

  /**
   * Stores every projection matrix and the output head as Q8_0 (GGUF's int8 layout) for inference;
   * the float weights stay for embeddings, norms and training. Rows that are not a multiple of 32
   * long stay float, as llama.cpp does.
   */
  quantize(dtype: 'q8_0', opts: { keepFloat?: boolean } = {}): void {
    if (dtype !== 'q8_0') throw new Error(`unknown weight type '${dtype}' (q8_0)`);
    if (this.quantized.size > 0) throw new Error('the model is already quantized');
    if (this.transposed.size > 0) throw new Error('quantize the model before transposeConv1D (its int8 rows already run along the input)');
    for (const [name, w] of [...this.params]) {
      const plan = int8Plan(this.config, name, w.shape);
      if (!plan) continue;
      this.quantized.set(plan.key, quantizeParameter(w, plan));
      if (opts.keepFloat === false && plan.droppable) {
        w.dispose();
        this.params.delete(name);
        this.floatDropped.add(name);
      }
    }
  }

  /**
   * Holds each (in, out) float matrix (GPT-2's Conv1D) as its (out, in) transpose, the layout of
   * nn.Linear and of GGUF, and drops the (in, out) copy; inference only, like quantize with
   * keepFloat: false. Every product then reads one contiguous weight row per output: decoding one
   * token streams those rows at the memory's full rate (x·W over (in, out) rows adds into a whole
   * output row per weight row and gets ~0.7 of it), and a batch of a few rows uses each weight
   * row from L1 for all of them. The outputs are the same sums, in another order. Returns how
   * many matrices it transposed (0 for families that store none (in, out), or once done).
   */
  transposeConv1D(): number {
    let n = 0;
    for (const spec of linearSpecs(this.config).values()) {
      const w = this.params.get(spec.weight);
      if (spec.layout !== 'in-out' || !w) continue;
      this.transposed.set(spec.weight, keep(tidy(() => op.contiguous(op.transpose(w))))); // (out, in)
      w.dispose();
      this.params.delete(spec.weight);
      this.floatDropped.add(spec.weight);
      n++;
    }
    return n;
  }

  /**
   * Each token's position (B·T) when the rows differ: opts.positions (packed examples), or rows of
   * a KV cache that hold different lengths (starts[b] + t); undefined when every row has starts[0] + t.
   */
  private rowPositions(B: number, T: number, starts: Int32Array, opts: ForwardOptions): Int32Array | undefined {
    if (opts.positions || opts.segments) {
      if (opts.kvCache) throw new Error('positions and segments (packed rows) cannot be used with a KV cache');
      for (const [name, a] of [['positions', opts.positions], ['segments', opts.segments]] as const) {
        if (a && (!(a instanceof Int32Array) || a.length !== B * T)) throw new Error(`${name} must be an Int32Array of ${B}·${T} = ${B * T} values (one per token)`);
      }
      if (opts.positions) {
        for (const p of opts.positions) if (p < 0 || p >= this.config.contextLength) throw new Error(`position ${p} is outside the context window (0 … ${this.config.contextLength - 1})`);
        return opts.positions;
      }
      return undefined;
    }
    if (sameStart(starts)) return undefined;
    const out = new Int32Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = starts[b] + t;
    return out;
  }

  /**
   * The decode step for this cache (one token's forward as one wasm call: src/models/decode-step/),
   * or null where it cannot run (not the wasm backend, batch > 1, a family or shape without a step
   * plan). Made once per cache, and again after quantize(); disposed with the cache.
   */
  decodeStep(cache: KVCache): DecodeStep | null {
    return cache.attachment(this, `q${this.quantized.size}t${this.transposed.size}`, () => buildDecodeStep(this.family, this.config, this.params, this.quantized, this.transposed, cache));
  }

  /**
   * The decode step for plain one-token forwards on `cache` (no hooks), or null where the model as it
   * stands cannot use one: an adapter attached, or trainable parameters under a recorded gradient
   * (and wherever decodeStep() gives null). A view made by rows() is accepted: the step is made once
   * per cache object, so keep the view for as long as it steps (a server keeps one for row 0).
   */
  plainStep(cache: KVCache): DecodeStep | null {
    if (cache.batch !== 1 || this.proj.adapter) return null; // adapters take the general path
    if (isGradEnabled()) for (const t of this.params.values()) if (t.requiresGrad) return null;
    return this.decodeStep(cache);
  }

  /** Whether a forward with these options is one plain token that the decode step can run (no hooks, views or gradients). */
  private steppable(ids: Tensor, opts: ForwardOptions): opts is ForwardOptions & { kvCache: KVCache } {
    if (ids.shape[0] !== 1 || ids.shape[1] !== 1 || !opts.kvCache || opts.kvCache.isView) return false; // a passing view would build a step per call
    if (opts.positions || opts.segments) return false; // packed rows take the general path
    if (opts.targets || opts.hiddenStates || opts.attentions || opts.cache) return false;
    const hooks = opts.hooks;
    if (hooks && (hooks instanceof Map ? hooks.size > 0 : Object.keys(hooks).length > 0)) return false;
    return true;
  }

  /** ids (B, T) int32 -> logits (B, T, vocab), and whatever else opts ask for. */
  forward(ids: Tensor, opts: ForwardOptions = {}): ForwardResult {
    if (ids.dtype !== 'int32' || ids.rank !== 2) throw new Error(`forward expects int32 ids of shape (batch, seq), got ${ids.dtype} ${formatShape(ids.shape)}`);
    const [B, T] = ids.shape;
    if (T === 0) throw new Error('forward needs at least one token');
    if (opts.kvCache && opts.kvCache.batch !== B) throw new Error(`the KV cache was made for batch ${opts.kvCache.batch}, not ${B}`);
    if (this.steppable(ids, opts)) {
      const step = this.plainStep(opts.kvCache);
      if (step) {
        step.run(ids.data()[0]);
        return { logits: op.tensor(step.logits, [1, 1, this.config.vocabSize]), cache: new Map() };
      }
    }
    const starts = opts.kvCache ? opts.kvCache.lengths.slice() : new Int32Array(B); // (B): each row's first position
    const end = Math.max(...starts) + T;
    if (end > this.config.contextLength) {
      throw new Error(`${end} positions exceed the context window of ${this.config.contextLength} tokens`);
    }
    const rowPositions = this.rowPositions(B, T, starts, opts);
    const lastOnly = opts.lastPositionOnly === true;
    if (lastOnly && (opts.targets || opts.hiddenStates)) throw new Error('lastPositionOnly gives logits for one position: it cannot be combined with targets or hiddenStates');
    const L = this.config.layers;
    const wanted = new Set<string>();
    if (opts.hiddenStates) {
      for (let l = 0; l < L; l++) wanted.add(`blocks.${l}.hook_resid_pre`);
      wanted.add('ln_final.hook_normalized');
    }
    if (opts.attentions) for (let l = 0; l < L; l++) wanted.add(`blocks.${l}.attn.hook_pattern`);
    const userCache = opts.cache;
    const ctx = new HookContext({
      hooks: opts.hooks,
      cache: (name) => wanted.has(name) || (typeof userCache === 'function' ? userCache(name) : !!userCache?.includes(name)),
    });
    const c = this.config;
    const positions = Int32Array.from({ length: T }, (_, t) => starts[0] + t); // the one place positions come from
    const routing = this.family.routing?.(c);
    const routerLogits = routing && opts.targets ? [] as Tensor[] : undefined;
    let resid = this.family.forward(c, this, { ids, positions, rowPositions, segments: opts.segments, ctx, cache: opts.kvCache, routerLogits }); // (B, T, C)
    if (lastOnly) resid = op.slice(resid, 1, T - 1, T); // (B, 1, C): a prompt needs only its last prediction
    const readout = this.family.readout(c);
    const final = ctx.point('ln_final.hook_normalized', finalNorm(readout, this.params, resid));
    const logits = unembedNormed(readout, this, final); // (B, T, vocab)
    if (opts.kvCache) for (let b = 0; b < B; b++) opts.kvCache.lengths[b] += T;
    const result: ForwardResult = { logits, cache: ctx.cache };
    if (opts.hiddenStates) {
      result.hiddenStates = [];
      for (let l = 0; l < L; l++) result.hiddenStates.push(ctx.cache.get(`blocks.${l}.hook_resid_pre`)!);
      result.hiddenStates.push(ctx.cache.get('ln_final.hook_normalized')!);
    }
    if (opts.attentions) result.attentions = Array.from({ length: L }, (_, l) => ctx.cache.get(`blocks.${l}.attn.hook_pattern`)!);
    if (opts.targets) result.loss = op.crossEntropy(logits, opts.targets);
    if (routing && routerLogits?.length) {
      result.auxLoss = loadBalancingLoss(routerLogits, routing.experts, routing.expertsPerToken);
      if (opts.routerAuxLoss && routing.auxLossCoef > 0) result.loss = op.add(result.loss!, op.scale(result.auxLoss, routing.auxLossCoef));
    }
    if (!userCache) for (const name of wanted) ctx.cache.delete(name);
    return result;
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.floatDropped.clear();
    for (const q of this.quantized.values()) q.dispose();
    for (const t of this.transposed.values()) t.dispose();
  }
}

export type { HookFn };

/** Next-token targets for ids (B, T): ids shifted left by one, the last position ignored (-1). */
export function nextTokenTargets(ids: Tensor): Tensor {
  const [B, T] = ids.shape;
  const src = ids.data();
  const out = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) out[b * T + t] = t + 1 < T ? src[b * T + t + 1] : -1;
  }
  return op.tensor(out, [B, T]);
}

/** A parameter as the Q8_0 matrix its plan asks for (transposed first for GPT-2's Conv1D). */
export function quantizeParameter(w: Tensor, plan: Int8Plan): op.QuantizedMatrix {
  return tidy(() => op.QuantizedMatrix.fromTensor(plan.transpose ? op.contiguous(op.transpose(w)) : w));
}
