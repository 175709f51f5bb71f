// A model's shape as a training job states it (layers, heads, width, context), and the full
// config it stands for.

import type { ModelConfig } from '../models/config.js';

export interface ModelShape {
  arch: 'gpt2' | 'llama';
  layers: number;
  heads: number;
  /** Llama only: key/value heads (default heads). */
  kvHeads?: number;
  dim: number;
  /** Default: 4·dim for GPT-2, the SwiGLU width 8·dim/3 rounded up to 16 for Llama. */
  mlpHidden?: number;
  contextLength: number;
  /** GPT-2 only: false drops every bias from linear layers and LayerNorms (nanoGPT's bias=False). */
  bias?: boolean;
}

/** The config of a new model of this shape over a vocabulary of vocabSize tokens. */
export function modelConfigFor(shape: ModelShape, vocabSize: number): ModelConfig {
  const { arch, layers, heads, dim, contextLength } = shape;
  if (dim % heads !== 0) throw new Error(`width ${dim} is not divisible by ${heads} heads`);
  if (shape.bias !== undefined && typeof shape.bias !== 'boolean') throw new Error(`model bias must be true or false, got ${JSON.stringify(shape.bias)}`);
  if (arch === 'gpt2') {
    return { arch, vocabSize, contextLength, dim, layers, heads, mlpHidden: shape.mlpHidden ?? 4 * dim, normEps: 1e-5, ...(shape.bias === false ? { bias: false } : {}) };
  }
  if (shape.bias === true) throw new Error('the Llama architecture has no biases (bias: true is for GPT-2)');
  const kvHeads = shape.kvHeads ?? heads;
  if (heads % kvHeads !== 0) throw new Error(`${heads} heads are not a multiple of ${kvHeads} key/value heads`);
  return {
    arch, vocabSize, contextLength, dim, layers, heads, kvHeads, headDim: dim / heads,
    mlpHidden: shape.mlpHidden ?? Math.ceil((8 * dim) / 3 / 16) * 16,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, tiedEmbeddings: true,
  };
}
