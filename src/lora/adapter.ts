// LoRA (Hu et al. 2021): a frozen linear layer W gains a trainable low-rank update,
//
//   y = x·Wᵀ + scale · (dropout(x)·Aᵀ)·Bᵀ,   A (r, in), B (out, r), scale = alpha / r
//
// with A random and B zero at the start, so the adapted model starts exactly as the base. Shapes
// and names are Hugging Face PEFT's (lora_A.weight (r, in), lora_B.weight (out, r)); GPT-2's
// Conv1D stores W as (in, out), so merging adds the transpose there.

import type { ModelConfig } from '../models/config.js';
import type { LinearAdapter } from '../models/adapters.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { isGradEnabled, keep, noGrad, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LinearModule, selectModules } from './modules.js';

export interface LoraConfig {
  /** Rank r of the update. */
  rank: number;
  /** scale = alpha / rank (alpha / √rank with rsLoRA). */
  alpha: number;
  /** Dropout on the adapter's input while training (0 = none). */
  dropout: number;
  /** PEFT target_modules: module names or their last parts ('q_proj'), or 'all-linear'. */
  targets: string[] | 'all-linear';
  /** rsLoRA: scale = alpha / √rank. */
  rslora?: boolean;
}

export interface LoraLayer {
  module: LinearModule;
  A: Tensor; // (r, in)
  B: Tensor; // (out, r)
  /** alpha / r for this layer (its own rank and alpha, as PEFT's rank_pattern / alpha_pattern allow). */
  scale: number;
}

/** PEFT's tensor names for a module: base_model.model.<module>.lora_A.weight / lora_B.weight. */
export function peftNames(module: string): { A: string; B: string } {
  return { A: `base_model.model.${module}.lora_A.weight`, B: `base_model.model.${module}.lora_B.weight` };
}

export class LoraAdapter implements LinearAdapter {
  /** Multiplies every layer's scale (`--lora DIR:0.5`); 1 as trained. */
  multiplier = 1;
  /** Dropout is applied only while training (and only when gradients are being recorded). */
  training = false;
  private readonly dropoutRng: op.Rng;

  constructor(readonly config: LoraConfig, readonly layers: ReadonlyMap<string, LoraLayer>, seed = 0) {
    if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error(`LoRA dropout must be in [0, 1), got ${config.dropout}`);
    this.dropoutRng = new op.Rng(seed);
  }

  /**
   * A new adapter on `modules` of a model: A uniform in ±1/√in (PEFT's default, Kaiming-uniform
   * with a = √5), B zero, so the model's outputs are unchanged until B is trained.
   */
  static init(config: LoraConfig, modules: readonly LinearModule[], rng: op.Rng): LoraAdapter {
    if (!Number.isInteger(config.rank) || config.rank < 1) throw new Error(`LoRA rank must be a whole number ≥ 1, got ${config.rank}`);
    if (!(config.alpha > 0 && Number.isFinite(config.alpha))) throw new Error(`LoRA alpha must be a finite number > 0, got ${config.alpha}`);
    const r = config.rank;
    const layers = new Map<string, LoraLayer>();
    for (const m of modules) {
      if (r > Math.min(m.in, m.out)) throw new Error(`LoRA rank ${r} is more than ${m.name} (${m.out}×${m.in}) can use: at most ${Math.min(m.in, m.out)}`);
      const bound = 1 / Math.sqrt(m.in);
      const a = new Float32Array(r * m.in);
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
      layers.set(m.name, { module: m, A: keep(op.tensor(a, [r, m.in])), B: keep(op.zeros([m.out, r])), scale: loraScale(config.alpha, r, config.rslora) });
    }
    return new LoraAdapter(config, layers, rng.int(2 ** 31));
  }

  /** Number of trainable values (A and B of every layer). */
  get numParameters(): number {
    let n = 0;
    for (const l of this.layers.values()) n += l.A.size + l.B.size;
    return n;
  }

  /** The trainable tensors by PEFT name. */
  params(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, l] of this.layers) {
      const n = peftNames(name);
      out.set(n.A, l.A).set(n.B, l.B);
    }
    return out;
  }

  /** The dropout generator's state (saved with a training checkpoint, so a resumed run drops the same values). */
  get rngState(): number[] {
    return this.dropoutRng.getState();
  }

  set rngState(s: number[]) {
    this.dropoutRng.setState(s);
  }

  /** x (…, in) -> scale · (dropout(x)·Aᵀ)·Bᵀ (…, out), or null when the module has no adapter. */
  delta(module: string, x: Tensor): Tensor | null {
    const l = this.layers.get(module);
    if (!l) return null;
    const p = this.config.dropout;
    let input = x;
    if (this.training && p > 0 && isGradEnabled()) { // never while evaluating (no gradients)
      const keepMask = new Float32Array(x.size);
      for (let i = 0; i < keepMask.length; i++) keepMask[i] = this.dropoutRng.next() < p ? 0 : 1 / (1 - p);
      input = op.mul(x, op.tensor(keepMask, x.shape));
    }
    return op.scale(op.linear(op.linear(input, l.A), l.B), l.scale * this.multiplier); // (…, r) then (…, out)
  }

  /** The update this adapter makes to a module's weight, in the weight's own layout: scale·B·A (out, in), transposed for Conv1D. */
  weightDelta(module: string): Tensor {
    const l = this.layers.get(module);
    if (!l) throw new Error(`the adapter has no layer '${module}'`);
    return tidy(() => {
      const d = op.scale(op.matmul(l.B, l.A), l.scale * this.multiplier); // (out, in)
      return l.module.conv1d ? op.contiguous(op.transpose(d)) : d;
    });
  }

  /** Folds the adapter into the model's float weights (W += scale·B·A); the model then runs without it. */
  mergeInto(model: Model): void {
    if (model.quantized.size > 0) throw new Error('merging needs the float weights: load the base model without --dtype q8_0');
    if (model.inferenceOnly) throw new Error(`${model.inferenceOnlyReason}: merging needs the float weights`);
    noGrad(() => {
      for (const module of this.layers.keys()) {
        const w = model.params.get(`${module}.weight`);
        if (!w) throw new Error(`the model has no weight '${module}.weight'`);
        const d = this.weightDelta(module);
        const wf = w.floats(), df = d.floats();
        for (let i = 0; i < wf.length; i++) wf[i] += df[i];
        d.dispose();
      }
    });
    if (model.adapter === this) model.adapter = null;
  }

  dispose(): void {
    for (const l of this.layers.values()) {
      l.A.dispose();
      l.B.dispose();
    }
  }
}

export function loraScale(alpha: number, rank: number, rslora = false): number {
  return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** A new adapter for a model config, on the modules config.targets choose (B = 0: the model is unchanged). */
export function createLora(modelConfig: ModelConfig, config: LoraConfig, rng: op.Rng): LoraAdapter {
  return LoraAdapter.init(config, selectModules(modelConfig, config.targets), rng);
}
