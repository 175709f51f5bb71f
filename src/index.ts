// glasslm's library API. Everything the CLI does is available here, typed.
//
//   import { loadModel, loadTokenizer, generateText } from 'glasslm';
//   const model = loadModel('path/to/model');            // HF folder, .gguf or llama2.c .bin
//   const tok = loadTokenizer('path/to/model');
//   console.log(generateText(model, tok, 'Once upon a time', { temperature: 0 }).text);

// tensors, ops, autograd, backends
export { Tensor } from './tensor/tensor.js';
export { tidy, keep, noGrad, isGradEnabled, getBackend, setBackend } from './tensor/engine.js';
export type { DType } from './tensor/dtype.js';
export * as ops from './ops/index.js';
export { backward } from './autograd/backward.js';
export type { Backend, MatmulParams, AttentionParams, AdamWParams } from './backend/backend.js';
export { createCpuBackend } from './backend/cpu/index.js';
export { createWasmBackend } from './backend/wasm/index.js';
export { selectBackend } from './backend/select.js';

// models and checkpoints
export { Model, nextTokenTargets, type ForwardOptions, type ForwardResult } from './models/model.js';
export { configFromHf, configToHf, parameterShapes, type ModelConfig, type Gpt2Config, type LlamaConfig } from './models/config.js';
export { loadModel, loadHfModel, loadGgufModel, loadLlama2cModel, modelFromTensors, parameterCounts } from './models/load.js';
export { saveHfModel, saveGgufModel } from './models/save.js';
export { KVCache } from './models/kv-cache.js';
export type { HookFn, HookOptions } from './models/hooks.js';
export * as io from './io/index.js';

// tokenizers
export * from './tokenizer/index.js';

// generation and training
export { generateIds, generateText, textSteps, type GenerateOptions, type TextGenerateOptions, type TextGenerateResult } from './generate/generate.js';
export { Sampler, type SamplingOptions } from './generate/sampler.js';
export { Trainer } from './train/trainer.js';
export { runTraining, type TrainJob } from './train/run.js';
export { AdamW } from './train/optimizer.js';
export { evaluateText, evaluateIds } from './train/evaluate.js';

// seeing inside
export * as inspect from './inspect/index.js';
export { textTrainer, checkpointFiles, type TextTrainingJob } from './train/in-memory.js';
