// Loading models from paths on disk (Node only): thin wrappers over the builders in ./load.ts,
// which also load the same formats from bytes in a browser. Safetensors and GGUF files are read
// tensor by tensor (./io/lazy.ts), so loading needs about the weights' size in memory, never a
// second copy of the file.

import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openGgufFile, openSafetensorsDir } from '../io/lazy.js';
import {
  type CheckpointInfo, type LoadOptions, type ModelFormat, configFromJsonText, describeLazy, describeLlama2c,
  loadLlama2cModelFromBytes, modelFromGguf, modelFromSafetensors,
} from './load.js';
import type { Model } from './model.js';

/** Loads a model folder: config.json and model.safetensors (or model.safetensors.index.json with shards). */
export function loadHfModel(dir: string, opts: LoadOptions = {}): Model {
  if (!existsSync(dir)) throw new Error(`model '${dir}' does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`model '${dir}' is not a folder (expected config.json and model.safetensors)`);
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${dir} has no config.json`);
  const config = configFromJsonText(readFileSync(configPath, 'utf8'), configPath);
  return modelFromSafetensors(config, openSafetensorsDir(dir), opts);
}

/** Loads a llama2.c checkpoint (.bin, v0/v1/v2). */
export function loadLlama2cModel(path: string, opts: LoadOptions = {}): Model {
  return loadLlama2cModelFromBytes(readFileSync(path), opts);
}

/** Loads a GGUF model (llama, qwen2, gpt2), dequantizing each tensor to float32 as it is read. */
export function loadGgufModel(path: string, opts: LoadOptions = {}): Model {
  return modelFromGguf(openGgufFile(path), opts);
}

/** The first bytes of a file. */
function head(path: string, n: number): Uint8Array {
  const buf = new Uint8Array(n);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, n, 0);
  } finally {
    closeSync(fd);
  }
  return buf;
}

function detectFormat(path: string): ModelFormat {
  if (!existsSync(path)) throw new Error(`model '${path}' does not exist`);
  if (statSync(path).isDirectory()) return 'hf';
  if (String.fromCharCode(...head(path, 4)) === 'GGUF') return 'gguf';
  if (path.endsWith('.bin')) return 'llama2c';
  throw new Error(`'${path}' is not a model folder, a GGUF file or a llama2.c .bin file`);
}

/** Loads a model from a Hugging Face folder, a .gguf file, or a llama2.c .bin file. */
export function loadModel(path: string, opts: LoadOptions = {}): Model {
  const format = detectFormat(path);
  if (format === 'hf') return loadHfModel(path, opts);
  if (format === 'gguf') return loadGgufModel(path, opts);
  return loadLlama2cModel(path, opts);
}

/** Reads only the headers of a checkpoint (see loadModel for the paths accepted). */
export function describeCheckpoint(path: string): CheckpointInfo {
  const format = detectFormat(path);
  if (format === 'llama2c') return describeLlama2c(head(path, 8), statSync(path).size);
  return format === 'hf' ? describeLazy('safetensors', openSafetensorsDir(path)) : describeLazy('gguf', openGgufFile(path));
}

export type { CheckpointInfo, LoadOptions } from './load.js';
