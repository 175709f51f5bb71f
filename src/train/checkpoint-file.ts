// Training checkpoints in a folder (Node only): the files of ./checkpoint.ts. config.json and
// tokenizer.json are written atomically; model.safetensors and train-state.safetensors as one unit
// with a manifest naming their step (./checkpoint-commit.ts), so a kill at any moment leaves the
// last good checkpoint and never a folder whose files belong to two steps.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { openSafetensorsFile } from '../io/lazy.js';
import type { Model } from '../models/model.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { type LoadedState, type Moments, type TrainState, STATE_FILE, checkpointFiles, readTrainState } from './checkpoint.js';
import { commitCheckpointFiles, readManifest } from './checkpoint-commit.js';

/** Writes the model files and the training state into dir (an existing tokenizer.json is kept). */
export function saveCheckpoint(dir: string, model: Model, tokenizer: Tokenizer | null, moments: Moments | null, state: TrainState): void {
  writeCheckpointFiles(dir, checkpointFiles(model, tokenizer, moments, state), state.step);
}

/**
 * Writes the checkpoint files (name -> bytes) of `step` into dir: config.json atomically, an
 * existing tokenizer.json kept, and the rest (the weights or adapter, and the training state)
 * committed as one unit.
 */
export function writeCheckpointFiles(dir: string, files: ReadonlyMap<string, Uint8Array>, step: number): void {
  const unit: Record<string, Uint8Array> = {};
  for (const [name, bytes] of files) {
    if (name === 'tokenizer.json') {
      if (!existsSync(join(dir, name))) writeFileAtomic(join(dir, name), bytes);
    } else if (name === 'config.json') {
      writeFileAtomic(join(dir, name), bytes);
    } else {
      unit[name] = bytes;
    }
  }
  commitCheckpointFiles(dir, step, unit);
}

/** The manifest and model.safetensors must name the training state's step (a folder never mixes steps). */
function checkSameStep(dir: string, step: number): void {
  const manifest = readManifest(dir);
  if (manifest && manifest.step !== step) throw new Error(`${dir}: ${STATE_FILE} is of step ${step} but checkpoint.json names step ${manifest.step}`);
  const modelPath = join(dir, 'model.safetensors');
  if (!existsSync(modelPath)) return;
  const file = openSafetensorsFile(modelPath);
  try {
    const modelStep = file.metadata.step;
    if (modelStep !== undefined && modelStep !== String(step)) throw new Error(`${dir}: model.safetensors is of step ${modelStep} but ${STATE_FILE} of step ${step}`);
  } finally {
    file.close();
  }
}

/** Reads dir/train-state.safetensors, checking that the folder's files all belong to its step. */
export function loadCheckpoint(dir: string): LoadedState {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) throw new Error(`${dir} has no ${STATE_FILE} to resume from`);
  const loaded = readTrainState(readFileSync(path), path);
  checkSameStep(dir, loaded.state.step);
  return loaded;
}
