// Training checkpoints. One file, train-state.safetensors, holds the parameters, the AdamW
// moments and (in its metadata) the step, the data sampler's RNG state, the options and the loss
// history. Beside it, the model itself as Hugging Face files (config.json, model.safetensors,
// tokenizer.json) so that `--model DIR` works on a training folder. model.safetensors and
// train-state.safetensors are written as one unit with a manifest naming their step
// (checkpoint-commit.ts), so a kill at any moment leaves the last good checkpoint, never a mix.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { openSafetensorsFile } from '../io/lazy.js';
import { checkFinite } from '../io/limits.js';
import { commitCheckpointFiles, readManifest } from './checkpoint-commit.js';
import type { NamedTensor } from '../io/types.js';
import { type ModelConfig, configToHf } from '../models/config.js';
import type { Model } from '../models/model.js';
import { saveTokenizer } from '../tokenizer/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { TrainOptions } from './options.js';

export const STATE_FILE = 'train-state.safetensors';

export interface LossRecord {
  step: number;
  train?: number;
  val?: number;
}

export interface TrainState {
  step: number;
  optimizerStep: number;
  rng: number[];
  options: TrainOptions;
  config: ModelConfig;
  history: LossRecord[];
  /** Seconds spent training so far (across resumes). */
  seconds: number;
}

function named(prefix: string, tensors: ReadonlyMap<string, { shape: readonly number[]; floats(): Float32Array | Float64Array }>): NamedTensor[] {
  return [...tensors].map(([name, t]) => ({ name: prefix + name, shape: [...t.shape], data: Float32Array.from(t.floats()) }));
}

/** Writes the model files and the training state into dir. */
export function saveCheckpoint(dir: string, model: Model, tokenizer: Tokenizer | null, moments: { m: ReadonlyMap<string, never>; v: ReadonlyMap<string, never> } | null, state: TrainState): void {
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(configToHf(model.config), null, 2) + '\n');
  if (tokenizer) {
    const path = join(dir, 'tokenizer.json');
    if (!existsSync(path)) saveTokenizer(tokenizer, path);
  }
  const params = named('', model.params as never);
  for (const t of params) checkFinite(t.data as Float32Array, t.name, `checkpoint of step ${state.step}`); // never overwrite a good checkpoint with NaN
  const tensors = [...named('param.', model.params as never)];
  if (moments) tensors.push(...named('adam_m.', moments.m), ...named('adam_v.', moments.v));
  commitCheckpointFiles(dir, state.step, {
    'model.safetensors': writeSafetensors(params, { step: String(state.step) }),
    [STATE_FILE]: writeSafetensors(tensors, { state: JSON.stringify(state) }),
  });
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

export interface LoadedState {
  state: TrainState;
  params: Map<string, NamedTensor>;
  m: Map<string, NamedTensor>;
  v: Map<string, NamedTensor>;
}

/** Reads dir/train-state.safetensors. */
export function loadCheckpoint(dir: string): LoadedState {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) throw new Error(`${dir} has no ${STATE_FILE} to resume from`);
  const file = readSafetensors(readFileSync(path));
  const raw = file.metadata.state;
  if (!raw) throw new Error(`${path} carries no training state in its metadata`);
  const state = JSON.parse(raw) as TrainState;
  checkSameStep(dir, state.step);
  const params = new Map<string, NamedTensor>(), m = new Map<string, NamedTensor>(), v = new Map<string, NamedTensor>();
  for (const [name, t] of file) {
    const dot = name.indexOf('.');
    const group = name.slice(0, dot), key = name.slice(dot + 1);
    const target = group === 'param' ? params : group === 'adam_m' ? m : group === 'adam_v' ? v : null;
    if (!target) throw new Error(`${path}: unexpected tensor '${name}'`);
    target.set(key, { ...t, name: key });
  }
  return { state, params, m, v };
}
