// Model hyperparameters: Hugging Face config.json <-> GGUF metadata keys ({arch}.*), as
// convert_hf_to_gguf.py writes them. Each family holds its own keys
// (src/models/families/*/gguf.ts); these functions find the family and ask it.

import { familyForGguf, familyForHfLoose } from '../../models/families/index.js';
import { metaString, type GgufMetadata } from './metadata.js';
import type { HeadCounts } from './rename.js';

export { shortestF32 } from './fields.js';

type HfConfig = Record<string, unknown>;

/** The GGUF architecture of a HF config (model_type, else architectures[0]). */
export function hfArch(config: HfConfig): string {
  const { family, modelType } = familyForHfLoose(config);
  return family.gguf.archFor({ ...config, model_type: modelType });
}

function num(config: HfConfig, key: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`GGUF config: HF config.json field ${key} is missing or not a number`);
  return v;
}

/** Head counts from a HF config (for the llama q/k permutation). */
export function hfHeadCounts(config: HfConfig): HeadCounts {
  const nHeads = num(config, config.n_head !== undefined ? 'n_head' : 'num_attention_heads');
  return { nHeads, nKvHeads: num(config, 'num_key_value_heads', nHeads) };
}

/** HF config.json -> GGUF metadata (integers as u32, epsilons and rope base as f32). */
export function hfConfigToGgufMetadata(config: HfConfig): GgufMetadata {
  const { family, modelType } = familyForHfLoose(config);
  const hf = { ...config, model_type: modelType };
  return family.gguf.metadataFromHf(hf, family.gguf.archFor(hf));
}

/**
 * GGUF metadata -> HF config.json fields. tieWordEmbeddings: GGUF has no key for it;
 * llama.cpp ties when the file has no output.weight, so pass that in. ropeFactors: the file's
 * rope_freqs.weight, if any (Llama 3 rope scaling as llama.cpp stores it).
 */
export function ggufMetadataToHfConfig(meta: GgufMetadata, tieWordEmbeddings: boolean, ropeFactors?: Float32Array): HfConfig {
  return ggufMetadataToHf(meta, tieWordEmbeddings, ropeFactors ? new Map([['rope_freqs.weight', ropeFactors]]) : new Map());
}

/** GGUF metadata -> HF config.json fields, given the file's non-parameter tensors by name (see GgufSide.auxTensors). */
export function ggufMetadataToHf(meta: GgufMetadata, tieWordEmbeddings: boolean, aux: ReadonlyMap<string, Float32Array>): HfConfig {
  const arch = metaString(meta, 'general.architecture');
  if (arch === undefined) throw new Error('GGUF config: general.architecture is missing');
  return familyForGguf(arch).gguf.metadataToHf(meta, arch, tieWordEmbeddings, aux);
}
