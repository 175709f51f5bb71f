// Rotary positions for the Llama family: inverse frequencies, with Llama 3's long-context
// rescaling, and the same rescaling as llama.cpp stores it (rope_freqs.weight).

import * as op from '../../../ops/index.js';
import type { LlamaConfig, RopeScaling } from './config.js';

/** RoPE inverse frequencies, with Llama 3's long-context rescaling when configured. */
export function llamaInverseFrequencies(c: LlamaConfig): Float32Array {
  const inv = op.ropeInverseFrequencies(c.headDim, c.ropeTheta);
  if (c.ropeScaling) applyLlama3Scaling(inv, c.ropeScaling);
  return inv;
}

/** Llama 3: long wavelengths are divided by factor, short ones kept, the band between blended. */
function applyLlama3Scaling(inv: Float32Array, s: RopeScaling): void {
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  for (let j = 0; j < inv.length; j++) {
    const wavelen = (2 * Math.PI) / inv[j];
    if (wavelen > lowWavelen) inv[j] = inv[j] / s.factor;
    else if (wavelen >= highWavelen) {
      const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      inv[j] = (1 - smooth) * (inv[j] / s.factor) + smooth * inv[j];
    }
  }
}

/** Llama 3 rope scaling as config.json states it. */
export interface Llama3Scaling { factor: number; lowFreqFactor: number; highFreqFactor: number; originalContextLength: number }

/**
 * llama.cpp's form of Llama 3 rope scaling: the tensor rope_freqs.weight (headDim/2 values) by
 * which each base frequency theta^(-2i/d) is divided, as convert_hf_to_gguf.py computes it.
 */
export function llama3RopeFactors(headDim: number, theta: number, s: Llama3Scaling): Float32Array {
  const out = new Float32Array(headDim / 2);
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  for (let i = 0; i < out.length; i++) {
    const freq = 1 / theta ** ((2 * i) / headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}
