// The decode step (program.ts): built for a model and a KV cache where it can run (the wasm
// backend, batch 1, every weight in wasm memory), else null and the general forward runs.

import type { Backend } from '../../backend/backend.js';
import type { WasmBackend } from '../../backend/wasm/index.js';
import type { QuantizedMatrix } from '../../ops/quantized.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ModelConfig } from '../config.js';
import type { KVCache } from '../kv-cache.js';
import { gpt2DecodeStep } from './gpt2.js';
import { llamaDecodeStep } from './llama.js';
import { type DecodeStep, NotSteppable, ProgramWriter } from './program.js';

export { DecodeStep, STEP_PARALLEL_BYTES } from './program.js';

const isWasm = (b: Backend): b is WasmBackend => b.name === 'wasm' && typeof (b as Partial<WasmBackend>).runStep === 'function';

export function buildDecodeStep(config: ModelConfig, params: ReadonlyMap<string, Tensor>, quantized: ReadonlyMap<string, QuantizedMatrix>,
  cache: KVCache, invFreq: Float32Array | null): DecodeStep | null {
  const first = params.values().next().value as Tensor | undefined;
  const backend = first?.backend ?? quantized.values().next().value?.data.backend;
  if (!backend || !isWasm(backend) || cache.batch !== 1) return null;
  if (cache.keys[0]?.backend !== backend) return null;
  const w = new ProgramWriter(backend);
  try {
    return config.arch === 'gpt2' ? gpt2DecodeStep(config, params, quantized, cache, w) : llamaDecodeStep(config, params, quantized, cache, invFreq!, w);
  } catch (e) {
    w.abandon();
    if (e instanceof NotSteppable) return null;
    throw e;
  }
}
