// A LoRA adapter folder on disk (Node): adapter_config.json + adapter_model.safetensors, as PEFT
// saves them, written atomically.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { readSafetensors } from '../io/safetensors.js';
import type { ModelConfig } from '../models/config.js';
import type { LoraAdapter } from './adapter.js';
import { adapterFromPeft, peftFiles } from './peft.js';
import { loraToGguf } from './gguf.js';
import { writeGgufFile } from '../io/gguf/write-file.js';
import { makeOutputDir } from '../io/output-dir.js';

export function saveLora(adapter: LoraAdapter, dir: string, modelConfig: ModelConfig, baseModel = ''): void {
  makeOutputDir(dir);
  for (const [name, bytes] of peftFiles(adapter, modelConfig, baseModel)) writeFileAtomic(join(dir, name), bytes);
}

/** Reads a PEFT adapter folder for a model of `modelConfig`. */
export function loadLora(dir: string, modelConfig: ModelConfig): LoraAdapter {
  const configPath = join(dir, 'adapter_config.json');
  const weightsPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(configPath)) throw new Error(`${dir} holds no adapter_config.json (not a PEFT adapter folder)`);
  if (!existsSync(weightsPath)) throw new Error(`${dir} holds no adapter_model.safetensors${existsSync(join(dir, 'adapter_model.bin')) ? ' (adapter_model.bin is PyTorch pickle, which glasslm does not read)' : ''}`);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new Error(`${configPath}: not valid JSON (${(e as Error).message})`);
  }
  return adapterFromPeft(config, readSafetensors(readFileSync(weightsPath)), modelConfig, dir);
}

/**
 * `DIR[:scale]` -> the folder and the multiplier of the adapter's scale (1 unless given).
 * A Windows-style 'C:\…' is not split.
 */
export function parseLoraSpec(spec: string): { dir: string; multiplier: number } {
  const colon = spec.lastIndexOf(':');
  // a path that exists as given wins (a folder whose name has a colon, C:\ on Windows)
  if (colon <= 0 || existsSync(spec)) return { dir: spec, multiplier: 1 };
  const dir = spec.slice(0, colon), scale = spec.slice(colon + 1);
  const multiplier = Number(scale);
  if (scale.trim() === '' || !Number.isFinite(multiplier)) {
    if (!existsSync(dir)) return { dir: spec, multiplier: 1 }; // not DIR:S at all: reported as a missing adapter
    throw new Error(`--lora ${spec}: the scale after ':' must be a number, got '${scale}'`);
  }
  return { dir, multiplier };
}

/** Loads `DIR[:scale]` and attaches it to the model (its outputs then include the adapter). */
export function attachLora(model: { config: ModelConfig; adapter: unknown }, spec: string): LoraAdapter {
  const { dir, multiplier } = parseLoraSpec(spec);
  const adapter = loadLora(dir, model.config);
  adapter.multiplier = multiplier;
  model.adapter = adapter;
  return adapter;
}

/** Writes the adapter as a llama.cpp GGUF LoRA file (node-llama-cpp's `lora` option, llama-cli --lora). */
export function saveLoraGguf(adapter: LoraAdapter, path: string, modelConfig: ModelConfig): void {
  writeGgufFile(path, loraToGguf(adapter, modelConfig));
}
