// Reading config.json fields with clear errors (shared by the families' config parsers).

import type { Json } from '../family.js';

export function num(cfg: Json, key: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`config.json: '${key}' must be a number, got ${JSON.stringify(cfg[key])}`);
  return v;
}

export function positiveInt(cfg: Json, key: string, fallback?: number): number {
  const v = num(cfg, key, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`config.json: '${key}' must be a positive integer, got ${v}`);
  return v;
}

/** A number field of a HF config as the GGUF writer needs it (missing or not a number: an error). */
export function hfNum(config: Json, key: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`GGUF config: HF config.json field ${key} is missing or not a number`);
  return v;
}
