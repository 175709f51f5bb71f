// Packing: short examples share a row of the batch. Each token carries its example's segment id
// and its position within the example (restarting at 0), so with the model's segment mask no
// example attends to another's tokens and the loss equals that of each example alone.

import type { Rng } from '../ops/random.js';
import type { SftSequence } from './encode.js';

/** Rows (R, T) row-major: ids, targets (-1 where nothing is learned), positions and segment ids. */
export interface PackedRows {
  rows: number;
  length: number;
  ids: Int32Array;
  targets: Int32Array;
  positions: Int32Array;
  segments: Int32Array;
}

/** Empty rows: pad ids 0, targets -1, and each pad token its own segment (it sees only itself). */
function emptyRows(rows: number, T: number): PackedRows {
  const segments = new Int32Array(rows * T);
  for (let i = 0; i < segments.length; i++) segments[i] = -1 - i;
  return { rows, length: T, ids: new Int32Array(rows * T), targets: new Int32Array(rows * T).fill(-1), positions: new Int32Array(rows * T), segments };
}

function place(out: PackedRows, row: number, at: number, seq: SftSequence, segment: number): void {
  const o = row * out.length + at;
  out.ids.set(seq.ids, o);
  out.targets.set(seq.targets, o);
  for (let t = 0; t < seq.ids.length; t++) {
    out.positions[o + t] = t;
    out.segments[o + t] = segment;
  }
}

/**
 * Packs sequences (each ≤ T tokens) into rows of T, first fit in the order given: a sequence goes
 * into the first row with room for it. Without packing, every sequence gets a row of its own.
 */
export function packSequences(seqs: readonly SftSequence[], T: number, packing = true): PackedRows {
  const fill: number[] = [];
  const where: [number, number][] = [];
  for (const s of seqs) {
    if (s.ids.length > T) throw new Error(`a sequence of ${s.ids.length} tokens does not fit a row of ${T}`);
    let row = packing ? fill.findIndex((used) => used + s.ids.length <= T) : -1;
    if (row < 0) {
      row = fill.length;
      fill.push(0);
    }
    where.push([row, fill[row]]);
    fill[row] += s.ids.length;
  }
  const out = emptyRows(fill.length, T);
  seqs.forEach((s, i) => place(out, where[i][0], where[i][1], s, i));
  return out;
}

/**
 * A training batch of `rows` rows of T drawn at random (with replacement, like pre-training's
 * random windows): sequences are drawn and placed first fit until one does not fit any row.
 * Depends only on rng's state, so a resumed run draws the same batches.
 */
export function sampleRows(seqs: readonly SftSequence[], rows: number, T: number, rng: Rng, packing = true): PackedRows {
  if (seqs.length === 0) throw new Error('no training sequences');
  const picked: SftSequence[] = [];
  const fill = new Array<number>(rows).fill(0);
  const where: [number, number][] = [];
  for (;;) {
    const s = seqs[rng.int(seqs.length)];
    const row = packing ? fill.findIndex((used) => used + s.ids.length <= T) : fill.indexOf(0);
    if (row < 0) break;
    where.push([row, fill[row]]);
    fill[row] += s.ids.length;
    picked.push(s);
    if (!packing && picked.length === rows) break;
  }
  const out = emptyRows(rows, T);
  picked.forEach((s, i) => place(out, where[i][0], where[i][1], s, i));
  return out;
}
