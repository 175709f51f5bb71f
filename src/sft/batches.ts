// Fine-tuning sequences as a trainer's batch source: random packed rows for training, and every
// held-out sequence (packed in order) for the validation loss.

import { type BatchSource, rowsBatch } from '../train/batches.js';
import type { SftSequence } from './encode.js';
import { packSequences, sampleRows } from './pack.js';

export function sftBatches(train: readonly SftSequence[], val: readonly SftSequence[], packing = true): BatchSource {
  if (train.length === 0) throw new Error('no training examples');
  if (val.length === 0) throw new Error('no validation examples (hold some out)');
  return {
    trainBatch: (batch, context, rng) => rowsBatch(sampleRows(train, batch, context, rng, packing)),
    forEachValidationBatch(batch, context, _batches, _rng, fn) {
      const all = packSequences(val, context, packing);
      for (let r = 0; r < all.rows; r += batch) {
        const n = Math.min(batch, all.rows - r);
        const span = (a: Int32Array) => a.subarray(r * context, (r + n) * context);
        fn(rowsBatch({ rows: n, length: context, ids: span(all.ids), targets: span(all.targets), positions: span(all.positions), segments: span(all.segments) }));
      }
    },
  };
}

/** Every k-th example held out (k = round(1 / fraction)), so the split does not depend on file order runs. */
export function holdOut<T>(items: readonly T[], fraction: number): { train: T[]; val: T[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`the held-out fraction must be in (0, 1), got ${fraction}`);
  const k = Math.max(2, Math.round(1 / fraction));
  const train: T[] = [], val: T[] = [];
  items.forEach((x, i) => (i % k === k - 1 ? val : train).push(x));
  if (val.length === 0) throw new Error(`${items.length} examples are too few to hold out every ${k}th`);
  return { train, val };
}
