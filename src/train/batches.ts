// Where a trainer's batches come from: random windows of a token stream (pre-training), or rows
// of packed examples with per-token targets, positions and segments (supervised fine-tuning).

import * as op from '../ops/index.js';
import type { Rng } from '../ops/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { sampleBatch } from './data.js';

/** Inputs (B, T), next-token targets (B, T; -1 ignored), and for packed rows the layout (B·T each). */
export interface Batch {
  x: Tensor;
  y: Tensor;
  positions?: Int32Array;
  segments?: Int32Array;
}

export interface BatchSource {
  /** A training batch of `batch` rows of `context` tokens, drawn with rng (only rng's state decides it). */
  trainBatch(batch: number, context: number, rng: Rng): Batch;
  /** Calls fn on each validation batch (created inside fn's scope); the loss is their token-weighted mean. */
  forEachValidationBatch(batch: number, context: number, batches: number, rng: Rng, fn: (b: Batch) => void): void;
}

/** A token stream split into train and validation, read as random windows of context + 1 tokens. */
export function tokenStream(data: { train: Int32Array; val: Int32Array }): BatchSource {
  return {
    trainBatch: (batch, context, rng) => sampleBatch(data.train, batch, context, rng),
    forEachValidationBatch(batch, context, batches, rng, fn) {
      for (let b = 0; b < batches; b++) fn(sampleBatch(data.val, batch, context, rng));
    },
  };
}

/** True for a BatchSource (as opposed to a { train, val } token stream). */
export function isBatchSource(x: unknown): x is BatchSource {
  return typeof (x as BatchSource).trainBatch === 'function';
}

/** Packed rows (R, T) -> a batch of tensors. */
export function rowsBatch(rows: { rows: number; length: number; ids: Int32Array; targets: Int32Array; positions: Int32Array; segments: Int32Array }): Batch {
  const shape = [rows.rows, rows.length];
  return { x: op.tensor(rows.ids, shape, 'int32'), y: op.tensor(rows.targets, shape, 'int32'), positions: rows.positions, segments: rows.segments };
}
