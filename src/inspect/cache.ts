// Hooks and the activation cache: run a model once and keep the named intermediates you ask for.
//
//   const cache = runWithCache(model, ids, { names: ['blocks.0.hook_resid_post'] });
//   cache.get('blocks.0.hook_resid_post')  // Tensor (1, T, d_model)
//
// The hook names are those listed in src/models/hooks.ts; `hookNames(config)` spells them out.

import type { ModelConfig } from '../models/config.js';
import { familyOf } from '../models/families/index.js';
import type { HookFn } from '../models/hooks.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

export interface CacheOptions {
  /** Exact hook names to keep. */
  names?: readonly string[];
  /** Or a predicate over hook names (`() => true` keeps everything). */
  filter?: (name: string) => boolean;
  /** Hooks to run at the same time (read or replace). */
  hooks?: Record<string, HookFn> | ReadonlyMap<string, HookFn>;
}

export interface CacheRun {
  logits: Tensor; // (B, T, vocab)
  cache: Map<string, Tensor>;
}

/** ids as a (1, T) int32 tensor, or a (B, T) tensor passed through. */
export function idsTensor(ids: readonly number[] | Tensor): Tensor {
  if (!Array.isArray(ids)) return ids as Tensor;
  return op.tensor(Int32Array.from(ids as readonly number[]), [1, (ids as readonly number[]).length], 'int32');
}

/** Runs the model (no gradients) and returns the logits and the cached activations. */
export function runWithCache(model: Model, ids: readonly number[] | Tensor, opts: CacheOptions = {}): CacheRun {
  if (opts.names && opts.filter) throw new Error('runWithCache: give names or filter, not both');
  const cache = opts.filter ?? opts.names ?? [];
  const r = tidy(() => noGrad(() => model.forward(idsTensor(ids), { cache, hooks: opts.hooks })));
  if (opts.names) {
    const missing = opts.names.filter((n) => !r.cache.has(n));
    if (missing.length) throw new Error(`no hook point named ${missing.map((n) => `'${n}'`).join(', ')} (see hookNames)`);
  }
  return { logits: r.logits, cache: r.cache };
}

/** Runs the model with hooks (no gradients) and returns the logits. */
export function runWithHooks(model: Model, ids: readonly number[] | Tensor, hooks: Record<string, HookFn> | ReadonlyMap<string, HookFn>): Tensor {
  return tidy(() => noGrad(() => model.forward(idsTensor(ids), { hooks }).logits));
}

/** The hook points of one block, in the order the forward pass reaches them. */
export function blockHookNames(config: ModelConfig, layer: number): string[] {
  return familyOf(config).blockHooks(config, layer);
}

/**
 * Every hook point a plain forward pass visits (hook_attn_scores is visited only when a hook is
 * registered on it or on hook_pattern, since the fused attention never materialises the scores).
 */
export function hookNames(config: ModelConfig): string[] {
  const names = familyOf(config).embedHooks(config);
  for (let l = 0; l < config.layers; l++) names.push(...blockHookNames(config, l));
  names.push('ln_final.hook_normalized');
  return names;
}

/** Bytes held by a cache: elements × 4 (float32). */
export function cacheBytes(cache: ReadonlyMap<string, Tensor>): number {
  let n = 0;
  for (const t of cache.values()) n += t.size * 4;
  return n;
}

/** Frees every tensor in a cache. */
export function disposeCache(cache: Map<string, Tensor>): void {
  for (const t of cache.values()) t.dispose();
  cache.clear();
}
