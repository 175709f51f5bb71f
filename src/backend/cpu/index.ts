// The reference CPU backend: plain TypeScript over typed arrays. Clear first, then correct;
// it is the oracle every faster backend is tested against.

import type { Backend } from '../backend.js';
import { allocStorage } from '../../tensor/dtype.js';
import { adamw } from './adamw.js';
import { attention, attentionBackward } from './attention.js';
import { activationBackward, affine, binary, copyStrided, reduce, unary, writeStrided } from './elementwise.js';
import { gather, scatterAdd } from './embedding.js';
import { crossEntropy, crossEntropyBackward } from './loss.js';
import { matmul } from './matmul.js';
import { layerNorm, layerNormBackward, rmsNorm, rmsNormBackward } from './norms.js';
import { dequantizeQ8, matmulQ8 } from './quantized.js';
import { rope } from './rope.js';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from './softmax.js';

/** Builds a CPU backend; each instance counts its own live buffers. */
export function createCpuBackend(): Backend {
  let live = 0;
  return {
    name: 'cpu',
    alloc(dtype, length) {
      live++;
      return allocStorage(dtype, length);
    },
    free() {
      live--;
    },
    liveBuffers: () => live,
    copyStrided, writeStrided, unary, binary, affine, activationBackward, reduce, matmul, matmulQ8, dequantizeQ8,
    softmax, softmaxBackward, logSoftmax, logSoftmaxBackward,
    layerNorm, layerNormBackward, rmsNorm, rmsNormBackward,
    gather, scatterAdd, rope, attention, attentionBackward,
    crossEntropy, crossEntropyBackward, adamw,
  };
}
