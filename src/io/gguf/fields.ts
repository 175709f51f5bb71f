// Reading a model's hyperparameters from GGUF metadata ({arch}.* keys) with clear errors.

import { GgufType } from './constants.js';
import { metaFloat, metaInt, type GgufMetadata } from './metadata.js';

/** The shortest decimal that reads back as the same float32 (1e-5 stored as f32 -> 1e-5). */
export function shortestF32(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === Math.fround(x)) return y;
  }
  return x;
}

/** `{arch}.key` as an integer (fallback when absent; else an error). */
export function ggufInt(meta: GgufMetadata, arch: string) {
  return (key: string, fallback?: number): number => {
    const v = metaInt(meta, `${arch}.${key}`) ?? fallback;
    if (v === undefined) throw new Error(`GGUF config: ${arch}.${key} is missing`);
    return v;
  };
}

/** `{arch}.key` as a float (float32 values as their shortest decimal). */
export function ggufFloat(meta: GgufMetadata, arch: string) {
  return (key: string, fallback?: number): number => {
    const v = metaFloat(meta, `${arch}.${key}`);
    if (v !== undefined) return meta.get(`${arch}.${key}`)!.type === GgufType.FLOAT32 ? shortestF32(v) : v;
    if (fallback === undefined) throw new Error(`GGUF config: ${arch}.${key} is missing`);
    return fallback;
  };
}

/** {arch}.vocab_size, else the number of tokenizer.ggml.tokens. */
export function ggufVocab(meta: GgufMetadata, arch: string): number {
  const tokens = meta.get('tokenizer.ggml.tokens');
  const tokenCount = tokens && typeof tokens.value === 'object' && 'items' in tokens.value ? tokens.value.items.length : undefined;
  return ggufInt(meta, arch)('vocab_size', tokenCount);
}
