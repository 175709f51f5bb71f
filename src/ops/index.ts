// The op front end: every tensor operation, validated and differentiable.

export { tensor, zeros, ones, full, randn, arange } from './create.js';
export { Rng } from './random.js';
export { add, sub, mul, div, neg, exp, log, sqrt, tanh, gelu, silu, relu, scale, addScalar, maximum, sumToShape } from './elementwise.js';
export { sum, mean, max } from './reduce.js';
export { matmul, matmulBias, linear } from './matmul.js';
export { softmax, logSoftmax } from './softmax.js';
export { layerNorm, rmsNorm } from './norms.js';
export { embedding } from './embedding.js';
export { rope, ropeInverseFrequencies } from './rope.js';
export { attention, type AttentionOptions } from './attention.js';
export { crossEntropy } from './loss.js';
export { tokenLogProbs } from './token-logprobs.js';
export { contiguous, reshape, permute, transpose, slice, split, concat, unsqueeze, broadcastTo } from './views.js';
export { QuantizedMatrix, embeddingQ8, linearQ8 } from './quantized.js';
export { gatherRows, scatterRows } from './rows.js';
