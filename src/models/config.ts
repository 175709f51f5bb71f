// Model configurations: one typed config per family (src/models/families/*), read from a Hugging
// Face config.json by the family its model_type names. Keys that change the math and that glasslm
// does not implement are errors, never ignored.

import type { Json } from './family.js';
import { familyForHf, familyOf } from './families/index.js';
import type { Gpt2Config } from './families/gpt2/index.js';
import type { LlamaConfig } from './families/llama/index.js';

export type { Gpt2Config } from './families/gpt2/index.js';
export type { LlamaConfig, RopeScaling } from './families/llama/index.js';

export type ModelConfig = Gpt2Config | LlamaConfig;

/** Reads a Hugging Face config.json object (GPT-2, Llama 2/3, Mistral, Qwen2, SmolLM). */
export function configFromHf(cfg: Json): ModelConfig {
  return familyForHf(cfg).configFromHf(cfg);
}

/** Writes the Hugging Face config.json form of a config. */
export function configToHf(c: ModelConfig): Json {
  return familyOf(c).configToHf(c);
}

/** Hugging Face parameter names and shapes for a config (the checkpoint contract). */
export function parameterShapes(c: ModelConfig): Map<string, number[]> {
  return familyOf(c).parameterShapes(c);
}
