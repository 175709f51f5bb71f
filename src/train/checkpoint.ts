// Training checkpoints as files (browser-safe: name -> bytes; ./checkpoint-file.ts writes them to a
// folder, atomically). One file, train-state.safetensors, holds the parameters, the AdamW moments
// and (in its metadata) the step, the data sampler's RNG state, the options and the loss history.
// Beside it, the model itself as Hugging Face files (config.json, model.safetensors,
// tokenizer.json) so that `--model DIR` (or loadModelFromFiles) works on a training folder.

import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { NamedTensor } from '../io/types.js';
import { type ModelConfig, configToHf } from '../models/config.js';
import type { Model } from '../models/model.js';
import { tokenizerJsonText } from '../tokenizer/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
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

/** Moments of the AdamW optimizer by parameter name. */
export type Moments = { m: ReadonlyMap<string, never>; v: ReadonlyMap<string, never> };

/**
 * The checkpoint's files, in the order they should be written (the training state last, so a
 * folder whose state file is complete has complete model files too): config.json, tokenizer.json
 * (when there is a tokenizer), model.safetensors, train-state.safetensors.
 */
export function checkpointFiles(model: Model, tokenizer: Tokenizer | null, moments: Moments | null, state: TrainState): Map<string, Uint8Array> {
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  files.set('config.json', enc.encode(JSON.stringify(configToHf(model.config), null, 2) + '\n'));
  if (tokenizer) files.set('tokenizer.json', enc.encode(tokenizerJsonText(tokenizer)));
  files.set('model.safetensors', writeSafetensors(named('', model.params as never)));
  const tensors = [...named('param.', model.params as never)];
  if (moments) tensors.push(...named('adam_m.', moments.m), ...named('adam_v.', moments.v));
  files.set(STATE_FILE, writeSafetensors(tensors, { state: JSON.stringify(state) }));
  return files;
}

export interface LoadedState {
  state: TrainState;
  params: Map<string, NamedTensor>;
  m: Map<string, NamedTensor>;
  v: Map<string, NamedTensor>;
}

/** Reads a train-state.safetensors file from its bytes (what names it in errors). */
export function readTrainState(bytes: Uint8Array, what: string = STATE_FILE): LoadedState {
  const file = readSafetensors(bytes);
  const raw = file.metadata.state;
  if (!raw) throw new Error(`${what} carries no training state in its metadata`);
  let state: TrainState;
  try {
    state = JSON.parse(raw) as TrainState;
  } catch (e) {
    throw new Error(`${what}: the training state in its metadata is not valid JSON (${(e as Error).message})`);
  }
  const params = new Map<string, NamedTensor>(), m = new Map<string, NamedTensor>(), v = new Map<string, NamedTensor>();
  for (const [name, t] of file) {
    const dot = name.indexOf('.');
    const group = name.slice(0, dot), key = name.slice(dot + 1);
    const target = group === 'param' ? params : group === 'adam_m' ? m : group === 'adam_v' ? v : null;
    if (!target) throw new Error(`${what}: unexpected tensor '${name}'`);
    target.set(key, { ...t, name: key });
  }
  return { state, params, m, v };
}
