// The registry of model families: which family reads a config.json (model_type), a GGUF file
// (general.architecture), a `glasslm train --arch` value, or a config's `arch`. Adding a family
// is one folder here and one line in FAMILIES (see docs/families.md).

import type { AnyFamily, Json } from '../family.js';
import { gpt2Family } from './gpt2/index.js';
import { llamaFamily } from './llama/index.js';

export const FAMILIES: readonly AnyFamily[] = [gpt2Family, llamaFamily];

const list = (pick: (f: AnyFamily) => readonly string[]) => FAMILIES.flatMap(pick).join(', ');

/** The family of a config (its `arch`). */
export function familyOf(config: { arch: string }): AnyFamily {
  const f = FAMILIES.find((x) => x.name === config.arch);
  if (!f) throw new Error(`unknown model family '${String(config.arch)}' (known: ${list((x) => [x.name])})`);
  return f;
}

/** The family that reads a config.json, by its model_type. */
export function familyForHf(hf: Json): AnyFamily {
  const type = hf.model_type;
  const f = FAMILIES.find((x) => typeof type === 'string' && x.hfModelTypes.includes(type));
  if (type === undefined) throw new Error(`config.json: model_type is missing (supported: ${list((x) => x.hfModelTypes)})`);
  if (!f) throw new Error(`config.json: model_type '${String(type)}' is not supported (${list((x) => x.hfModelTypes)})`);
  return f;
}

/** The family of a config.json by model_type, else by architectures[0] (as GGUF converters accept). */
export function familyForHfLoose(hf: Json): { family: AnyFamily; modelType: string } {
  const type = hf.model_type;
  for (const f of FAMILIES) if (typeof type === 'string' && f.hfModelTypes.includes(type)) return { family: f, modelType: type };
  const cls = Array.isArray(hf.architectures) ? hf.architectures[0] : undefined;
  for (const f of FAMILIES) if (typeof cls === 'string' && f.hfClasses[cls]) return { family: f, modelType: f.hfClasses[cls] };
  throw new Error(`GGUF config: unsupported model (model_type ${JSON.stringify(type)}, architectures ${JSON.stringify(hf.architectures)})`);
}

/** The family that reads a GGUF file, by general.architecture. */
export function familyForGguf(arch: string): AnyFamily {
  const f = FAMILIES.find((x) => x.gguf.archs.includes(arch));
  if (!f) throw new Error(`GGUF config: unsupported architecture ${arch} (known: ${list((x) => x.gguf.archs)})`);
  return f;
}

/** The family that trains a `--arch` value. */
export function familyForTraining(arch: string): AnyFamily {
  const f = FAMILIES.find((x) => x.trainArchs.includes(arch));
  if (!f) throw new Error(`--arch must be one of ${list((x) => x.trainArchs)}, got '${String(arch)}'`);
  return f;
}

/** Every general.architecture value some family reads. */
export function ggufArchs(): string[] {
  return FAMILIES.flatMap((f) => [...f.gguf.archs]);
}
