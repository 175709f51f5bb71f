// Training checkpoints in a folder (Node only): the files of ./checkpoint.ts, each written
// atomically, so a kill at any moment leaves the last good checkpoint.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Model } from '../models/model.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { type LoadedState, type Moments, type TrainState, STATE_FILE, checkpointFiles, readTrainState } from './checkpoint.js';

/** Writes the model files and the training state into dir (an existing tokenizer.json is kept). */
export function saveCheckpoint(dir: string, model: Model, tokenizer: Tokenizer | null, moments: Moments | null, state: TrainState): void {
  for (const [name, bytes] of checkpointFiles(model, tokenizer, moments, state)) {
    const path = join(dir, name);
    if (name === 'tokenizer.json' && existsSync(path)) continue;
    writeFileAtomic(path, bytes);
  }
}

/** Reads dir/train-state.safetensors. */
export function loadCheckpoint(dir: string): LoadedState {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) throw new Error(`${dir} has no ${STATE_FILE} to resume from`);
  return readTrainState(readFileSync(path), path);
}
