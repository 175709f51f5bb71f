// Checks on a model config before anything is allocated for it: every size a sane positive
// integer, every value the math needs in its domain (a norm epsilon ≤ 0 or a rope_theta ≤ 0 makes
// every logit NaN), and, when loading, what the config claims checked against what the file
// holds (a header claiming 1e9 layers must not make the loader list 1e9 layers of parameters).
// Family-independent: counts come from parameterShapes of a 0- and a 1-layer copy of the config.

import { type ModelConfig, parameterShapes } from './config.js';
import { familyOf } from './families/index.js';

/** Largest values accepted, far above any real model (Llama 3.1 405B: 126 layers, width 16384). */
export const CONFIG_LIMITS = {
  layers: 4096,
  dim: 1 << 17,
  heads: 4096,
  headDim: 4096,
  mlpHidden: 1 << 20,
  vocabSize: 1 << 24,
  contextLength: 1 << 24,
} as const;

function sizeField(value: unknown, name: string, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new Error(`model config: ${name} must be a whole number ≥ 1, got ${JSON.stringify(value) ?? String(value)}`);
  if (value > max) throw new Error(`model config: ${name} ${value} is more than the ${max} glasslm accepts (a corrupt header?)`);
}

function positive(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`model config: ${name} must be a finite number > 0, got ${String(value)} (it would make every logit NaN)`);
  }
}

/** Throws unless every size and value of the config is usable (see CONFIG_LIMITS and the family's checkValues). */
export function validateModelConfig(c: ModelConfig): void {
  if (typeof c !== 'object' || c === null) throw new Error(`model config must be an object, got ${String(c)}`);
  const family = familyOf(c);
  sizeField(c.layers, 'the number of layers', CONFIG_LIMITS.layers);
  sizeField(c.dim, 'the width (dim)', CONFIG_LIMITS.dim);
  sizeField(c.mlpHidden, 'the MLP width', CONFIG_LIMITS.mlpHidden);
  sizeField(c.vocabSize, 'the vocabulary size', CONFIG_LIMITS.vocabSize);
  sizeField(c.contextLength, 'the context length', CONFIG_LIMITS.contextLength);
  const att = family.attention(c);
  sizeField(att.heads, 'the number of heads', CONFIG_LIMITS.heads);
  sizeField(att.kvHeads, 'the number of key/value heads', CONFIG_LIMITS.heads);
  sizeField(att.headDim, 'the head dimension', CONFIG_LIMITS.headDim);
  if (att.heads % att.kvHeads !== 0) throw new Error(`model config: ${att.heads} heads are not a multiple of ${att.kvHeads} key/value heads`);
  const eps = family.readout(c).eps;
  positive(eps, `the norm epsilon (normEps: rms_norm_eps or layer_norm_epsilon)`);
  // an epsilon above 1 swamps the variance (real models use 1e-6 to 1e-5): every activation is flattened to ~0
  if (eps > 1) throw new Error(`model config: the norm epsilon ${eps} is above 1 (real models use 1e-6 to 1e-5; it would flatten every activation)`);
  family.checkValues?.(c);
}

/** Parameter tensors and values of a config, counted without listing every layer. */
export function parameterTotals(c: ModelConfig): { tensors: number; values: number } {
  const count = (layers: number) => {
    let tensors = 0, values = 0;
    for (const shape of parameterShapes({ ...c, layers }).values()) {
      tensors++;
      values += shape.reduce((a, b) => a * b, 1);
    }
    return { tensors, values };
  };
  const base = count(0), one = count(1);
  return { tensors: base.tensors + c.layers * (one.tensors - base.tensors), values: base.values + c.layers * (one.values - base.values) };
}

/** The fewest bytes a stored value takes in any format glasslm reads (Q4_0 / Q4_K: 4.5 bits). */
const MIN_BYTES_PER_VALUE = 0.5;

/**
 * Throws unless a checkpoint of `tensorCount` tensors (and `fileBytes` bytes, when known) can hold
 * every parameter the config asks for. Run before the parameters are listed or allocated.
 */
export function checkConfigAgainstCheckpoint(c: ModelConfig, tensorCount: number, fileBytes?: number): void {
  validateModelConfig(c);
  const { values } = parameterTotals(c);
  // every layer has at least one tensor of its own, whatever the format fuses (GGUF's experts)
  if (c.layers > tensorCount) {
    throw new Error(`the config asks for ${c.layers} layers, but the checkpoint holds only ${tensorCount} tensors`);
  }
  if (fileBytes !== undefined && values * MIN_BYTES_PER_VALUE > fileBytes) {
    throw new Error(`the config asks for ${values.toLocaleString('en-US')} parameters, more than a ${fileBytes.toLocaleString('en-US')}-byte checkpoint can hold`);
  }
}

/**
 * Bytes a training run needs, roughly: parameters, gradients and the two AdamW moments (4 × 4
 * bytes per parameter) plus the activations kept for the backward pass of one micro-batch.
 */
export function estimateTrainingBytes(c: ModelConfig, batchSize: number, contextLength: number): number {
  const { values } = parameterTotals(c);
  const tokens = batchSize * contextLength;
  const perLayer = tokens * (16 * c.dim + 3 * c.mlpHidden) + batchSize * c.heads * contextLength * contextLength * 2;
  const activations = c.layers * perLayer + 3 * tokens * c.vocabSize;
  return 4 * (4 * values + activations);
}

/** Throws when `bytes` is more than `budget` (both in bytes), saying what to make smaller. */
export function checkMemoryBudget(bytes: number, budget: number, what: string): void {
  if (bytes > budget) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(n < 2 ** 30 ? 2 : 1)} GiB`;
    throw new Error(`${what} needs about ${gib(bytes)} of memory, more than the ${gib(budget)} available: make it smaller (fewer layers, a smaller width, batch or context)`);
  }
}
