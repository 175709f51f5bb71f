// Machinery for renaming tensors between Hugging Face and GGUF (llama.cpp) names, driven by a
// family's tables (see src/models/families/*/gguf.ts), and the two layout changes families use.
// A GGUF shape is row-major here (ggml dims reversed), so (out, in) matches nn.Linear.

import type { NamedTensor } from '../types.js';

/** Head counts, needed for the llama q/k permutation. */
export interface HeadCounts { nHeads: number; nKvHeads: number }

/** [HF module, GGUF name] pairs; ".weight" / ".bias" carry over unchanged. */
export interface NameTables {
  /** HF prefix of the per-layer modules, e.g. 'model.layers.'. */
  layerPrefix: string;
  /** Per-layer [HF module after 'prefix.N.', GGUF name after 'blk.N.']. */
  layer: readonly (readonly [string, string])[];
  /** Global [HF module, GGUF name]. */
  global: readonly (readonly [string, string])[];
}

function splitSuffix(name: string): [string, string] | undefined {
  const m = /^(.*)\.(weight|bias)$/.exec(name);
  return m ? [m[1], m[2]] : undefined;
}

/** The GGUF name of a HF tensor by the tables; undefined when none matches. */
export function tableToGguf(t: NameTables, hfName: string): string | undefined {
  const parts = splitSuffix(hfName);
  if (!parts) return undefined;
  const [module, suffix] = parts;
  for (const [hf, gg] of t.global) if (module === hf) return `${gg}.${suffix}`;
  if (module.startsWith(t.layerPrefix)) {
    const m = /^(\d+)\.(.+)$/.exec(module.slice(t.layerPrefix.length));
    if (m) for (const [hf, gg] of t.layer) if (m[2] === hf) return `blk.${m[1]}.${gg}.${suffix}`;
  }
  return undefined;
}

/** The HF name of a GGUF tensor by the tables; undefined when none matches. */
export function tableFromGguf(t: NameTables, ggufName: string): string | undefined {
  const parts = splitSuffix(ggufName);
  if (!parts) return undefined;
  const [module, suffix] = parts;
  for (const [hf, gg] of t.global) if (module === gg) return `${hf}.${suffix}`;
  const m = /^blk\.(\d+)\.(.+)$/.exec(module);
  if (m) for (const [hf, gg] of t.layer) if (m[2] === gg) return `${t.layerPrefix}${m[1]}.${hf}.${suffix}`;
  return undefined;
}

/** (rows, cols) -> (cols, rows). */
export function transpose2d(t: NamedTensor): NamedTensor {
  if (t.shape.length !== 2 || !(t.data instanceof Float32Array)) throw new Error(`transpose2d: ${t.name} is not a 2-D float32 tensor`);
  const out = new Float32Array(t.data.length);
  transposeInto(t.data, t.shape[0], t.shape[1], out);
  return { name: t.name, shape: [t.shape[1], t.shape[0]], data: out };
}

/** src (rows, cols) -> out (cols, rows). */
export function transposeInto(src: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
}
