// Shared by the inspect tests: the reference models and their input ids.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.js';
import type { Model } from '../src/models/model.js';
import { sharedPath } from './shared.js';
import { loadModel } from '../src/node.js';

const models = new Map<string, Model>();

/** A reference model from ../shared/reference (loaded once per test file). */
export function referenceModel(name: string): Model {
  if (!models.has(name)) models.set(name, loadModel(sharedPath('reference', name)!));
  return models.get(name)!;
}

/** Row 0 of the reference input_ids (24 ids). */
export function referenceIds(name: string): number[] {
  const ref = readSafetensors(readFileSync(join(sharedPath('reference', name)!, 'reference.safetensors')));
  const t = ref.get('input_ids')!;
  return Array.from(t.data.subarray(0, t.shape[1]));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
