// Tensor names and layouts: Hugging Face checkpoints <-> llama.cpp GGUF, as convert_hf_to_gguf.py
// writes them. Each family holds its own tables and layout changes (src/models/families/*/gguf.ts);
// these functions find the family by the GGUF architecture and ask it.
// A GGUF shape is row-major here (ggml dims reversed), so (out, in) matches nn.Linear.

import { familyForGguf, ggufArchs } from '../../models/families/index.js';
import type { NamedTensor } from '../types.js';
import type { HeadCounts } from './rename.js';

export { transpose2d, type HeadCounts } from './rename.js';

/** A GGUF general.architecture value ('llama', 'qwen2', 'gpt2', …). */
export type GgufArch = string;

/** The general.architecture values glasslm reads. */
export function knownGgufArchs(): string[] {
  return ggufArchs();
}

function side(arch: GgufArch) {
  try {
    return familyForGguf(arch).gguf;
  } catch {
    throw new Error(`GGUF names: unknown architecture ${JSON.stringify(arch)} (known: ${ggufArchs().join(', ')})`);
  }
}

/** The GGUF name of a HF tensor; undefined for tensors llama.cpp does not store (GPT-2 attn.bias masks). */
export function hfToGgufName(arch: GgufArch, hfName: string): string | undefined {
  return side(arch).nameToGguf(arch, hfName);
}

/** The HF name of a GGUF tensor. */
export function ggufToHfName(arch: GgufArch, ggufName: string): string {
  return side(arch).nameFromGguf(arch, ggufName);
}

/**
 * The HF shape of a GGUF tensor, and whether its values must be rearranged on the way (GPT-2's
 * Conv1D weights are transposed; llama q/k rows are permuted back to the rotate-half order).
 */
export function ggufToHfLayout(arch: GgufArch, ggufName: string, shape: readonly number[]): { shape: number[]; relayout: boolean } {
  return side(arch).layoutFromGguf(arch, ggufName, shape);
}

/**
 * Writes the HF layout of GGUF tensor `ggufName` (values `src` in GGUF order, shape `shape`) into
 * `out`, a separate array of the same length: the transpose or permutation of ggufToHfLayout.
 */
export function ggufToHfInto(arch: GgufArch, heads: HeadCounts | undefined, ggufName: string, shape: readonly number[], src: Float32Array, out: Float32Array): void {
  const s = side(arch);
  if (!s.layoutFromGguf(arch, ggufName, shape).relayout) {
    out.set(src);
    return;
  }
  s.relayout(arch, heads, ggufName, shape, src, out, false);
}

/** HF tensors -> GGUF names and layouts (what convert_hf_to_gguf.py writes, before quantization). */
export function hfTensorsToGguf(arch: GgufArch, heads: HeadCounts | undefined, tensors: Iterable<NamedTensor>): NamedTensor[] {
  const s = side(arch);
  const out: NamedTensor[] = [];
  for (const t of tensors) {
    const name = s.nameToGguf(arch, t.name);
    if (name === undefined) continue;
    const layout = s.layoutToGguf(arch, name, t.shape);
    if (!layout.relayout) {
      out.push({ name, shape: t.shape, data: t.data });
      continue;
    }
    if (!(t.data instanceof Float32Array)) throw new Error(`GGUF names: ${name} is not float32`);
    const data = new Float32Array(t.data.length);
    s.relayout(arch, heads, name, layout.shape, t.data, data, true);
    out.push({ name, shape: layout.shape, data });
  }
  return out;
}

/** GGUF tensors -> HF names and layouts (the inverse of hfTensorsToGguf). */
export function ggufTensorsToHf(arch: GgufArch, heads: HeadCounts | undefined, tensors: Iterable<NamedTensor>): NamedTensor[] {
  const s = side(arch);
  const out: NamedTensor[] = [];
  for (const t of tensors) {
    const layout = s.layoutFromGguf(arch, t.name, t.shape);
    let data = t.data;
    if (layout.relayout) {
      if (!(t.data instanceof Float32Array)) throw new Error(`GGUF names: ${t.name} is not float32`);
      data = new Float32Array(t.data.length);
      s.relayout(arch, heads, t.name, t.shape, t.data, data, false);
    }
    out.push({ name: s.nameFromGguf(arch, t.name), shape: layout.shape, data });
  }
  return out;
}
