// glasslm's library API, browser-safe: nothing reachable from here imports a node:* module, so it
// bundles for the web as is (test/browser-bundle.test.ts checks). Models and tokenizers load from
// bytes (fetch, a dropped File); the path-based loaders and savers, training checkpoints in
// folders and the CLI's needs are in 'glasslm/node' (src/node.ts), which re-exports all of this.
//
//   import { loadModelFromFiles, loadTokenizerFromFiles, generateText } from 'glasslm';
//   const files = { 'config.json': await bytes('config.json'), 'model.safetensors': await bytes('model.safetensors'),
//                   'tokenizer.json': await bytes('tokenizer.json') };   // or a .gguf, or stories260K.bin + tok512.bin
//   const model = loadModelFromFiles(files);
//   const tok = loadTokenizerFromFiles(files);
//   console.log(generateText(model, tok, 'Once upon a time', { temperature: 0 }).text);

// tensors, ops, autograd, backends
export { Tensor } from './tensor/tensor.js';
export { tidy, keep, noGrad, isGradEnabled, getBackend, setBackend } from './tensor/engine.js';
export type { DType } from './tensor/dtype.js';
export * as ops from './ops/index.js';
export { backward } from './autograd/backward.js';
export type { Backend, MatmulParams, AttentionParams, AdamWParams } from './backend/backend.js';
export { createCpuBackend } from './backend/cpu/index.js';
export { createWasmBackend, type WasmBackend, type WasmBackendOptions, type WasmSource, type KernelFile } from './backend/wasm/index.js';
export { selectBackend } from './backend/select.js';

// models and checkpoints
export { Model, nextTokenTargets, type ForwardOptions, type ForwardResult } from './models/model.js';
export { configFromHf, configToHf, parameterShapes, type ModelConfig, type Gpt2Config, type LlamaConfig } from './models/config.js';
export {
  loadModelFromFiles, loadHfModelFromFiles, loadGgufModelFromBytes, loadLlama2cModelFromBytes, describeCheckpointFiles,
  detectModelFiles, modelFromTensors, parameterCounts, type LoadOptions, type CheckpointInfo, type ModelFormat, type ParameterCounts,
} from './models/load.js';
export { hfModelFiles, ggufModelBytes, type GgufDtype, type SaveGgufOptions } from './models/save.js';
export type { FileMap } from './io/files.js';
export { KVCache } from './models/kv-cache.js';
export type { HookFn, HookOptions } from './models/hooks.js';
export * as io from './io/index.js';

// tokenizers (loadTokenizerFromFiles reads any of the formats from bytes)
export * from './tokenizer/index.js';

// generation and training
export { generateIds, generateText, type GenerateOptions, type TextGenerateOptions, type TextGenerateResult } from './generate/generate.js';
export { Sampler, type SamplingOptions } from './generate/sampler.js';
export { Trainer, type StepReport } from './train/trainer.js';
export { checkpointFiles, readTrainState, STATE_FILE, type TrainState, type LoadedState, type LossRecord } from './train/checkpoint.js';
export { splitTokens, sampleBatch } from './train/data.js';
export { resolveTrainOptions, type TrainOptions } from './train/options.js';
export { modelConfigFor, type ModelShape } from './train/model-shape.js';
export { AdamW } from './train/optimizer.js';
export { evaluateText, evaluateIds } from './train/evaluate.js';

// seeing inside
export * as inspect from './inspect/index.js';
