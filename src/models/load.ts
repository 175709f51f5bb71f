// Loading models: Hugging Face folders (config.json + safetensors, sharded or not), GGUF files and
// llama2.c checkpoints, all into the same Model with Hugging Face parameter names.

import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hfArch, hfHeadCounts, ggufMetadataToHfConfig } from '../io/gguf/config.js';
import { ggufTensorsToHf } from '../io/gguf/names.js';
import { readGguf } from '../io/gguf/read.js';
import { llama2cToHfConfig, readLlama2c } from '../io/llama2c.js';
import { readSafetensorsDir } from '../io/safetensors-file.js';
import type { NamedTensor } from '../io/types.js';
import * as op from '../ops/index.js';
import { keep } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { type ModelConfig, configFromHf, parameterShapes } from './config.js';
import { Model } from './model.js';

/** Buffers some GPT-2 checkpoints carry that are not parameters. */
const NON_PARAMETERS = /\.attn\.(masked_)?bias$/;

/** Hugging Face names as glasslm uses them (GPT-2 files from the hub omit the "transformer." prefix). */
function canonicalName(config: ModelConfig, name: string): string {
  if (config.arch === 'gpt2' && !name.startsWith('transformer.') && !name.startsWith('lm_head.')) return 'transformer.' + name;
  return name;
}

/** Builds a Model from a config and named float tensors, checking names and shapes. */
export function modelFromTensors(config: ModelConfig, tensors: Iterable<NamedTensor>): Model {
  const expected = parameterShapes(config);
  const params = new Map<string, Tensor>();
  for (const t of tensors) {
    const name = canonicalName(config, t.name);
    if (NON_PARAMETERS.test(name) && !expected.has(name)) continue;
    // a tied head saved explicitly (as transformers does for GPT-2) is the embedding again
    if (name === 'lm_head.weight' && !expected.has(name)) continue;
    if (t.data instanceof Int32Array) throw new Error(`parameter '${name}' is an integer tensor`);
    params.set(name, keep(op.tensor(t.data, t.shape)));
  }
  return new Model(config, params);
}

/** Loads a model folder: config.json and model.safetensors (or model.safetensors.index.json with shards). */
export function loadHfModel(dir: string): Model {
  if (!existsSync(dir)) throw new Error(`model '${dir}' does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`model '${dir}' is not a folder (expected config.json and model.safetensors)`);
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${dir} has no config.json`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`${configPath} is not valid JSON: ${(err as Error).message}`);
  }
  const config = configFromHf(json);
  return modelFromTensors(config, readSafetensorsDir(dir).values());
}

/** Loads a llama2.c checkpoint (.bin, v0/v1/v2). */
export function loadLlama2cModel(path: string): Model {
  const ckpt = readLlama2c(readFileSync(path));
  return modelFromTensors(configFromHf(llama2cToHfConfig(ckpt.config)), ckpt.tensors.values());
}

/** Loads a GGUF model (llama, qwen2, gpt2), dequantizing to float32. */
export function loadGgufModel(path: string): Model {
  const file = readGguf(readFileSync(path));
  const tied = !file.tensors.has('output.weight');
  const hf = ggufMetadataToHfConfig(file.metadata, tied);
  const arch = hfArch(hf);
  const tensors = ggufTensorsToHf(arch, hfHeadCounts(hf), file.tensors.values());
  return modelFromTensors(configFromHf(hf), tensors);
}

/** Loads a model from a Hugging Face folder, a .gguf file, or a llama2.c .bin file. */
export function loadModel(path: string): Model {
  if (!existsSync(path)) throw new Error(`model '${path}' does not exist`);
  if (statSync(path).isDirectory()) return loadHfModel(path);
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === 'GGUF') return loadGgufModel(path);
  if (path.endsWith('.bin')) return loadLlama2cModel(path);
  throw new Error(`'${path}' is not a model folder, a GGUF file or a llama2.c .bin file`);
}
