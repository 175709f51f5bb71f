// Hook points: every named intermediate of the forward pass passes through `point(name, value)`,
// where a hook may read it, replace it, or store it in the activation cache.
//
// Names follow TransformerLens, so they read like addresses:
//   hook_embed, hook_pos_embed                      [batch, pos, d_model]
//   blocks.{l}.hook_resid_pre / hook_resid_mid / hook_resid_post   [batch, pos, d_model]
//   blocks.{l}.ln1.hook_normalized, blocks.{l}.ln2.hook_normalized [batch, pos, d_model]
//   blocks.{l}.attn.hook_q / hook_k / hook_v        [batch, pos, head, d_head] (q, k after RoPE)
//   blocks.{l}.attn.hook_attn_scores / hook_pattern [batch, head, query_pos, key_pos]
//   blocks.{l}.attn.hook_z                          [batch, pos, head, d_head]
//   blocks.{l}.hook_attn_out, blocks.{l}.hook_mlp_out [batch, pos, d_model]
//   blocks.{l}.mlp.hook_pre / hook_post             [batch, pos, d_mlp]
//   ln_final.hook_normalized                        [batch, pos, d_model]

import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/engine.js';

/** Reads a value (returns nothing) or replaces it (returns a tensor of the same shape). */
export type HookFn = (value: Tensor, name: string) => Tensor | void;

export interface HookOptions {
  /** Hooks by exact name. */
  hooks?: ReadonlyMap<string, HookFn> | Record<string, HookFn>;
  /** Names (or a predicate) of the activations to keep in the returned cache. */
  cache?: readonly string[] | ((name: string) => boolean);
}

export class HookContext {
  readonly cache = new Map<string, Tensor>();
  private readonly hooks: ReadonlyMap<string, HookFn>;
  private readonly wants: (name: string) => boolean;

  constructor(opts: HookOptions = {}) {
    const h = opts.hooks ?? new Map<string, HookFn>();
    this.hooks = h instanceof Map ? h : new Map(Object.entries(h));
    const c = opts.cache;
    if (typeof c === 'function') this.wants = c;
    else if (c) {
      const set = new Set(c);
      this.wants = (n) => set.has(n);
    } else this.wants = () => false;
  }

  /** True when anything listens at name (so the model computes optional values, e.g. the pattern). */
  listens(name: string): boolean {
    return this.hooks.has(name) || this.wants(name);
  }

  /** True when a hook (not just the cache) is registered at name. */
  hooksAt(name: string): boolean {
    return this.hooks.has(name);
  }

  point(name: string, value: Tensor): Tensor {
    const hook = this.hooks.get(name);
    if (hook) {
      const replaced = hook(value, name);
      if (replaced) {
        if (replaced.shape.length !== value.shape.length || replaced.shape.some((d, i) => d !== value.shape[i])) {
          throw new Error(`hook ${name} returned shape [${replaced.shape}] instead of [${value.shape}]`);
        }
        value = replaced;
      }
    }
    if (this.wants(name)) this.cache.set(name, keep(value));
    return value;
  }
}
