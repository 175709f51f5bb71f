// The logit lens: read every layer's residual stream through the final norm and unembedding, as if
// the model stopped there. Rows are layers (resid_pre of each block, then the last resid_post).

import type { Model } from '../models/model.js';
import { tidy } from '../tensor/engine.js';
import { runWithCache } from './cache.js';
import { type Decoder, rankOf, softmaxRow, topIndices, unembed } from './readout.js';

export interface LensCell {
  ids: number[]; // top-k token ids, most likely first
  probs: number[];
  tokens?: string[];
}

export interface LensTarget {
  id: number;
  token?: string;
  /** [layer][position] rank (0 = top) and probability. */
  ranks: number[][];
  probs: number[][];
}

export interface LensResult {
  /** Row labels, bottom to top: 'blocks.0.hook_resid_pre' … 'blocks.{L-1}.hook_resid_post'. */
  layers: string[];
  /** The input ids and their text. */
  ids: number[];
  tokens?: string[];
  /** cells[layer][position]. */
  cells: LensCell[][];
  /** With keepLogits: the raw lens logits of the last row, [position][vocab] (equal to the model's logits). */
  finalLogits?: number[][];
  target?: LensTarget;
}

export interface LensOptions {
  k?: number;
  /** A token id to follow through the layers. */
  target?: number;
  decode?: Decoder;
  /** Return finalLogits (for tests; vocab × positions numbers). */
  keepLogits?: boolean;
}

export function logitLens(model: Model, ids: readonly number[], opts: LensOptions = {}): LensResult {
  const k = opts.k ?? 5, L = model.config.layers, T = ids.length;
  if (!(Number.isInteger(k) && k >= 1 && k <= model.config.vocabSize)) throw new Error(`the lens's k (tokens per cell) must be a whole number from 1 to the vocabulary's ${model.config.vocabSize}, got ${k}`);
  const layers = [...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_pre`), `blocks.${L - 1}.hook_resid_post`];
  return tidy(() => {
    const { cache } = runWithCache(model, ids, { names: layers });
    const cells: LensCell[][] = [];
    const target: LensTarget | undefined = opts.target === undefined ? undefined : { id: opts.target, token: opts.decode?.(opts.target), ranks: [], probs: [] };
    let finalLogits: number[][] | undefined;
    // one layer's logits at a time (T × vocab floats), freed before the next: all of them at once
    // would be (layers + 1) × T × vocab, gigabytes for GPT-2 over a long prompt
    for (const name of layers) tidy(() => {
      const logits = unembed(model, cache.get(name)!); // (1, T, vocab)
      const data = logits.floats(), V = logits.shape[2];
      const row: LensCell[] = [];
      const rankRow: number[] = [], probRow: number[] = [];
      const rawRows: number[][] = [];
      for (let t = 0; t < T; t++) {
        const lg = data.subarray(t * V, (t + 1) * V);
        const p = softmaxRow(lg);
        const top = topIndices(p, k);
        row.push({ ids: top, probs: top.map((i) => p[i]), tokens: opts.decode ? top.map(opts.decode) : undefined });
        if (target) {
          rankRow.push(rankOf(lg, target.id));
          probRow.push(p[target.id]);
        }
        if (opts.keepLogits) rawRows.push(Array.from(lg));
      }
      cells.push(row);
      if (target) {
        target.ranks.push(rankRow);
        target.probs.push(probRow);
      }
      if (opts.keepLogits) finalLogits = rawRows;
    });
    for (const t of cache.values()) t.dispose();
    return { layers, ids: [...ids], tokens: opts.decode ? ids.map(opts.decode) : undefined, cells, finalLogits, target };
  });
}
