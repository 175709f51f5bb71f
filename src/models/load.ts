// Loading models: Hugging Face folders (config.json + safetensors, sharded or not), GGUF files and
// llama2.c checkpoints, all into the same Model with Hugging Face parameter names.
//
// Safetensors and GGUF are read tensor by tensor: only the header is parsed up front, then each
// tensor's bytes are read from the file straight into storage allocated by the tensor's backend
// (F32), or decoded into it (F16, BF16, quantized), so loading needs about the weights' size in
// memory, never a second copy of the file.

import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hfArch, hfHeadCounts, ggufMetadataToHfConfig } from '../io/gguf/config.js';
import { ggufToHfInto, ggufToHfLayout, ggufToHfName, type GgufArch, type HeadCounts } from '../io/gguf/names.js';
import { openGgufFile, openSafetensorsDir, type LazyTensor } from '../io/lazy.js';
import { llama2cToHfConfig, readLlama2c, LLAMA2C_MAGIC } from '../io/llama2c.js';
import { numel, type NamedTensor } from '../io/types.js';
import { keep } from '../tensor/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { type ModelConfig, configFromHf, parameterShapes } from './config.js';
import { type Int8Weights, Model, int8Plan, quantizeParameter } from './model.js';
import { checkConfigAgainstCheckpoint, requireJsonObject } from './validate.js';
import { checkFinite } from '../io/limits.js';

/** Buffers some GPT-2 checkpoints carry that are not parameters. */
const NON_PARAMETERS = /\.attn\.(masked_)?bias$/;

/** Hugging Face names as glasslm uses them (GPT-2 files from the hub omit the "transformer." prefix). */
function canonicalName(config: ModelConfig, name: string): string {
  if (config.arch === 'gpt2' && !name.startsWith('transformer.') && !name.startsWith('lm_head.')) return 'transformer.' + name;
  return name;
}

/** A tensor still in its file: HF name, shape, and a reader that fills float32 storage. */
type PendingTensor = Pick<LazyTensor, 'name' | 'shape' | 'readInto'>;

/** How a checkpoint is loaded: 'q8_0' runs its matrices as int8 (see Model.quantize). */
export interface LoadOptions {
  /**
   * 'q8_0': each matrix is quantized as soon as it is read and its float copy freed before the
   * next is read, so memory holds the int8 weights (plus one float matrix at a time), as llama.cpp
   * does; the model can then run but not train. Default 'f32'.
   */
  dtype?: 'f32' | 'q8_0';
}

/**
 * Builds a Model by allocating each parameter on the current backend and reading it in place.
 * Names and shapes are checked before anything is read.
 */
function modelFromPending(config: ModelConfig, tensors: Iterable<PendingTensor>, opts: LoadOptions = {}): Model {
  if (opts.dtype !== undefined && opts.dtype !== 'f32' && opts.dtype !== 'q8_0') throw new Error(`unknown weight type '${opts.dtype}' (f32 or q8_0)`);
  const expected = parameterShapes(config);
  const params = new Map<string, Tensor>();
  const int8: Int8Weights = { quantized: new Map(), dropped: new Set() };
  try {
    for (const t of tensors) {
      const name = canonicalName(config, t.name);
      if (NON_PARAMETERS.test(name) && !expected.has(name)) continue;
      // a tied head saved explicitly (as transformers does for GPT-2) is the embedding again
      if (name === 'lm_head.weight' && !expected.has(name)) continue;
      const shape = expected.get(name);
      if (!shape) throw new Error(`the checkpoint has an unexpected parameter '${name}'`);
      if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
        throw new Error(`parameter '${name}' has shape ${formatShape(t.shape)}; the config needs ${formatShape(shape)}`);
      }
      if (params.has(name) || int8.dropped.has(name)) throw new Error(`the checkpoint has parameter '${name}' twice`);
      const p = keep(Tensor.empty(shape, 'float32'));
      params.set(name, p);
      t.readInto(p.data() as Float32Array); // the backend's own storage (a float32 view on the cpu)
      checkFinite(p.data() as Float32Array, name, 'checkpoint');
      const plan = opts.dtype === 'q8_0' ? int8Plan(config, name, shape) : null;
      if (plan) {
        int8.quantized.set(plan.key, quantizeParameter(p, plan));
        if (plan.droppable) {
          p.dispose(); // freed before the next tensor is read, which reuses the memory
          params.delete(name);
          int8.dropped.add(name);
        }
      }
    }
    return new Model(config, params, int8);
  } catch (e) {
    for (const p of params.values()) p.dispose();
    for (const q of int8.quantized.values()) q.dispose();
    throw e;
  }
}

/** Builds a Model from a config and named float tensors, checking names and shapes. */
export function modelFromTensors(config: ModelConfig, tensors: Iterable<NamedTensor>, opts: LoadOptions = {}): Model {
  const pending = function* (): Generator<PendingTensor> {
    for (const t of tensors) {
      yield {
        name: t.name,
        shape: t.shape,
        readInto(out: Float32Array) {
          if (t.data instanceof Int32Array) throw new Error(`parameter '${canonicalName(config, t.name)}' is an integer tensor`);
          out.set(t.data);
        },
      };
    }
  };
  const list = [...pending()];
  checkConfigAgainstCheckpoint(config, list.length);
  return modelFromPending(config, list, opts);
}

function readConfigJson(dir: string): ModelConfig {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${dir} has no config.json`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`${configPath} is not valid JSON: ${(err as Error).message}`);
  }
  return configFromHf(requireJsonObject(json, configPath));
}

/** Loads a model folder: config.json and model.safetensors (or model.safetensors.index.json with shards). */
export function loadHfModel(dir: string, opts: LoadOptions = {}): Model {
  if (!existsSync(dir)) throw new Error(`model '${dir}' does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`model '${dir}' is not a folder (expected config.json and model.safetensors)`);
  const config = readConfigJson(dir);
  const file = openSafetensorsDir(dir);
  try {
    checkConfigAgainstCheckpoint(config, file.tensors.length, file.fileBytes);
    return modelFromPending(config, file.tensors, opts);
  } finally {
    file.close();
  }
}

/** Loads a llama2.c checkpoint (.bin, v0/v1/v2). */
export function loadLlama2cModel(path: string, opts: LoadOptions = {}): Model {
  const ckpt = readLlama2c(readFileSync(path));
  return modelFromTensors(configFromHf(llama2cToHfConfig(ckpt.config)), ckpt.tensors.values(), opts);
}

/** One scratch array for the tensors that are rearranged on the way in (grown to the largest). */
let scratch = new Float32Array(0);

/** A GGUF tensor as its HF parameter: renamed, and transposed or permuted while it is read. */
function ggufPending(arch: GgufArch, heads: HeadCounts | undefined, t: LazyTensor): PendingTensor {
  const layout = ggufToHfLayout(arch, t.name, t.shape);
  if (!layout.relayout) return { name: ggufToHfName(arch, t.name), shape: layout.shape, readInto: (out) => t.readInto(out) };
  return {
    name: ggufToHfName(arch, t.name),
    shape: layout.shape,
    readInto(out: Float32Array) {
      const n = numel(t.shape);
      if (scratch.length < n) scratch = new Float32Array(n);
      const raw = scratch.subarray(0, n); // the tensor in GGUF order
      t.readInto(raw);
      ggufToHfInto(arch, heads, t.name, t.shape, raw, out);
    },
  };
}

/** Loads a GGUF model (llama, qwen2, gpt2), dequantizing each tensor to float32 as it is read. */
export function loadGgufModel(path: string, opts: LoadOptions = {}): Model {
  const file = openGgufFile(path);
  try {
    const ropeFreqs = file.tensors.find((t) => t.name === 'rope_freqs.weight');
    let factors: Float32Array | undefined;
    if (ropeFreqs) {
      factors = new Float32Array(numel(ropeFreqs.shape));
      ropeFreqs.readInto(factors);
    }
    const tied = !file.tensors.some((t) => t.name === 'output.weight');
    const hf = ggufMetadataToHfConfig(file.metadata, tied, factors);
    const arch = hfArch(hf);
    const heads = arch === 'gpt2' ? undefined : hfHeadCounts(hf);
    const config = configFromHf(hf);
    checkConfigAgainstCheckpoint(config, file.tensors.length, file.fileBytes);
    const weights = file.tensors.filter((t) => t !== ropeFreqs).map((t) => ggufPending(arch, heads, t));
    return modelFromPending(config, weights, opts);
  } finally {
    file.close();
    scratch = new Float32Array(0);
  }
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

type Format = 'hf' | 'gguf' | 'llama2c';

function detectFormat(path: string): Format {
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

/** What a checkpoint file holds, without loading it: format, size on disk, values per stored type. */
export interface CheckpointInfo {
  format: 'safetensors' | 'gguf' | 'llama2.c';
  fileBytes: number;
  /** Stored type ('F32', 'F16', 'Q8_0', …) -> number of values stored in it (null: not counted). */
  dtypes: Record<string, number | null>;
}

/** Reads only the headers of a checkpoint (see loadModel for the paths accepted). */
export function describeCheckpoint(path: string): CheckpointInfo {
  const format = detectFormat(path);
  const dtypes: Record<string, number | null> = {};
  const count = (tensors: LazyTensor[]) => {
    for (const t of tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + numel(t.shape);
  };
  if (format === 'llama2c') {
    const h = new DataView(head(path, 8).buffer);
    const quantized = h.getUint32(0, true) === LLAMA2C_MAGIC && h.getInt32(4, true) === 2;
    return { format: 'llama2.c', fileBytes: statSync(path).size, dtypes: { [quantized ? 'int8 groups (llama2.c v2)' : 'F32']: null } };
  }
  const file = format === 'hf' ? openSafetensorsDir(path) : openGgufFile(path);
  try {
    count(file.tensors);
    return { format: format === 'hf' ? 'safetensors' : 'gguf', fileBytes: file.fileBytes, dtypes };
  } finally {
    file.close();
  }
}

/** Parameter counts by component, from the config's parameter shapes (a tied head counts 0). */
export interface ParameterCounts { embeddings: number; attention: number; mlp: number; norms: number; head: number; total: number }

export function parameterCounts(config: ModelConfig): ParameterCounts {
  const out: ParameterCounts = { embeddings: 0, attention: 0, mlp: 0, norms: 0, head: 0, total: 0 };
  for (const [name, shape] of parameterShapes(config)) {
    const n = numel(shape);
    if (/(wte|wpe|embed_tokens)\.weight$/.test(name)) out.embeddings += n;
    else if (/\.(attn|self_attn)\./.test(name)) out.attention += n;
    else if (/\.mlp\./.test(name)) out.mlp += n;
    else if (/(ln_\d|ln_f|layernorm|norm)\.(weight|bias)$/.test(name)) out.norms += n;
    else if (name.startsWith('lm_head.')) out.head += n;
    else throw new Error(`parameterCounts: no component for parameter '${name}'`);
    out.total += n;
  }
  return out;
}
