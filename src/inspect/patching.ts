// Activation patching: run the corrupted prompt while copying chosen activations from the clean
// run, and measure how much of the clean logit difference comes back.
//
//   restored = (patched − corrupted) / (clean − corrupted),   diff = logit(answer) − logit(wrong)
// at the last position. 1 means the patched activation carries all the information that matters.

import type { HookFn } from '../models/hooks.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { runWithCache } from './cache.js';
import { type Decoder, rowOf } from './readout.js';

/** Copy `name` from the clean run at these positions (all when omitted), and for hook_z only these heads. */
export interface Patch {
  name: string;
  positions?: number[];
  heads?: number[];
}

/**
 * Runs `corrupted` once per row of `rows`, batched, each row with its own patches taken from the
 * clean cache (which must hold every name used, shape (1, T, …)). Returns logits (rows, T, vocab).
 */
export function runPatched(model: Model, clean: ReadonlyMap<string, Tensor>, corrupted: readonly number[], rows: readonly Patch[][]): Tensor {
  const N = rows.length, T = corrupted.length;
  const byName = new Map<string, { row: number; patch: Patch }[]>();
  rows.forEach((patches, row) => {
    for (const patch of patches) {
      if (!clean.has(patch.name)) throw new Error(`the clean cache has no '${patch.name}'`);
      if (!byName.has(patch.name)) byName.set(patch.name, []);
      byName.get(patch.name)!.push({ row, patch });
    }
  });
  const hooks = new Map<string, HookFn>();
  for (const [name, list] of byName) {
    hooks.set(name, (value) => {
      const src = clean.get(name)!.floats();
      const data = Float32Array.from(value.floats()); // (N, T, …)
      const perRow = value.size / N, perPos = perRow / T;
      const H = value.rank === 4 ? value.shape[2] : 1, D = perPos / H;
      for (const { row, patch } of list) {
        for (const t of patch.positions ?? Array.from({ length: T }, (_, i) => i)) {
          if (t < 0 || t >= T) throw new Error(`patch position ${t} is outside 0..${T - 1}`);
          if (!patch.heads) data.set(src.subarray(t * perPos, (t + 1) * perPos), row * perRow + t * perPos);
          else for (const h of patch.heads) data.set(src.subarray(t * perPos + h * D, t * perPos + (h + 1) * D), row * perRow + t * perPos + h * D);
        }
      }
      return op.tensor(data, value.shape);
    });
  }
  const ids = new Int32Array(N * T);
  for (let r = 0; r < N; r++) ids.set(corrupted, r * T);
  return tidy(() => noGrad(() => model.forward(op.tensor(ids, [N, T], 'int32'), { hooks }).logits));
}

export interface PatchingResult {
  clean: number[];
  corrupted: number[];
  cleanTokens?: string[];
  corruptedTokens?: string[];
  answer: number;
  wrong: number;
  cleanDiff: number;
  corruptedDiff: number;
  /** [layer][position]: fraction restored by patching blocks.{l}.hook_resid_pre at one position. */
  resid: number[][];
  /** [layer][head]: fraction restored by patching one head's hook_z at every position. */
  heads: number[][];
}

export interface PatchingOptions {
  answer?: number;
  wrong?: number;
  decode?: Decoder;
  /** Patched runs per batch (default 32). */
  batch?: number;
}

/** Sweeps resid_pre (layer × position) and hook_z (layer × head) from clean into corrupted. */
export function activationPatching(model: Model, clean: readonly number[], corrupted: readonly number[], opts: PatchingOptions = {}): PatchingResult {
  if (clean.length !== corrupted.length) {
    throw new Error(`the clean prompt has ${clean.length} tokens and the corrupted one ${corrupted.length}: they must be the same length`);
  }
  if (clean.every((id, i) => id === corrupted[i])) {
    throw new Error('the clean and corrupted prompts are the same tokens: patching one into the other restores nothing; change the corrupted prompt (e.g. another name)');
  }
  const L = model.config.layers, H = model.config.heads, T = clean.length;
  const names: string[] = [];
  for (let l = 0; l < L; l++) names.push(`blocks.${l}.hook_resid_pre`, `blocks.${l}.attn.hook_z`);
  const cleanRun = runWithCache(model, clean, { names });
  try {
    return tidy(() => {
      const cl = rowOf(cleanRun.logits, T - 1);
      const co = tidy(() => rowOf(runWithCache(model, corrupted).logits, T - 1));
      const argmax = (x: Float32Array) => x.indexOf(Math.max(...x));
      const answer = opts.answer ?? argmax(cl);
      const wrong = opts.wrong ?? argmax(co);
      if (answer === wrong) throw new Error(`the answer and wrong tokens are the same (${answer}); give --answer and --wrong`);
      const cleanDiff = cl[answer] - cl[wrong], corruptedDiff = co[answer] - co[wrong];
      if (!(Math.abs(cleanDiff - corruptedDiff) > 1e-6 * Math.max(1, Math.abs(cleanDiff)))) {
        throw new Error(`the clean and corrupted runs give the same logit difference (${cleanDiff.toFixed(4)}): there is nothing to restore; choose prompts (or --answer/--wrong) that the model treats differently`);
      }
      const V = cl.length;
      const restored = (rows: Patch[][]): number[] => {
        const out: number[] = [];
        const B = opts.batch ?? 32;
        for (let s = 0; s < rows.length; s += B) {
          tidy(() => {
            const logits = runPatched(model, cleanRun.cache, corrupted, rows.slice(s, s + B)).floats();
            for (let r = 0; r < Math.min(B, rows.length - s); r++) {
              const base = (r * T + T - 1) * V;
              out.push((logits[base + answer] - logits[base + wrong] - corruptedDiff) / (cleanDiff - corruptedDiff));
            }
          });
        }
        return out;
      };
      const residRows: Patch[][] = [], headRows: Patch[][] = [];
      for (let l = 0; l < L; l++) {
        for (let t = 0; t < T; t++) residRows.push([{ name: `blocks.${l}.hook_resid_pre`, positions: [t] }]);
        for (let h = 0; h < H; h++) headRows.push([{ name: `blocks.${l}.attn.hook_z`, heads: [h] }]);
      }
      const r = restored(residRows), h = restored(headRows);
      return {
        clean: [...clean], corrupted: [...corrupted],
        cleanTokens: opts.decode ? clean.map(opts.decode) : undefined, corruptedTokens: opts.decode ? corrupted.map(opts.decode) : undefined,
        answer, wrong, cleanDiff, corruptedDiff,
        resid: Array.from({ length: L }, (_, l) => r.slice(l * T, (l + 1) * T)),
        heads: Array.from({ length: L }, (_, l) => h.slice(l * H, (l + 1) * H)),
      };
    });
  } finally {
    for (const t of cleanRun.cache.values()) t.dispose();
    cleanRun.logits.dispose();
  }
}
