// Loading models from bytes (browser-safe): Hugging Face folders (config.json + safetensors, sharded
// or not), GGUF files and llama2.c checkpoints, all into the same Model with Hugging Face parameter
// names. A folder is a map of file name -> bytes (from fetch, a dropped File, or the disk):
//
//   const model = loadModelFromFiles({ 'config.json': a, 'model.safetensors': b });
//   const model = loadModelFromFiles({ 'model.gguf': bytes });      // the format is read from the bytes
//
// The path loaders (loadModel(path), …) are in ./load-file.ts (Node) and share the builders below.
// Safetensors and GGUF are read tensor by tensor: only the header is parsed up front, then each
// tensor's bytes are copied straight into storage allocated by the tensor's backend (F32), or
// decoded into it (F16, BF16, quantized).

import { hfHeadCounts, ggufMetadataToHf } from '../io/gguf/config.js';
import { metaString } from '../io/gguf/metadata.js';
import { ggufToHfInto, ggufToHfLayout, ggufToHfName, type GgufArch, type HeadCounts } from '../io/gguf/names.js';
import { type FileMap, filesByName, magic, utf8 } from '../io/files.js';
import { type LazyFile, type LazyGguf, type LazyTensor, openGgufBytes, openSafetensorsFiles } from '../io/lazy-bytes.js';
import { llama2cHeader, llama2cToHfConfig, readLlama2c, LLAMA2C_MAGIC } from '../io/llama2c.js';
import { numel, type NamedTensor } from '../io/types.js';
import { keep } from '../tensor/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { type ModelConfig, configFromHf, parameterShapes } from './config.js';
import type { TensorPart } from './family.js';
import { familyForGguf, familyOf } from './families/index.js';
import { type Int8Weights, Model, int8Plan, quantizeParameter } from './model.js';
import { checkConfigAgainstCheckpoint } from './validate.js';
import { checkFinite } from '../io/limits.js';

/** Hugging Face names as glasslm uses them (GPT-2 files from the hub omit the "transformer." prefix). */
function canonicalName(config: ModelConfig, name: string): string {
  return familyOf(config).canonicalName(name, config);
}

/** A tensor still in its file: HF name, shape, a reader that fills float32 storage, and the parameters it holds when it is fused. */
type PendingTensor = Pick<LazyTensor, 'name' | 'shape' | 'readInto'> & { parts?: TensorPart[] };

/** How a checkpoint is loaded: 'q8_0' runs its matrices as int8 (see Model.quantize). */
export interface LoadOptions {
  /**
   * 'q8_0': each matrix is quantized as soon as it is read and its float copy freed before the
   * next is read, so memory holds the int8 weights (plus one float matrix at a time), as llama.cpp
   * does; the model can then run but not train. Default 'f32'.
   */
  dtype?: 'f32' | 'q8_0';
  /**
   * Called after each parameter is read: values read so far and values in all (the config's
   * parameters), for a progress bar (from a Worker, post it to the page).
   */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Builds a Model by allocating each parameter on the current backend and reading it in place.
 * Names and shapes are checked before anything is read.
 */
function modelFromPending(config: ModelConfig, tensors: Iterable<PendingTensor>, opts: LoadOptions = {}): Model {
  if (opts.dtype !== undefined && opts.dtype !== 'f32' && opts.dtype !== 'q8_0') throw new Error(`unknown weight type '${opts.dtype}' (f32 or q8_0)`);
  const expected = parameterShapes(config);
  const family = familyOf(config);
  const params = new Map<string, Tensor>();
  const int8: Int8Weights = { quantized: new Map(), dropped: new Set() };
  let total = 0, done = 0;
  if (opts.onProgress) for (const shape of expected.values()) total += numel(shape);
  try {
    for (const whole of tensors) {
      // a tensor that holds several parameters (fused experts) is read once and handed out in parts
      const parts = whole.parts ?? family.splitHf?.(canonicalName(config, whole.name), whole.shape);
      let pieces: Iterable<PendingTensor> = [whole];
      if (parts) {
        const values = new Float32Array(numel(whole.shape));
        whole.readInto(values);
        pieces = parts.map((part) => ({ name: part.name, shape: part.shape, readInto: (out: Float32Array) => out.set(values.subarray(part.offset, part.offset + numel(part.shape))) }));
      }
      for (const t of pieces) {
        const name = canonicalName(config, t.name);
        if (family.isNonParameter(name) && !expected.has(name)) continue; // buffers some checkpoints carry (GPT-2's attn.bias masks)
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
        done += numel(shape);
        opts.onProgress?.(done, total);
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

/** A config.json's text as a ModelConfig (what names the file goes in errors). */
export function configFromJsonText(text: string, what: string): ModelConfig {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${what} is not a JSON object`);
  return configFromHf(json);
}

/** Builds a model from a config and the (lazy) tensors of its safetensors file(s); closes the file. */
export function modelFromSafetensors(config: ModelConfig, file: LazyFile, opts: LoadOptions = {}): Model {
  try {
    checkConfigAgainstCheckpoint(config, file.tensors.length, file.fileBytes);
    return modelFromPending(config, file.tensors, opts);
  } finally {
    file.close();
  }
}

/**
 * Loads a Hugging Face model folder given as files: config.json and model.safetensors (or
 * model.safetensors.index.json with its shards). Other files (tokenizer.json, …) are ignored.
 */
export function loadHfModelFromFiles(files: FileMap, opts: LoadOptions = {}): Model {
  const byName = filesByName(files, 'model files');
  const config = byName.get('config.json');
  if (!config) throw new Error(`the model files (${[...byName.keys()].join(', ') || 'none'}) have no config.json`);
  return modelFromSafetensors(configFromJsonText(utf8(config, 'config.json'), 'config.json'), openSafetensorsFiles(byName), opts);
}

/** Loads a llama2.c checkpoint (.bin, v0/v1/v2) from its bytes. */
export function loadLlama2cModelFromBytes(bytes: Uint8Array, opts: LoadOptions = {}): Model {
  const ckpt = readLlama2c(bytes);
  return modelFromTensors(configFromHf(llama2cToHfConfig(ckpt.config)), ckpt.tensors.values(), opts);
}

/** One scratch array for the tensors that are rearranged on the way in (grown to the largest). */
let scratch = new Float32Array(0);

/** A GGUF tensor as its HF parameter: renamed, and transposed or permuted while it is read. */
function ggufPending(arch: GgufArch, heads: HeadCounts | undefined, t: LazyTensor): PendingTensor {
  const parts = familyForGguf(arch).gguf.unpack?.(arch, t.name, t.shape);
  if (parts) return { name: t.name, shape: t.shape, readInto: (out) => t.readInto(out), parts };
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

/** Builds a model from an open GGUF (any architecture a family reads), dequantizing each tensor to float32 as it is read; closes the file. */
export function modelFromGguf(file: LazyGguf, opts: LoadOptions = {}): Model {
  try {
    const arch = metaString(file.metadata, 'general.architecture');
    if (arch === undefined) throw new Error('GGUF config: general.architecture is missing');
    const family = familyForGguf(arch);
    // tensors that are not parameters (Llama 3's rope_freqs.weight) inform the config
    const aux = new Map<string, Float32Array>();
    for (const t of file.tensors) {
      if (!family.gguf.auxTensors.includes(t.name)) continue;
      const values = new Float32Array(numel(t.shape));
      t.readInto(values);
      aux.set(t.name, values);
    }
    const tied = !file.tensors.some((t) => t.name === 'output.weight');
    const hf = ggufMetadataToHf(file.metadata, tied, aux);
    const heads = hfHeadCounts(hf);
    let config: ModelConfig;
    try {
      config = configFromHf(hf);
    } catch (err) { // the checks speak of config.json fields: say which GGUF keys they came from
      throw new Error(`GGUF metadata (read as config.json fields): ${(err as Error).message.replace(/^config\.json: /, '')}`);
    }
    checkConfigAgainstCheckpoint(config, file.tensors.length, file.fileBytes);
    const weights = file.tensors.filter((t) => !aux.has(t.name)).map((t) => ggufPending(arch, heads, t));
    return modelFromPending(config, weights, opts);
  } finally {
    file.close();
    scratch = new Float32Array(0);
  }
}

/** Loads a GGUF model from the file's bytes. */
export function loadGgufModelFromBytes(bytes: Uint8Array, opts: LoadOptions = {}): Model {
  return modelFromGguf(openGgufBytes(bytes), opts);
}

/** The checkpoint formats glasslm reads. */
export type ModelFormat = 'hf' | 'gguf' | 'llama2c';

/** Files whose names say they are not weights (configs, vocabularies, tokenizers as text). */
const NOT_WEIGHTS = /\.(json|txt|model|md)$/i;

/**
 * Which file of a folder holds the model, by content: config.json makes a Hugging Face folder;
 * else a file starting with 'GGUF'; else the one file that reads as a llama2.c checkpoint (a
 * llama2.c tokenizer such as tok512.bin beside it does not). Returns the format and the file name
 * (config.json for a Hugging Face folder).
 */
export function detectModelFiles(files: ReadonlyMap<string, Uint8Array>): { format: ModelFormat; name: string } {
  if (files.has('config.json')) return { format: 'hf', name: 'config.json' };
  const candidates = [...files.keys()].filter((n) => !NOT_WEIGHTS.test(n));
  const gguf = candidates.filter((n) => magic(files.get(n)!) === 'GGUF');
  if (gguf.length > 1) throw new Error(`several GGUF files (${gguf.join(', ')}): give one model at a time`);
  if (gguf.length === 1) return { format: 'gguf', name: gguf[0] };
  const llama2c = candidates.filter((n) => isLlama2cCheckpoint(files.get(n)!));
  if (llama2c.length > 1) throw new Error(`several llama2.c checkpoints (${llama2c.join(', ')}): give one model at a time`);
  if (llama2c.length === 1) return { format: 'llama2c', name: llama2c[0] };
  const names = [...files.keys()].join(', ') || 'none';
  throw new Error(`no model among the files (${names}): expected config.json + model.safetensors, a GGUF file, or a llama2.c .bin checkpoint`);
}

/** Whether bytes are a llama2.c checkpoint: its header's sizes add up to the file's length. */
function isLlama2cCheckpoint(bytes: Uint8Array): boolean {
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === LLAMA2C_MAGIC) return true;
  try {
    llama2cHeader(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads a model from a folder given as files (see detectModelFiles for how the model is found):
 * a Hugging Face folder, a GGUF file, or a llama2.c .bin (with or without its tokenizer beside it).
 */
export function loadModelFromFiles(files: FileMap, opts: LoadOptions = {}): Model {
  const byName = filesByName(files, 'model files');
  const { format, name } = detectModelFiles(byName);
  if (format === 'hf') return loadHfModelFromFiles(byName, opts);
  if (format === 'gguf') return loadGgufModelFromBytes(byName.get(name)!, opts);
  return loadLlama2cModelFromBytes(byName.get(name)!, opts);
}

/** What a checkpoint file holds, without loading it: format, size on disk, values per stored type. */
export interface CheckpointInfo {
  format: 'safetensors' | 'gguf' | 'llama2.c';
  fileBytes: number;
  /** Stored type ('F32', 'F16', 'Q8_0', …) -> number of values stored in it (null: not counted). */
  dtypes: Record<string, number | null>;
}

/** The stored types of an open checkpoint (it is closed). */
export function describeLazy(format: 'safetensors' | 'gguf', file: LazyFile): CheckpointInfo {
  const dtypes: Record<string, number | null> = {};
  try {
    for (const t of file.tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + numel(t.shape);
    return { format, fileBytes: file.fileBytes, dtypes };
  } finally {
    file.close();
  }
}

/** What a llama2.c checkpoint holds, from its first 8 bytes and its size. */
export function describeLlama2c(first8: Uint8Array, fileBytes: number): CheckpointInfo {
  const h = new DataView(first8.buffer, first8.byteOffset, 8);
  const quantized = h.getUint32(0, true) === LLAMA2C_MAGIC && h.getInt32(4, true) === 2;
  return { format: 'llama2.c', fileBytes, dtypes: { [quantized ? 'int8 groups (llama2.c v2)' : 'F32']: null } };
}

/** Reads only the headers of a checkpoint given as files (see loadModelFromFiles). */
export function describeCheckpointFiles(files: FileMap): CheckpointInfo {
  const byName = filesByName(files, 'model files');
  const { format, name } = detectModelFiles(byName);
  if (format === 'hf') return describeLazy('safetensors', openSafetensorsFiles(byName));
  if (format === 'gguf') return describeLazy('gguf', openGgufBytes(byName.get(name)!));
  return describeLlama2c(byName.get(name)!, byName.get(name)!.length);
}

/** Parameter counts by component, from the config's parameter shapes (a tied head counts 0). */
export interface ParameterCounts { embeddings: number; attention: number; mlp: number; norms: number; head: number; total: number }

export function parameterCounts(config: ModelConfig): ParameterCounts {
  const out: ParameterCounts = { embeddings: 0, attention: 0, mlp: 0, norms: 0, head: 0, total: 0 };
  const family = familyOf(config);
  for (const [name, shape] of parameterShapes(config)) {
    const n = numel(shape);
    out[family.component(name)] += n;
    out.total += n;
  }
  return out;
}
