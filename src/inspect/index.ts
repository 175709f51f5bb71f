// Seeing inside a model: every view returns typed plain data that a terminal, a file or a web page can draw.

export { runWithCache, runWithHooks, hookNames, blockHookNames, cacheBytes, disposeCache, type CacheOptions, type CacheRun } from './cache.js';
export { logitLens, type LensResult, type LensCell, type LensTarget, type LensOptions } from './lens.js';
export { attentionPatterns, headScores, inductionScores, tokenSources, type AttentionResult, type HeadScores, type InductionResult, type TokenSources } from './attention.js';
export { directLogitAttribution, type AttributionResult, type AttributionPart, type AttributionOptions } from './attribution.js';
export { runPatched, activationPatching, type Patch, type PatchingResult, type PatchingOptions } from './patching.js';
export { topNeurons, neuronContexts, neuronTrace, type NeuronTrace, type TopNeuronsResult, type NeuronActivation, type NeuronContextsResult, type NeuronContext } from './neurons.js';
export { nearestTokens, contextualVectors, cosine, pca2, embeddingMatrix, type NearestTokens, type ContextualVectors } from './embeddings.js';
export { trainWord2Vec, tokenizeCorpus, type Word2VecOptions, type WordVectors } from './word2vec.js';
export { VectorIndex, evaluateAnalogies, type AnalogyEvaluation } from './word2vec-query.js';
export { formatWord2VecText, parseWord2VecText } from './word2vec-io.js';
export { expertUsage, type ExpertUsage, type LayerUsage, type TokenRoute } from './experts.js';
export { queryKeyValues, type QueryKeyValues } from './qkv.js';
export { attentionCost, type AttentionCost, type AttentionCostPoint } from './cost.js';
export { tokenAnalogy, analogyInMatrix, tokenProjection, contextualDrift, type TokenAnalogy, type TokenProjection, type ContextualDrift } from './token-vectors.js';
export { encodePrompt, tokenArg, tokenLabel } from './prompt.js';
